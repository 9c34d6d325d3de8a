// The Chinese phrase shown under a recommended course, one per signal. Learners read these.

/** Course titles in reasons are cut to this many characters, so a reason stays one short line. */
const MAX_TITLE_CHARACTERS = 14;

function shortTitle(title: string): string {
  const characters = [...title];
  if (characters.length <= MAX_TITLE_CHARACTERS) return title;
  return `${characters.slice(0, MAX_TITLE_CHARACTERS - 1).join('')}…`;
}

/** `3月5日`, with the year in front when it differs from `currentYear`: `2027年1月5日`. */
function chineseDate(dueOn: string, currentYear: number): string {
  const [year, month, day] = dueOn.split('-').map(Number) as [number, number, number];
  const monthDay = `${month}月${day}日`;
  return year === currentYear ? monthDay : `${year}年${monthDay}`;
}

/**
 * Returns the reason of a required course. `today` is the current date `YYYY-MM-DD` in
 * Asia/Shanghai, and a due date before it is worded as overdue.
 */
export function requiredReason(dueOn: string, today: string): string {
  const date = chineseDate(dueOn, Number(today.slice(0, 4)));
  return dueOn < today ? `本单位要求，已于${date}到期` : `本单位要求，${date}前完成`;
}

export function continueReason(lessonTitle: string): string {
  return `继续学习：${shortTitle(lessonTitle)}`;
}

export function peersReason(learners: number): string {
  return `同部门 ${learners} 人在学`;
}

export function alsoTakenReason(courseTitle: string): string {
  return `学过《${shortTitle(courseTitle)}》的人也在学`;
}

export function similarReason(courseTitle: string): string {
  return `与你学过的《${shortTitle(courseTitle)}》相似`;
}

export const POPULAR_REASON = '近期热门';
export const NEW_REASON = '新上线';
export const OTHER_REASON = '为你推荐';
