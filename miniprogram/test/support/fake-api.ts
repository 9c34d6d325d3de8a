// An in-memory stand-in for the API server, listening on 127.0.0.1, for tests of the mini-program's
// services and of the H5 build. It follows the routes and error format of @wxlearn/api-types with
// a few fixed courses and one quiz, and tests can make it fail in the ways the client must handle.
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import type {
  ApiErrorBody,
  ApiErrorId,
  AttemptResult,
  AttemptView,
  CategoriesResponse,
  CourseDetail,
  CourseSummary,
  SessionEndResponse,
  HeartbeatPayload,
  LearnerProfile,
  LearningSessionView,
  LessonDetail,
  LessonProgressView,
  MyHoursResponse,
  OrderView,
  PushNotice,
  QuestionView,
  QuizSummary,
  SubscribeMessageChoice,
} from '@wxlearn/api-types';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

interface ScriptedFailure {
  status: number;
  /** JSON body, or raw text sent as text/html. */
  body: unknown;
  remaining: number;
}

export interface FakeLearningSession {
  view: LearningSessionView;
  learnerId: string;
  clientSessionId: string;
  /** Accepted heartbeats in the order they arrived. */
  accepted: HeartbeatPayload[];
  /** Every seq received, accepted or not. */
  receivedSeqs: Set<number>;
}

/** Heartbeat period of sessions started on the stand-in API. */
export const FAKE_HEARTBEAT_INTERVAL_MS = 15_000;

/** Resume position of the first session a learner starts on a lesson. */
export const FAKE_FIRST_RESUME_POSITION = 0.4;

export interface FakeApi {
  /** Origin such as `http://127.0.0.1:40123`. */
  url: string;
  requests: RecordedRequest[];
  /** Makes every session issued so far invalid; later requests with them get 401 with `id`. */
  revokeSessions(id: 'session_expired' | 'unauthenticated'): void;
  /** Replies 409 `login_code_reused` to the next `count` logins. */
  rejectLoginCodesAsReused(count: number): void;
  /** Replies with `status` and `body` to the next `count` requests whose path is `pathname`. */
  failNext(pathname: string, status: number, body: unknown, count?: number): void;
  /**
   * Closes the connection without a response for the next `count` requests whose path starts
   * with `pathPrefix`, as a lost network does.
   */
  dropNext(pathPrefix: string, count: number): void;
  /** Learning sessions started so far, with the heartbeats each has accepted, by session id. */
  learningSessions: Map<string, FakeLearningSession>;
  /** Orders of the paid course, by order id. */
  orders: Map<string, FakeOrder>;
  /** Marks an order paid, as the server does when WeChat Pay notifies it. */
  markOrderPaid(orderId: string): void;
  /** Subscription grants recorded by `POST /api/me/subscriptions`, one per accepted template. */
  subscriptionGrants: FakeSubscriptionGrant[];
  /** Click tokens of `GET /api/push/open` calls that matched a notice, in order, repeats included. */
  pushOpens: string[];
  close(): Promise<void>;
}

export interface FakeSubscriptionGrant {
  learnerId: string;
  templateId: string;
  requestId: string;
}

/** Subscription template id that `GET /api/me/push-opt-out` returns. */
export const FAKE_SUBSCRIBE_TEMPLATE_ID = 'weeklyCourseSubscribe01';

/** Click token in the link of every learner's in-app notice. */
export const FAKE_NOTICE_CLICK_TOKEN = 'fakeClickToken00000001';

/** Returns the one in-app notice that every learner has: a recommendation of the first course. */
function fakeNotice(): PushNotice {
  const courseId = '65a000000000000000000001';
  return {
    id: '65f000000000000000000001',
    title: '本周为你推荐',
    body: '《CMU 15-445：数据库系统》：同部门 12 人在学',
    path: `/packages/course/detail/index?id=${courseId}&pt=${FAKE_NOTICE_CLICK_TOKEN}`,
    courseId,
    createdAt: '2026-11-30T01:00:00.000Z',
  };
}

export interface FakeOrder {
  view: OrderView;
  learnerId: string;
  /**
   * Reads of the order left before it turns paid, after the development payment route was
   * called; null until then. It replaces the WeChat Pay notification that arrives later.
   */
  readsUntilPaid: number | null;
}

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};

const ARTICLE = [
  '# 什么是数据库',
  '',
  '数据库是**按结构组织**的数据集合，课程网站：<https://example.com/db>。',
  '',
  '- 关系模型',
  '- SQL 查询',
  '  - 选择与投影',
  '',
  '```sql',
  'SELECT name FROM courses;',
  '```',
].join('\n');

function summary(id: string, title: string, category: string, lessonCount: number): CourseSummary {
  return {
    id,
    code: `C-${id.slice(-4)}`,
    title,
    category,
    subcategory: null,
    summary: `${title}的课程简介。`,
    creditHours: 4,
    studyTimeText: '50-70 小时',
    university: 'MIT',
    difficulty: 3,
    lessonCount,
    priceFen: null,
  };
}

/** Description of the first course, in Markdown as imported course pages have it. */
const MARKDOWN_DESCRIPTION = [
  '这门课配套一个教学用的关系型数据库 [bustub](https://github.com/cmu-db/bustub)。',
  '',
  '四个 Project 从 `Project #1` 做到 `Project #4`，**循序渐进**。',
].join('\n');

const COURSES: CourseSummary[] = [
  {
    ...summary('65a000000000000000000001', 'CMU 15-445：数据库系统', '数据库系统', 3),
    // Markup the app must not show in a list.
    summary: '配套教学数据库 [bustub](https://github.com/cmu-db/bustub)，实现 `Buffer Pool`。',
  },
  summary('65a000000000000000000002', 'MIT 6.S081：操作系统工程', '操作系统', 0),
  // A course whose hours are not set yet.
  {
    ...summary('65a000000000000000000003', 'CS61A：计算机程序的构造和解释', '编程入门', 0),
    creditHours: null,
  },
];

/** A course sold for 99 yuan. It is in no list, only reachable by its id. */
export const PAID_COURSE: CourseSummary = {
  ...summary('65a000000000000000000009', '精品课：数据库调优实战', '数据库系统', 0),
  priceFen: 9900,
};

const QUIZ: QuizSummary = {
  id: '65b000000000000000000001',
  title: '数据库基础测验',
  questionCount: 3,
  timeLimitSeconds: null,
  passPercent: 60,
  maxAttempts: null,
};

/** A timed quiz whose attempts end 3 s after they start. */
const TIMED_QUIZ: QuizSummary = {
  id: '65b000000000000000000002',
  title: '限时小测',
  questionCount: 3,
  timeLimitSeconds: 3,
  passPercent: 60,
  maxAttempts: null,
};

const QUIZZES = [QUIZ, TIMED_QUIZ];

const QUESTIONS: (QuestionView & { answer: string[]; explanation: string })[] = [
  {
    id: '65c000000000000000000001',
    type: 'single',
    format: 'plain',
    stem: 'SQL 中用于查询数据的语句是？',
    options: [
      { key: 'A', text: 'SELECT' },
      { key: 'B', text: 'DELETE' },
      { key: 'C', text: 'DROP' },
      { key: 'D', text: 'GRANT' },
    ],
    points: 1,
    answer: ['A'],
    explanation: 'SELECT 用于查询。',
  },
  {
    id: '65c000000000000000000002',
    type: 'multiple',
    format: 'html',
    stem: '以下哪些是<b>关系</b>数据库？',
    options: [
      { key: 'A', text: 'PostgreSQL' },
      { key: 'B', text: 'MySQL' },
      { key: 'C', text: 'Redis' },
    ],
    points: 2,
    answer: ['A', 'B'],
    explanation: 'Redis 是键值存储。',
  },
  {
    id: '65c000000000000000000003',
    type: 'truefalse',
    format: 'markdown',
    stem: '**主键**可以重复。',
    options: [],
    points: 1,
    answer: ['F'],
    explanation: '主键唯一。',
  },
];

function courseDetail(
  course: CourseSummary,
  enrolledAt: string | undefined,
  purchased = false,
): CourseDetail {
  const first = course.id === COURSES[0]?.id;
  return {
    ...course,
    description: first ? MARKDOWN_DESCRIPTION : `${course.title}是一门经典课程。\n适合自学。`,
    prerequisites: '无',
    website: 'https://example.com/course',
    chapters: first
      ? [
          {
            id: '65d000000000000000000001',
            title: '第一章 入门',
            lessons: [
              {
                id: '65e000000000000000000001',
                title: '什么是数据库',
                type: 'article',
                position: 1,
              },
              { id: '65e000000000000000000002', title: '课程视频', type: 'video', position: 2 },
              { id: '65e000000000000000000003', title: '讲义', type: 'document', position: 3 },
            ],
          },
        ]
      : [],
    quizzes: first ? [QUIZ] : [],
    enrolment: enrolledAt ? { courseId: course.id, enrolledAt, source: 'self' } : null,
    purchase:
      course.priceFen === null ? null : { priceFen: course.priceFen, purchased, hideOnIos: true },
  };
}

function lessonDetail(lessonId: string): LessonDetail | null {
  const course = COURSES[0];
  if (!course) return null;
  const base = {
    courseId: course.id,
    courseTitle: course.title,
  };
  switch (lessonId) {
    case '65e000000000000000000001':
      return {
        ...base,
        id: lessonId,
        title: '什么是数据库',
        type: 'article',
        position: 1,
        content: { type: 'article', markdown: ARTICLE, wordCount: 60 },
        previousLessonId: null,
        nextLessonId: '65e000000000000000000002',
      };
    case '65e000000000000000000002':
      return {
        ...base,
        id: lessonId,
        title: '课程视频',
        type: 'video',
        position: 2,
        // Media paths point at this server, which has no such files, so that no browser test
        // requests another host.
        content: { type: 'video', url: '/media/video.mp4', durationSeconds: 600 },
        previousLessonId: '65e000000000000000000001',
        nextLessonId: '65e000000000000000000003',
      };
    case '65e000000000000000000003':
      return {
        ...base,
        id: lessonId,
        title: '讲义',
        type: 'document',
        position: 3,
        content: { type: 'document', url: '/media/notes.pdf', pageCount: 12 },
        previousLessonId: '65e000000000000000000002',
        nextLessonId: null,
      };
    default:
      return null;
  }
}

/** Returns the org-unit requirement of the bound test employee, set for this and last year only. */
function requiredHoursFor(year: number, currentYear: number): number | null {
  if (year === currentYear) return 50;
  if (year === currentYear - 1) return 48;
  return null;
}

/**
 * Builds the response of `GET /api/me/hours`. In the current year every learner has completed the
 * first course and studies the other two. A bound learner also has one imported record in the
 * current year and three in the previous one. Other years are empty.
 */
function myHours(bound: boolean, year: number, currentYear: number): MyHoursResponse {
  const [first, second, third] = COURSES;
  const courses: MyHoursResponse['courses'] = [];
  const records: MyHoursResponse['records'] = [];
  if (year === currentYear && first && second && third) {
    courses.push(
      {
        courseId: first.id,
        title: first.title,
        learningSeconds: 12_000,
        complete: true,
        completedAt: `${year}-01-02T06:30:00.000Z`,
        creditHours: first.creditHours,
        earnedHours: first.creditHours ?? 0,
      },
      {
        courseId: second.id,
        title: second.title,
        learningSeconds: 2_700,
        complete: false,
        completedAt: null,
        creditHours: second.creditHours,
        earnedHours: 0,
      },
      {
        courseId: third.id,
        title: third.title,
        learningSeconds: 1_500,
        complete: false,
        completedAt: null,
        creditHours: third.creditHours,
        earnedHours: 0,
      },
    );
    records.push({
      kind: 'course',
      title: first.title,
      hours: first.creditHours ?? 0,
      completedOn: `${year}-01-02`,
      source: '平台学习',
      courseId: first.id,
    });
  }
  if (bound && year === currentYear) {
    records.push({
      kind: 'legacy',
      title: '新员工入职培训',
      hours: 2.5,
      completedOn: `${year}-01-01`,
      source: '原培训管理系统',
      courseId: null,
    });
  }
  if (bound && year === currentYear - 1) {
    const legacy = (title: string, hours: number, completedOn: string) => ({
      kind: 'legacy' as const,
      title,
      hours,
      completedOn: `${year}-${completedOn}`,
      source: '原培训管理系统',
      courseId: null,
    });
    records.push(
      legacy('安全生产法规解读', 12, '11-20'),
      legacy('客户服务礼仪', 8, '06-15'),
      legacy('反洗钱基础知识', 30, '03-08'),
    );
  }

  const earnedHours = Math.round(records.reduce((sum, item) => sum + item.hours, 0) * 10) / 10;
  const requiredHours = bound ? requiredHoursFor(year, currentYear) : null;
  return {
    year,
    bound,
    earnedHours,
    requiredHours,
    missingHours:
      requiredHours === null
        ? null
        : Math.round(Math.max(0, requiredHours - earnedHours) * 10) / 10,
    learningSeconds: courses.reduce((sum, item) => sum + item.learningSeconds, 0),
    courses,
    records,
  };
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly id: ApiErrorId,
  ) {
    super(id);
  }
}

function newId(): string {
  return randomBytes(12).toString('hex');
}

async function readJson(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpFailure(400, 'validation_failed');
  }
}

export async function startFakeApi(options: { staticDir?: string } = {}): Promise<FakeApi> {
  const requests: RecordedRequest[] = [];
  const issuedCodes = new Map<string, string>(); // code -> learner
  const usedCodes = new Set<string>();
  const sessions = new Map<string, { learnerId: string; revokedAs: ApiErrorId | null }>();
  const learners = new Map<string, LearnerProfile>();
  const enrolments = new Map<string, Map<string, string>>(); // learnerId -> courseId -> time
  const attempts = new Map<string, { learnerId: string; view: AttemptView }>();
  const failures = new Map<string, ScriptedFailure>();
  const drops = new Map<string, number>(); // path prefix -> requests left to drop
  const learningSessions = new Map<string, FakeLearningSession>();
  const orders = new Map<string, FakeOrder>();
  const subscriptionGrants: FakeSubscriptionGrant[] = [];
  const pushOpens: string[] = [];
  const optedOutLearners = new Set<string>();
  let reusedLogins = 0;

  function markOrderPaid(order: FakeOrder): void {
    order.view.state = 'paid';
    order.view.paidAt = new Date().toISOString();
    order.readsUntilPaid = null;
  }

  function hasPurchased(learnerId: string, courseId: string): boolean {
    return [...orders.values()].some(
      (order) =>
        order.learnerId === learnerId &&
        order.view.courseId === courseId &&
        order.view.state === 'paid',
    );
  }

  function learnerFor(name: string): LearnerProfile {
    let learner = [...learners.values()].find((item) => item.nickname === name);
    if (!learner) {
      learner = { id: newId(), nickname: name, binding: null, createdAt: new Date().toISOString() };
      learners.set(learner.id, learner);
    }
    return learner;
  }

  function authenticate(request: http.IncomingMessage): LearnerProfile {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    const session = sessions.get(token);
    if (!session) throw new HttpFailure(401, 'unauthenticated');
    if (session.revokedAs) throw new HttpFailure(401, session.revokedAs);
    const learner = learners.get(session.learnerId);
    if (!learner) throw new HttpFailure(401, 'unauthenticated');
    return learner;
  }

  function grade(view: AttemptView): AttemptResult {
    let score = 0;
    let maxScore = 0;
    const questions = QUESTIONS.map((question) => {
      const choice = view.answers[question.id] ?? [];
      const correct = [...choice].sort().join() === [...question.answer].sort().join();
      maxScore += question.points;
      if (correct) score += question.points;
      const { answer, explanation, ...shown } = question;
      return { ...shown, choice, correctAnswer: answer, correct, explanation };
    });
    const percent = Math.round((score / maxScore) * 1000) / 10;
    return {
      id: view.id,
      quizId: view.quizId,
      quizTitle: view.quizTitle,
      submittedAt: new Date().toISOString(),
      score,
      maxScore,
      percent,
      passed: percent >= (QUIZZES.find((quiz) => quiz.id === view.quizId)?.passPercent ?? 0),
      questions,
    };
  }

  async function route(
    method: string,
    pathname: string,
    query: URLSearchParams,
    request: http.IncomingMessage,
    body: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const ok = (value: unknown) => ({ status: 200, body: value });

    if (method === 'POST' && pathname === '/api/dev/login-code') {
      const learner = (body as { learner?: string } | undefined)?.learner ?? 'dev-learner';
      const code = newId();
      issuedCodes.set(code, learner);
      return ok({ code });
    }
    if (method === 'POST' && pathname === '/api/auth/login') {
      const code = (body as { code?: unknown } | undefined)?.code;
      if (typeof code !== 'string') throw new HttpFailure(400, 'validation_failed');
      if (reusedLogins > 0) {
        reusedLogins -= 1;
        throw new HttpFailure(409, 'login_code_reused');
      }
      if (usedCodes.has(code)) throw new HttpFailure(409, 'login_code_reused');
      const learnerName = issuedCodes.get(code);
      if (learnerName === undefined) throw new HttpFailure(401, 'invalid_login_code');
      usedCodes.add(code);
      const learner = learnerFor(learnerName);
      const token = newId();
      sessions.set(token, { learnerId: learner.id, revokedAs: null });
      const expiresAt = new Date(Date.now() + 3600_000).toISOString();
      return ok({ token, expiresAt, learner });
    }

    // As on the server, the open of a pushed message's link needs no session.
    if (method === 'GET' && pathname === '/api/push/open') {
      const token = query.get('t') ?? '';
      if (!/^[A-Za-z0-9_-]{22}$/.test(token)) throw new HttpFailure(400, 'validation_failed');
      const notice = fakeNotice();
      if (token !== FAKE_NOTICE_CLICK_TOKEN) throw new HttpFailure(404, 'not_found');
      pushOpens.push(token);
      return ok({ path: notice.path, courseId: notice.courseId });
    }

    const learner = authenticate(request);
    const myEnrolments = enrolments.get(learner.id) ?? new Map<string, string>();
    enrolments.set(learner.id, myEnrolments);
    let match: RegExpExecArray | null;

    if (method === 'GET' && pathname === '/api/me') return ok(learner);
    if (method === 'POST' && pathname === '/api/me/binding') {
      const { employeeNo, name } = (body ?? {}) as { employeeNo?: string; name?: string };
      if (learner.binding) throw new HttpFailure(409, 'learner_already_bound');
      if (employeeNo !== 'E1001' || name !== '张三')
        throw new HttpFailure(404, 'employee_not_found');
      learner.binding = {
        employeeNo,
        name,
        post: '客户经理',
        orgUnit: {
          id: newId(),
          code: 'GZ',
          name: '广州分公司',
          pathNames: ['总部', '广东', '广州分公司'],
        },
        boundAt: new Date().toISOString(),
      };
      return ok(learner);
    }
    if (method === 'GET' && pathname === '/api/categories') {
      const names = [...new Set(COURSES.map((course) => course.category))];
      const response: CategoriesResponse = {
        items: names.map((name) => ({
          name,
          courseCount: COURSES.filter((course) => course.category === name).length,
          children: [],
        })),
      };
      return ok(response);
    }
    if (method === 'GET' && pathname === '/api/courses') {
      const q = query.get('q') ?? '';
      const category = query.get('category') ?? '';
      const page = Number(query.get('page') ?? '1');
      const pageSize = Number(query.get('pageSize') ?? '20');
      const found = COURSES.filter(
        (course) =>
          (q === '' || course.title.toLowerCase().includes(q.toLowerCase())) &&
          (category === '' || course.category === category),
      );
      const items = found.slice((page - 1) * pageSize, page * pageSize);
      return ok({ items, page, pageSize, total: found.length });
    }
    if ((match = /^\/api\/courses\/([0-9a-f]{24})$/.exec(pathname)) && method === 'GET') {
      const course = [...COURSES, PAID_COURSE].find((item) => item.id === match?.[1]);
      if (!course) throw new HttpFailure(404, 'not_found');
      const purchased = hasPurchased(learner.id, course.id);
      return ok(courseDetail(course, myEnrolments.get(course.id), purchased));
    }
    if (method === 'POST' && pathname === '/api/orders') {
      const courseId = (body as { courseId?: unknown } | undefined)?.courseId;
      if (courseId !== PAID_COURSE.id) {
        const free = COURSES.some((course) => course.id === courseId);
        throw new HttpFailure(free ? 409 : 404, free ? 'course_not_for_sale' : 'not_found');
      }
      if (hasPurchased(learner.id, courseId))
        throw new HttpFailure(409, 'course_already_purchased');
      let order = [...orders.values()].find(
        (item) => item.learnerId === learner.id && item.view.state === 'pending',
      );
      const reused = order !== undefined;
      if (!order) {
        const now = Date.now();
        order = {
          view: {
            id: newId(),
            courseId,
            courseTitle: PAID_COURSE.title,
            amountFen: PAID_COURSE.priceFen ?? 0,
            state: 'pending',
            createdAt: new Date(now).toISOString(),
            expiresAt: new Date(now + 30 * 60_000).toISOString(),
            paidAt: null,
            refundedFen: 0,
          },
          learnerId: learner.id,
          readsUntilPaid: null,
        };
        orders.set(order.view.id, order);
      }
      const payment = {
        timeStamp: String(Math.floor(Date.now() / 1000)),
        nonceStr: newId(),
        package: `prepay_id=wx${order.view.id}`,
        signType: 'RSA',
        paySign: 'fake-pay-sign',
      };
      return { status: reused ? 200 : 201, body: { order: order.view, payment, reused } };
    }
    if ((match = /^\/api\/orders\/([0-9a-f]{24})$/.exec(pathname)) && method === 'GET') {
      const order = orders.get(match[1] ?? '');
      if (!order || order.learnerId !== learner.id) throw new HttpFailure(404, 'not_found');
      if (order.readsUntilPaid !== null) {
        order.readsUntilPaid -= 1;
        if (order.readsUntilPaid <= 0) markOrderPaid(order);
      }
      return ok(order.view);
    }
    if ((match = /^\/api\/dev\/orders\/([0-9a-f]{24})\/pay$/.exec(pathname)) && method === 'POST') {
      const order = orders.get(match[1] ?? '');
      if (!order || order.learnerId !== learner.id) throw new HttpFailure(404, 'not_found');
      if (order.view.state !== 'pending') throw new HttpFailure(409, 'order_not_pending');
      // The notification arrives after the first read: the client must poll.
      order.readsUntilPaid = 2;
      return { status: 202, body: { accepted: true } };
    }
    if (
      (match = /^\/api\/courses\/([0-9a-f]{24})\/enrolment$/.exec(pathname)) &&
      method === 'POST'
    ) {
      const course = COURSES.find((item) => item.id === match?.[1]);
      if (!course) throw new HttpFailure(404, 'not_found');
      const enrolledAt = myEnrolments.get(course.id) ?? new Date().toISOString();
      myEnrolments.set(course.id, enrolledAt);
      return ok({ courseId: course.id, enrolledAt, source: 'self' });
    }
    if (method === 'GET' && pathname === '/api/me/courses') {
      const items = COURSES.filter((course) => myEnrolments.has(course.id)).map((course) => ({
        course,
        enrolledAt: myEnrolments.get(course.id),
      }));
      return ok({ items });
    }
    if (method === 'POST' && pathname === '/api/me/subscriptions') {
      const { requestId, results } = (body ?? {}) as {
        requestId?: unknown;
        results?: Record<string, SubscribeMessageChoice>;
      };
      if (typeof requestId !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(requestId) || !results)
        throw new HttpFailure(400, 'validation_failed');
      let recorded = 0;
      for (const [templateId, choice] of Object.entries(results)) {
        if (choice !== 'accept') continue;
        const repeated = subscriptionGrants.some(
          (grant) =>
            grant.learnerId === learner.id &&
            grant.templateId === templateId &&
            grant.requestId === requestId,
        );
        if (repeated) continue;
        subscriptionGrants.push({ learnerId: learner.id, templateId, requestId });
        recorded += 1;
      }
      return ok({ recorded });
    }
    if (method === 'GET' && pathname === '/api/me/push-opt-out') {
      return ok({
        optedOut: optedOutLearners.has(learner.id),
        subscribeTemplateId: FAKE_SUBSCRIBE_TEMPLATE_ID,
      });
    }
    if (method === 'POST' && pathname === '/api/me/push-opt-out') {
      const optedOut = (body as { optedOut?: unknown } | undefined)?.optedOut;
      if (typeof optedOut !== 'boolean') throw new HttpFailure(400, 'validation_failed');
      if (optedOut) optedOutLearners.add(learner.id);
      else optedOutLearners.delete(learner.id);
      return ok({ optedOut });
    }
    if (method === 'GET' && pathname === '/api/me/notices') {
      return ok({ items: [fakeNotice()] });
    }
    if (method === 'GET' && pathname === '/api/me/hours') {
      // Calendar years in Asia/Shanghai (UTC+8), as the server counts them.
      const currentYear = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();
      const text = query.get('year');
      const year = text === null ? currentYear : Number(text);
      if (!Number.isInteger(year) || year < 2000 || year > currentYear) {
        throw new HttpFailure(400, 'validation_failed');
      }
      return ok(myHours(learner.binding !== null, year, currentYear));
    }
    if ((match = /^\/api\/lessons\/([0-9a-f]{24})$/.exec(pathname)) && method === 'GET') {
      const lesson = lessonDetail(match[1] ?? '');
      if (!lesson) throw new HttpFailure(404, 'not_found');
      return ok(lesson);
    }
    if (method === 'GET' && pathname === '/api/quizzes') {
      const courseId = COURSES[0]?.id ?? null;
      const items = QUIZZES.map((quiz) => ({ ...quiz, courseId }));
      return ok({ items, page: 1, pageSize: 20, total: items.length });
    }
    if ((match = /^\/api\/quizzes\/([0-9a-f]{24})$/.exec(pathname)) && method === 'GET') {
      const quiz = QUIZZES.find((item) => item.id === match?.[1]);
      if (!quiz) throw new HttpFailure(404, 'not_found');
      return ok({ ...quiz, courseId: COURSES[0]?.id ?? null });
    }
    if (
      (match = /^\/api\/quizzes\/([0-9a-f]{24})\/attempts$/.exec(pathname)) &&
      method === 'POST'
    ) {
      const quiz = QUIZZES.find((item) => item.id === match?.[1]);
      if (!quiz) throw new HttpFailure(404, 'not_found');
      const open = [...attempts.values()].find(
        (item) =>
          item.learnerId === learner.id &&
          item.view.quizId === quiz.id &&
          item.view.state === 'in_progress',
      );
      if (open) return ok(open.view);
      const startedAt = Date.now();
      const view: AttemptView = {
        id: newId(),
        quizId: quiz.id,
        quizTitle: quiz.title,
        state: 'in_progress',
        startedAt: new Date(startedAt).toISOString(),
        deadline:
          quiz.timeLimitSeconds === null
            ? null
            : new Date(startedAt + quiz.timeLimitSeconds * 1000).toISOString(),
        questions: QUESTIONS.map(
          ({ answer: _answer, explanation: _explanation, ...shown }) => shown,
        ),
        answers: {},
      };
      attempts.set(view.id, { learnerId: learner.id, view });
      return ok(view);
    }
    match = /^\/api\/attempts\/([0-9a-f]{24})(\/.*)?$/.exec(pathname);
    if (match) {
      const attempt = attempts.get(match[1] ?? '');
      if (!attempt || attempt.learnerId !== learner.id) throw new HttpFailure(404, 'not_found');
      const rest = match[2] ?? '';
      const answer = /^\/answers\/([0-9a-f]{24})$/.exec(rest);
      // An attempt past its deadline is graded with the answers saved in time, and it takes no
      // more answers or submissions.
      const deadline =
        attempt.view.deadline === null ? Infinity : Date.parse(attempt.view.deadline);
      const expired = attempt.view.state === 'in_progress' && Date.now() > deadline;
      if (expired) attempt.view.state = 'submitted';
      if (method === 'GET' && rest === '') return ok(attempt.view);
      if (method === 'PUT' && answer) {
        if (expired) throw new HttpFailure(409, 'attempt_expired');
        if (attempt.view.state === 'submitted') throw new HttpFailure(409, 'attempt_submitted');
        const questionId = answer[1] ?? '';
        if (!QUESTIONS.some((question) => question.id === questionId)) {
          throw new HttpFailure(400, 'question_not_in_attempt');
        }
        const choice = (body as { choice?: unknown } | undefined)?.choice;
        if (!Array.isArray(choice)) throw new HttpFailure(400, 'validation_failed');
        attempt.view.answers[questionId] = choice.map(String);
        return ok({ saved: true });
      }
      if (method === 'POST' && rest === '/submit') {
        if (expired) throw new HttpFailure(409, 'attempt_expired');
        if (attempt.view.state === 'submitted') throw new HttpFailure(409, 'attempt_submitted');
        attempt.view.state = 'submitted';
        return ok(grade(attempt.view));
      }
      if (method === 'GET' && rest === '/result') {
        if (attempt.view.state !== 'submitted') throw new HttpFailure(409, 'attempt_not_submitted');
        return ok(grade(attempt.view));
      }
    }
    if (pathname.startsWith('/api/learning/')) {
      return routeLearning(method, pathname, learner, body);
    }
    throw new HttpFailure(404, 'not_found');
  }

  function lessonProgress(learnerId: string, lessonId: string): LessonProgressView {
    const sessions = [...learningSessions.values()].filter(
      (item) => item.learnerId === learnerId && item.view.lessonId === lessonId,
    );
    const heartbeats = sessions.flatMap((item) => item.accepted);
    const positions = heartbeats.flatMap((item) =>
      typeof item.position === 'number' ? [item.position] : [],
    );
    return {
      lessonId,
      creditedSeconds: 0,
      complete: false,
      watchedSeconds: null,
      pagesSeen: null,
      maxScrollRatio: positions.length > 0 ? Math.max(...positions) : null,
      lastPosition: positions.at(-1) ?? null,
    };
  }

  /**
   * Accepts each heartbeat whose seq is new and not below the highest accepted one, and rejects
   * the rest as `duplicate`, `late` or, once the session has ended, `after_end`.
   */
  function receiveHeartbeats(
    session: FakeLearningSession,
    heartbeats: HeartbeatPayload[],
  ): SessionEndResponse {
    const acceptedSeqs: number[] = [];
    const rejected: SessionEndResponse['rejected'] = [];
    for (const heartbeat of heartbeats) {
      const highest = session.accepted.at(-1)?.seq ?? 0;
      if (session.view.endedAt !== null) {
        rejected.push({ seq: heartbeat.seq, reason: 'after_end' });
      } else if (session.receivedSeqs.has(heartbeat.seq)) {
        rejected.push({ seq: heartbeat.seq, reason: 'duplicate' });
      } else if (heartbeat.seq < highest) {
        rejected.push({ seq: heartbeat.seq, reason: 'late' });
      } else {
        session.accepted.push(heartbeat);
        acceptedSeqs.push(heartbeat.seq);
      }
      session.receivedSeqs.add(heartbeat.seq);
    }
    return {
      sessionId: session.view.id,
      acceptedSeqs,
      rejected,
      creditedSeconds: 0,
      endedAt: session.view.endedAt,
      lesson: lessonProgress(session.learnerId, session.view.lessonId),
    };
  }

  function routeLearning(
    method: string,
    pathname: string,
    learner: LearnerProfile,
    body: unknown,
  ): { status: number; body: unknown } {
    const ok = (value: unknown) => ({ status: 200, body: value });
    if (method === 'POST' && pathname === '/api/learning/sessions') {
      const { lessonId, clientSessionId } = (body ?? {}) as Record<string, unknown>;
      if (typeof lessonId !== 'string' || typeof clientSessionId !== 'string') {
        throw new HttpFailure(400, 'validation_failed');
      }
      if (!lessonDetail(lessonId)) throw new HttpFailure(404, 'not_found');
      const existing = [...learningSessions.values()].find(
        (item) => item.learnerId === learner.id && item.clientSessionId === clientSessionId,
      );
      if (existing) return ok(existing.view);
      const progress = lessonProgress(learner.id, lessonId);
      const view: LearningSessionView = {
        id: newId(),
        lessonId,
        startedAt: new Date().toISOString(),
        endedAt: null,
        resumePosition: progress.lastPosition ?? FAKE_FIRST_RESUME_POSITION,
        heartbeatIntervalMs: FAKE_HEARTBEAT_INTERVAL_MS,
      };
      learningSessions.set(view.id, {
        view,
        learnerId: learner.id,
        clientSessionId,
        accepted: [],
        receivedSeqs: new Set(),
      });
      return ok(view);
    }
    const sessionMatch = /^\/api\/learning\/sessions\/([0-9a-f]{24})\/(heartbeats|end)$/.exec(
      pathname,
    );
    if (sessionMatch && method === 'POST') {
      const session = learningSessions.get(sessionMatch[1] ?? '');
      if (!session || session.learnerId !== learner.id) throw new HttpFailure(404, 'not_found');
      if (sessionMatch[2] === 'heartbeats') {
        const heartbeats = (body as { heartbeats?: unknown } | undefined)?.heartbeats;
        if (!Array.isArray(heartbeats) || heartbeats.length < 1 || heartbeats.length > 200) {
          throw new HttpFailure(400, 'validation_failed');
        }
        return ok(receiveHeartbeats(session, heartbeats as HeartbeatPayload[]));
      }
      const finalHeartbeat = (body as { finalHeartbeat?: HeartbeatPayload } | undefined)
        ?.finalHeartbeat;
      const response = receiveHeartbeats(session, finalHeartbeat ? [finalHeartbeat] : []);
      session.view.endedAt ??= new Date().toISOString();
      return ok({ ...response, endedAt: session.view.endedAt });
    }
    const progressMatch = /^\/api\/learning\/lessons\/([0-9a-f]{24})\/progress$/.exec(pathname);
    if (progressMatch && method === 'GET') {
      return ok(lessonProgress(learner.id, progressMatch[1] ?? ''));
    }
    throw new HttpFailure(404, 'not_found');
  }

  async function serveStatic(pathname: string, response: http.ServerResponse): Promise<void> {
    const root = options.staticDir;
    if (!root) {
      response.writeHead(404).end();
      return;
    }
    const resolved = path.resolve(root, `.${decodeURIComponent(pathname)}`);
    const inside = resolved.startsWith(path.resolve(root) + path.sep);
    const isFile = inside && (await stat(resolved).catch(() => null))?.isFile() === true;
    const file = isFile ? resolved : path.join(root, 'index.html');
    const type = MIME_TYPES[path.extname(file)] ?? 'application/octet-stream';
    response.writeHead(200, { 'Content-Type': type }).end(await readFile(file));
  }

  const server = http.createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const method = request.method ?? 'GET';
      if (!url.pathname.startsWith('/api/')) {
        await serveStatic(url.pathname, response);
        return;
      }
      const dropPrefix = [...drops.keys()].find((prefix) => url.pathname.startsWith(prefix));
      if (dropPrefix !== undefined && (drops.get(dropPrefix) ?? 0) > 0) {
        drops.set(dropPrefix, (drops.get(dropPrefix) ?? 0) - 1);
        request.socket.destroy();
        return;
      }
      const requestId = newId();
      let status = 200;
      let body: unknown;
      try {
        const requestBody = await readJson(request);
        requests.push({
          method,
          path: url.pathname,
          authorization: request.headers.authorization,
          body: requestBody,
        });
        const failure = failures.get(url.pathname);
        if (failure && failure.remaining > 0) {
          failure.remaining -= 1;
          status = failure.status;
          body = failure.body;
        } else {
          ({ status, body } = await route(
            method,
            url.pathname,
            url.searchParams,
            request,
            requestBody,
          ));
        }
      } catch (error) {
        if (!(error instanceof HttpFailure)) throw error;
        status = error.status;
        const errorBody: ApiErrorBody = { error: { id: error.id, message: error.id, requestId } };
        body = errorBody;
      }
      if (typeof body === 'string') {
        response.writeHead(status, { 'Content-Type': 'text/html' }).end(body);
      } else {
        response
          .writeHead(status, { 'Content-Type': 'application/json' })
          .end(JSON.stringify(body));
      }
    })().catch((error: unknown) => {
      response.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(error));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    revokeSessions(id) {
      for (const session of sessions.values()) session.revokedAs = id;
    },
    rejectLoginCodesAsReused(count) {
      reusedLogins = count;
    },
    failNext(pathname, status, body, count = 1) {
      failures.set(pathname, { status, body, remaining: count });
    },
    dropNext(pathPrefix, count) {
      drops.set(pathPrefix, count);
    },
    learningSessions,
    orders,
    subscriptionGrants,
    pushOpens,
    markOrderPaid(orderId) {
      const order = orders.get(orderId);
      if (!order) throw new Error(`no fake order ${orderId}`);
      markOrderPaid(order);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
