// Questions the FAQ cannot answer because the answer is the asker's own data (hours, required
// courses, last exam) or a catalog search. Detection uses fixed phrase patterns and jieba words, so
// it is predictable and testable. Personal intents answer only for the learner that the session or
// the chat identity names, and never in a group chat.
import type { AssistantIntent, CourseLink } from '@wxlearn/api-types';
import type { Types } from 'mongoose';
import { trusted } from '../../db/trusted.js';
import { segment } from '../catalog/catalog.search.js';
import { listCourses } from '../catalog/catalog.service.js';
import { CourseModel } from '../catalog/course.model.js';
import { EnrolmentModel } from '../catalog/enrolment.model.js';
import { myHours } from '../hours/my-hours.service.js';
import { CourseCompletionModel } from '../learning/course-completion.model.js';
import { AttemptResultModel } from '../quizzes/attempt-result.model.js';
import { AttemptModel } from '../quizzes/attempt.model.js';
import { QuizModel } from '../quizzes/quiz.model.js';
import { toSimplified } from './chinese-script.js';

/** Mini-program page of a course; the course id goes in the `id` query parameter. */
export const COURSE_PAGE_PATH = 'packages/course/detail/index';

/** Courses a search reply names at most. */
export const MAX_SEARCH_COURSES = 3;

/** Unfinished required courses a reply names at most. */
export const MAX_LISTED_REQUIRED_COURSES = 3;

/** Intents answered from the asker's own records. */
export type PersonalIntentKind = 'my_hours' | 'required_courses' | 'last_exam';

export type DetectedIntent =
  | { kind: PersonalIntentKind }
  | { kind: 'course_search'; topic: string }
  /** A personal intent about someone other than the asker: 张三学时多少, 同事的考试成绩. */
  | { kind: 'others_records'; about: PersonalIntentKind };

/** The learner an intent is answered for, and whether the question came from a group chat. */
export interface IntentAsker {
  /** Null when the chat sender is not bound to a learner. */
  learnerId: Types.ObjectId | null;
  inGroup: boolean;
}

export interface IntentAnswer {
  intent: AssistantIntent;
  /** The reply in Chinese, without the course list. */
  text: string;
  courses: CourseLink[];
}

export const UNBOUND_SENDER_TEXT =
  '还不知道您是哪位学员，暂时查不到您的学习记录。请打开企业学堂小程序"我的"页面，获取聊天绑定码，' +
  '然后把"绑定 八位数字"发给我，绑定后就能查询了。';

export const GROUP_PERSONAL_TEXT =
  '为保护个人信息，学时、必修课和考试成绩只能在私聊中查询，请私聊我发送同样的问题。';

export const OTHERS_RECORDS_TEXT =
  '为保护个人信息，我只能查询您本人的学时、必修课和考试成绩，不能查询其他人的记录。' +
  '如需了解同事的学习情况，请联系本单位培训管理员；查询您自己的记录，可以问"我今年还差多少学时"。';

/** Returns the mini-program link of a course. */
export function courseLink(courseId: string, title: string): CourseLink {
  return { courseId, title, pagePath: `${COURSE_PAGE_PATH}?id=${courseId}` };
}

// How-to, where and why questions belong to the FAQ even when they name hours, courses or exams.
const HOW_TO =
  /在哪|哪里|哪儿|(?:怎么|怎样|如何|咋)(?:查|看|找|办|弄|才|能|算|计算|获得|申请|设置|绑定|报名|搜|重置)|为什么|为啥|是什么|什么意思|怎么回事/u;

const MY_HOURS_PATTERNS = [
  // 我的学时, 我今年的学时, 查一下我的学时
  /我的?(?:今年|本年度?|今年度)?的?学时/u,
  // 今年学时多少, 本年度学时有几个
  /(?:今年|本年度?|今年度)的?学时(?:是|有)?(?:多少|几)/u,
  // 今年学了多少学时, 我一共拿了几个学时; 要修多少学时 asks about the rule and is left out
  /(?:学|修|拿|获得|攒)了(?:多少|几)个?学时/u,
  /(?:已经|一共|总共|目前)(?:学|修|拿|获得|攒)了?(?:多少|几)个?学时/u,
  // 还差多少学时, 还需要几个学时
  /还(?:差|缺|需要?|要|剩)(?:多少|几)个?学时/u,
  // 学时还差多少, 学时够了吗, 学时达标了没
  /学时(?:还差|还缺|够了?吗|够不够|达标|达到要求|完成了?多少|进度)/u,
  // 查一下学时, 查询今年学时; 学时 alone is left to the FAQ
  /^(?:查|查询|查一下|看看)(?:我的)?(?:今年|本年度?)?的?学时$/u,
];
// Hours questions that the FAQ answers: rules, other years, certificates.
const HOURS_FAQ_TOPICS = /计算|规则|区别|证明|倍速|旧系统|历史|哪一?年|去年|预计|重复|丢/u;

const REQUIRED_PATTERNS = [
  // 必修课, 我的必修课还有哪些
  /必修/u,
  // 没学完的课, 未完成的课程, 还有哪些课没学完
  /(?:没|未|还没有?)(?:学完|完成|学习完成?)的?(?:课程|课)/u,
  /(?:课程|课)(?:还)?(?:没|未|没有)(?:学完|完成)/u,
];
const REQUIRED_FAQ_TOPICS = /选修|取消|退课|报名|下次|继续|接着|从哪|断点/u;

const LAST_EXAM_PATTERNS = [
  // 我的考试成绩, 我的成绩
  /我的?(?:考试|测验|测试)?(?:成绩|分数|得分)/u,
  // 上次考试, 最近一次测验
  /(?:上次|上一次|最近一次|最近|刚才|刚刚)的?(?:考试|测验|测试)/u,
  // 考试成绩, 测验结果怎么样
  /^(?:查|查询|查一下|看看)?(?:考试|测验|测试)(?:成绩|分数|结果|得分)(?:是|有)?(?:多少|怎么样|如何)?$/u,
  // 考了多少分
  /考了(?:多少|几)分/u,
  // 考试过了吗, 测验通过了没有
  /(?:考试|测验)(?:过|通过)了?(?:吗|没有?)/u,
];
const EXAM_FAQ_TOPICS =
  /及格线|算及格|多少分算|才能通过|能通过|算学时|证书|次数|重置|补考|答案|解析|错题|挂钩|关系|影响|有关/u;

const SEARCH_PATTERNS = [
  // 有没有讲安全生产的课, 平台上有关于Python的课程吗
  /^(?:请问)?(?:平台上?|这里|咱们|我们)?(?:有没有|有无|是否有|有)(?:讲|关于|介绍|教|学)?(.+?)(?:方面|相关|有关|类)?的?(?:课程|课|培训|网课|视频)(?:吗|呢|啊|呀|没有|不)?$/u,
  // 搜一下数据库课程, 帮我找几门讲机器学习的课
  /^(?:帮我|请|麻烦)?(?:搜索?|查找|查|找)(?:一下|下|一门|几门|一些|些)?(?:讲|关于|介绍|有关)?(.+?)(?:方面|相关|有关|类)?的?(?:课程|课|培训)$/u,
  // 推荐几门安全方面的课
  /^(?:请|帮我)?(?:推荐|介绍)(?:一下|几门|一门|一些|点)?(?:讲|关于)?(.+?)(?:方面|相关|有关|类)?的?(?:课程|课)$/u,
];
const SEARCH_NOT_A_TOPIC =
  /^(?:什么|哪些|啥|任何|其他|别的|新的?|好的?|这种|这样|那种|不|没|免费|付费|收费|精品)/u;

const NOT_LETTER_OR_DIGIT = /[^\p{L}\p{N}]+/gu;

/** NFKC, letters and digits only: the text the phrase patterns match, with the case kept for topics. */
function compactText(text: string): string {
  return text.normalize('NFKC').replace(NOT_LETTER_OR_DIGIT, '');
}

function searchTopic(compact: string): string | null {
  for (const pattern of SEARCH_PATTERNS) {
    const topic = pattern.exec(compact)?.[1];
    if (topic === undefined) continue;
    const cleaned = topic
      .replace(/^(?:讲|关于|介绍|有关)/u, '')
      .replace(/(?:方面|相关|有关)$/u, '');
    if (cleaned === '' || SEARCH_NOT_A_TOPIC.test(cleaned)) return null;
    return cleaned;
  }
  return null;
}

// The subject of a records question ends where its first records word starts: 张三|学时多少,
// 帮我查一下同事|的学时, 小王|还差多少学时.
const RECORDS_ANCHOR =
  /的?(?:学时|必修|考试|测验|测试|成绩|分数|得分|考了|还差|还缺|还需|还要|还剩|还有|一共|总共|已经|目前|今年|本年|上次|上一次|最近|刚才|刚刚|没学完|未完成|没完成|学了|修了|拿了|获得|攒了)/u;
// Request words before the subject: 帮我查一下, 请问, 看看.
const REQUEST_PREFIX =
  /^(?:请问|请|麻烦|帮忙|帮我|帮|替我|给我|我想|想|能不能|能否|可以|查询|查查|查一下|查下|查|看看|看一下|看下|告诉我|问一下|问下)+/u;
const FIRST_PERSON = /^(?:我|我的|本人|自己|我自己|俺|咱)$/u;
// Other people named by relation or pronoun. 我 before them (我同事) is part of the subject.
const OTHER_PERSON =
  /同事|学员|学生|老师|领导|上级|下属|手下|组员|部下|员工|同学|朋友|老公|老婆|爱人|家人|孩子|徒弟|师傅|经理|主管|老板|别人|他人|其他人|其他学员|别的学员|大家|所有人|全员|部门|他们|她们|^他|^她|^ta$|工号\d+/iu;
// The 100 or so most common Chinese surnames, and the common two-character ones.
const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const PERSON_NAME = new RegExp(
  `^(?:(?:[${SURNAMES}]|欧阳|司马|上官|诸葛|东方|皇甫|慕容|司徒|夏侯)\\p{Script=Han}{1,2}|[小老阿]\\p{Script=Han})$`,
  'u',
);
// Characters that make a name-shaped subject a word of the question instead (高级课, 方法, 之前).
const NOT_A_NAME =
  /课|年|月|日|天|周|期|前|后|以|往|次|门|个|些|考|试|测|学|时|证|分|绩|级|法|台|统|司|位|频/u;
// A possessive subject of two or three characters (艾丽的学时) is taken as a name even with a rare
// surname, unless it is one of these words that qualify records instead of owning them.
const NOT_AN_OWNER =
  /^(?:所有|全部|总共|一共|合计|累计|剩余|实际|应修|已修|需要|要求|规定|当前|现在|已有|最终|最新|正式|有效|个人|我们|咱们|本单位|单位)$/u;

/**
 * Returns the personal intent that a question asks about someone else, or null. The subject
 * before the first records word must name another person (张三, 小王, 同事, 他), and the question
 * with 我 in place of that subject must be a personal intent. Names are recognised by common
 * surnames or by 的 after them (艾丽的学时), so 艾丽学时多少 is missed and 小组学时 counts as a person.
 */
function othersRecordsIntent(compact: string): DetectedIntent | null {
  const anchor = RECORDS_ANCHOR.exec(compact);
  if (!anchor || anchor.index === 0) return null;
  const subject = compact.slice(0, anchor.index).replace(REQUEST_PREFIX, '');
  if (subject === '' || FIRST_PERSON.test(subject)) return null;
  const possessive = anchor[0].startsWith('的') && /^\p{Script=Han}{2,3}$/u.test(subject);
  const namesOther =
    OTHER_PERSON.test(subject) ||
    ((PERSON_NAME.test(subject) || (possessive && !NOT_AN_OWNER.test(subject))) &&
      !NOT_A_NAME.test(subject));
  if (!namesOther) return null;

  const asSelf = `我${compact.slice(anchor.index)}`;
  const about = personalIntent(asSelf, asSelf);
  return about === null ? null : { kind: 'others_records', about };
}

/** Returns the personal intent of a question that is not a how-to question, or null. */
function personalIntent(question: string, compact: string): PersonalIntentKind | null {
  const words = new Set(segment(question));
  const matches = (patterns: RegExp[]) => patterns.some((pattern) => pattern.test(compact));

  if (words.has('学时') && !HOURS_FAQ_TOPICS.test(compact) && matches(MY_HOURS_PATTERNS)) {
    return 'my_hours';
  }
  const examWord = ['考试', '测验', '测试', '成绩', '分数', '考了'].some((word) => words.has(word));
  if (examWord && !EXAM_FAQ_TOPICS.test(compact) && matches(LAST_EXAM_PATTERNS)) {
    return 'last_exam';
  }
  const courseWord = ['必修', '必修课', '课', '课程'].some((word) => words.has(word));
  if (courseWord && !REQUIRED_FAQ_TOPICS.test(compact) && matches(REQUIRED_PATTERNS)) {
    return 'required_courses';
  }
  return null;
}

/**
 * Returns the intent of a question, or null when the FAQ should answer it. Traditional characters
 * are converted to simplified ones first. Personal intents need a key word that jieba segments as
 * a word (学时, 必修, 考试…), so 学数学时 is not about hours. A personal question about someone
 * else is `others_records`, checked before the asker's own.
 */
export function detectIntent(rawQuestion: string): DetectedIntent | null {
  const question = toSimplified(rawQuestion);
  const compact = compactText(question);
  if (compact === '') return null;

  const topic = searchTopic(compact);
  if (topic !== null && !HOW_TO.test(compact)) return { kind: 'course_search', topic };
  if (HOW_TO.test(compact)) return null;

  const others = othersRecordsIntent(compact);
  if (others !== null) return others;
  const kind = personalIntent(question, compact);
  return kind === null ? null : { kind };
}

/**
 * Kind of a small-talk message: a correction of the last answer, thanks, an acknowledgement, a
 * greeting or a goodbye.
 */
export type SmallTalkKind = 'correction' | 'thanks' | 'acknowledgement' | 'greeting' | 'goodbye';

export const SMALL_TALK_REPLIES: Record<SmallTalkKind, string> = {
  correction: '抱歉没有答对。请换个说法再问一次，或发送“转人工”由客服为您解答。',
  thanks: '不客气！还有其他问题随时问我。',
  acknowledgement: '好的。还有其他问题随时问我。',
  greeting: '您好！我是企业学堂客服，请直接发送您的问题，例如"我今年还差多少学时"。',
  goodbye: '再见，祝您学习愉快！',
};

// Small-talk phrases of each kind, in the order a message mixing kinds is classified: 好的谢谢 is
// thanks, 你好在吗 a greeting. Each pattern matches one phrase at the start of the rest of the text.
const SMALL_TALK_PHRASES: [SmallTalkKind, RegExp][] = [
  ['correction', /^(?:不对|不是这个|不是这样|不是|错了|答非所问|没用|没有用|没帮助)/u],
  ['thanks', /^(?:谢谢|多谢|感谢|谢了|谢啦|3q|thx|thanks|thankyou)(?:你|您|客服|老师)?/u],
  ['goodbye', /^(?:再见|拜拜|拜|bye|晚安)/u],
  ['greeting', /^(?:你好|您好|在吗|在不在|有人吗|哈喽|嗨|hello|hi|早上好|下午好|晚上好)(?:客服)?/u],
  [
    'acknowledgement',
    /^(?:好的|好吧|好滴|好|嗯|哦|噢|收到|知道了|明白了?|了解了?|懂了|可以|行|ok|okay)/u,
  ],
];
// Particles allowed between and after the phrases: 好的呀, 谢谢啦, 在吗亲.
const SMALL_TALK_PARTICLE = /^(?:啦|了|呀|啊|哈|哦|噢|嗯|呢|哒|滴|亲|嘿)/u;

/** Maximum length, in characters, of a small-talk message. */
const MAX_SMALL_TALK_CHARS = 20;

/**
 * Returns the kind of a message that is only small talk (谢谢, 好的, 你好, 在吗, 再见), or null.
 * The whole message must consist of such phrases and particles, so 你好，学时怎么算 is a question.
 * Traditional characters count as simplified ones. Messages over MAX_SMALL_TALK_CHARS characters
 * are never small talk.
 */
export function detectSmallTalk(text: string): SmallTalkKind | null {
  if (text.length > MAX_SMALL_TALK_CHARS) return null;
  let rest = compactText(toSimplified(text)).toLowerCase();
  const kinds = new Set<SmallTalkKind>();
  while (rest !== '') {
    const found = SMALL_TALK_PHRASES.find(([, pattern]) => pattern.test(rest));
    const particle = SMALL_TALK_PARTICLE.exec(rest)?.[0];
    if (found) {
      kinds.add(found[0]);
      rest = rest.slice(found[1].exec(rest)?.[0].length ?? rest.length);
    } else if (particle !== undefined) {
      rest = rest.slice(particle.length);
    } else {
      return null;
    }
  }
  return SMALL_TALK_PHRASES.map(([kind]) => kind).find((kind) => kinds.has(kind)) ?? null;
}

/** Formats hours with at most one decimal, as learners see them: 12, 12.5. */
function formatHours(hours: number): string {
  return String(Math.round(hours * 10) / 10);
}

/** Returns a Shanghai calendar date, such as 2025年3月3日. */
function shanghaiDateText(at: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).formatToParts(at);
  const part = (type: string) => parts.find((item) => item.type === type)?.value ?? '';
  return `${part('year')}年${part('month')}月${part('day')}日`;
}

async function answerMyHours(learnerId: Types.ObjectId, now: Date): Promise<IntentAnswer> {
  const hours = await myHours(learnerId, undefined, now);
  const earned = `您${hours.year}年已获得 ${formatHours(hours.earnedHours)} 学时`;
  let text: string;
  if (!hours.bound) {
    text =
      `${earned}（平台学习）。您还没有绑定员工身份，所以查不到本单位的学时要求和旧系统的培训记录，` +
      '请在小程序"我的"页面绑定工号。';
  } else if (hours.requiredHours === null || hours.missingHours === null) {
    text = `${earned}。本单位没有设置${hours.year}年的学时要求。`;
  } else if (hours.missingHours > 0) {
    text =
      `${earned}，本单位要求 ${formatHours(hours.requiredHours)} 学时，` +
      `还差 ${formatHours(hours.missingHours)} 学时。`;
  } else {
    text = `${earned}，已达到本单位 ${formatHours(hours.requiredHours)} 学时的要求。`;
  }
  return { intent: 'my_hours', text, courses: [] };
}

/**
 * Lists the learner's required courses that are not complete. A required course is one assigned
 * to the learner (enrolment source `assigned`); completion is the course completion record.
 */
async function answerRequiredCourses(learnerId: Types.ObjectId): Promise<IntentAnswer> {
  const assigned = await EnrolmentModel.find(
    { learnerId, source: 'assigned', revokedAt: null },
    { courseId: 1, enrolledAt: 1 },
  )
    .sort({ enrolledAt: 1, _id: 1 })
    .lean();
  if (assigned.length === 0) {
    return { intent: 'required_courses', text: '您目前没有被指派的必修课。', courses: [] };
  }

  const completed = await CourseCompletionModel.find({ learnerId }, { courseId: 1 }).lean();
  const completedIds = new Set(completed.map((item) => item.courseId.toHexString()));
  const unfinishedIds = assigned
    .map((item) => item.courseId.toHexString())
    .filter((id) => !completedIds.has(id));
  if (unfinishedIds.length === 0) {
    return {
      intent: 'required_courses',
      text: `您的 ${assigned.length} 门必修课都已学完。`,
      courses: [],
    };
  }

  const listed = unfinishedIds.slice(0, MAX_LISTED_REQUIRED_COURSES);
  const courses = await CourseModel.find({ _id: trusted({ $in: listed }) }, { title: 1 }).lean();
  const titleOf = new Map(courses.map((course) => [course._id.toHexString(), course.title]));
  const links = listed
    .filter((id) => titleOf.has(id))
    .map((id) => courseLink(id, titleOf.get(id) ?? ''));
  const lead =
    unfinishedIds.length > links.length
      ? `您还有 ${unfinishedIds.length} 门必修课没有学完，最早指派的 ${links.length} 门是：`
      : `您还有 ${unfinishedIds.length} 门必修课没有学完：`;
  return { intent: 'required_courses', text: lead, courses: links };
}

async function answerLastExam(learnerId: Types.ObjectId): Promise<IntentAnswer> {
  const [latest] = await AttemptResultModel.find({ learnerId })
    .sort({ submittedAt: -1, _id: -1 })
    .limit(1)
    .lean();
  if (!latest) {
    return { intent: 'last_exam', text: '您还没有提交过考试或测验。', courses: [] };
  }
  const [quiz, attempts] = await Promise.all([
    QuizModel.findById(latest.quizId, { title: 1, passPercent: 1, maxAttempts: 1 }).lean(),
    AttemptModel.countDocuments({ learnerId, quizId: latest.quizId }),
  ]);
  const title = quiz?.title ?? '（已删除的测验）';
  const score =
    `您最近一次考试是《${title}》，${shanghaiDateText(latest.submittedAt)}交卷，` +
    `得分 ${latest.score}/${latest.maxScore}（${latest.percent}%）`;
  if (latest.passed) return { intent: 'last_exam', text: `${score}，已通过。`, courses: [] };

  const passLine = quiz ? `及格线是 ${quiz.passPercent}%` : '';
  const remaining =
    quiz && quiz.maxAttempts !== null
      ? `，还可以再考 ${Math.max(0, quiz.maxAttempts - attempts)} 次`
      : '';
  return {
    intent: 'last_exam',
    text: `${score}，未通过${passLine === '' ? '' : `，${passLine}`}${remaining}。`,
    courses: [],
  };
}

async function answerCourseSearch(topic: string): Promise<IntentAnswer> {
  const { items, total } = await listCourses({
    q: topic,
    page: 1,
    pageSize: MAX_SEARCH_COURSES,
  });
  if (items.length === 0) {
    return {
      intent: 'course_search',
      text: `暂时没有找到和"${topic}"相关的课程，可以换个关键词再问，或者在小程序里按分类浏览。`,
      courses: [],
    };
  }
  const lead =
    total > items.length
      ? `找到 ${total} 门和"${topic}"相关的课程，最相关的 ${items.length} 门是：`
      : `找到 ${total} 门和"${topic}"相关的课程：`;
  return {
    intent: 'course_search',
    text: lead,
    courses: items.map((course) => courseLink(course._id.toHexString(), course.title)),
  };
}

/**
 * Builds the reply to an intent, reading the asker's own records for a personal intent and the
 * catalog for a course search. A question about someone else's records gets OTHERS_RECORDS_TEXT.
 * Personal intents need a known learner and a one-to-one chat: an unbound sender gets
 * UNBOUND_SENDER_TEXT and a group chat gets GROUP_PERSONAL_TEXT. None of these three reads any
 * learner's records.
 */
export async function answerIntent(
  intent: DetectedIntent,
  asker: IntentAsker,
  now: Date,
): Promise<IntentAnswer> {
  if (intent.kind === 'course_search') return answerCourseSearch(intent.topic);
  if (intent.kind === 'others_records') {
    return { intent: intent.about, text: OTHERS_RECORDS_TEXT, courses: [] };
  }
  if (asker.inGroup) return { intent: intent.kind, text: GROUP_PERSONAL_TEXT, courses: [] };
  if (asker.learnerId === null) {
    return { intent: intent.kind, text: UNBOUND_SENDER_TEXT, courses: [] };
  }
  switch (intent.kind) {
    case 'my_hours':
      return answerMyHours(asker.learnerId, now);
    case 'required_courses':
      return answerRequiredCourses(asker.learnerId);
    case 'last_exam':
      return answerLastExam(asker.learnerId);
  }
}
