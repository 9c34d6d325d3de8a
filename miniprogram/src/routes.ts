// Page URLs in one place, so that pages link to each other without spelling paths.
// Taro passes query values to pages still percent-encoded on both weapp and H5, so pages read
// them through readParam().

function withQuery(path: string, query: Record<string, string | undefined>): string {
  const parts = Object.entries(query)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`);
  return parts.length > 0 ? `${path}?${parts.join('&')}` : path;
}

/** Path of the course page, which pushed messages link to with `id` and the click token `pt`. */
export const COURSE_DETAIL_PAGE = '/packages/course/detail/index';

export const routes = {
  home: () => '/pages/index/index',
  me: () => '/pages/me/index',
  courseSearch: (query: { q?: string; category?: string }) =>
    withQuery('/packages/course/search/index', query),
  courseDetail: (courseId: string) => withQuery(COURSE_DETAIL_PAGE, { id: courseId }),
  lesson: (lessonId: string) => withQuery('/packages/learning/lesson/index', { id: lessonId }),
  quiz: (quizId: string) => withQuery('/packages/quiz/quiz/index', { id: quizId }),
  quizResult: (attemptId: string) => withQuery('/packages/quiz/result/index', { attemptId }),
  myHours: (year?: number) => withQuery('/packages/me/hours/index', { year: year?.toString() }),
  notices: () => '/packages/me/notices/index',
};

/** Returns a decoded page parameter, or an empty string when it is missing. */
export function readParam(params: Record<string, string | undefined>, name: string): string {
  const raw = params[name];
  if (raw === undefined) return '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // not percent-encoded after all
  }
}
