import type { LearnerProfile, RecommendationsResponse } from '@wxlearn/api-types';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareCourseFields } from '../src/modules/catalog/course-fields.js';
import { CourseModel } from '../src/modules/catalog/course.model.js';
import { EnrolmentModel } from '../src/modules/catalog/enrolment.model.js';
import { LessonModel } from '../src/modules/catalog/lesson.model.js';
import { CourseCompletionModel } from '../src/modules/learning/course-completion.model.js';
import { LessonProgressModel } from '../src/modules/learning/lesson-progress.model.js';
import { BindingModel } from '../src/modules/learners/binding.model.js';
import { LearnerModel } from '../src/modules/learners/learner.model.js';
import { EmployeeModel } from '../src/modules/org/employee.model.js';
import { OrgUnitModel } from '../src/modules/org/org-unit.model.js';
import {
  assignCourse,
  listAssignments,
  removeAssignment,
} from '../src/modules/recommendations/assignments.service.js';
import {
  RecommendationBatch,
  recommendForAllLearners,
  type LearnerPicks,
} from '../src/modules/recommendations/batch.js';
import { CourseAssignmentModel } from '../src/modules/recommendations/course-assignment.model.js';
import { buildModelFromDatabase } from '../src/modules/recommendations/model-from-database.js';
import { courseInput } from './catalog-fixtures.js';
import { startTestServer, type TestServer } from './harness.js';

const DAY_MS = 86_400_000;
/** The server clock of the whole file. Course creation dates are set relative to it. */
const NOW = new Date('2027-03-10T02:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);

let server: TestServer;
const courseIds = new Map<string, Types.ObjectId>();
let learnerA: { id: string; token: string };
let learnerB: { id: string; token: string };

const COURSES = [
  { code: 'R-DB1', title: '数据库系统原理', category: '信息技术', description: '关系模型、SQL 查询、索引与事务，数据库的存储与恢复。', lessons: ['关系模型', '索引与事务'] }, // prettier-ignore
  { code: 'R-DB2', title: '数据库索引与查询优化', category: '信息技术', description: 'B+ 树索引、查询计划与代价估计，让数据库查询更快。' }, // prettier-ignore
  { code: 'R-SAFE', title: '安全生产规范', category: '安全生产', description: '隐患排查、应急预案与劳动防护。' }, // prettier-ignore
  { code: 'R-VISIT', title: '客户拜访技巧', category: '市场营销', description: '拜访前的准备与沟通。' }, // prettier-ignore
  { code: 'R-SHELF', title: '终端陈列指导', category: '市场营销', description: '货架陈列与价签规范。' }, // prettier-ignore
  { code: 'R-BRAND', title: '品牌培育方法', category: '市场营销', description: '品牌定位与消费者调研。' }, // prettier-ignore
  { code: 'R-LAW', title: '专卖法规解读', category: '法律合规', description: '法规条文与执法案例。' }, // prettier-ignore
  { code: 'R-DIGI', title: '数字化转型概论', category: '通用管理', description: '数字化的方法与组织。' }, // prettier-ignore
];

async function createCourses(): Promise<void> {
  for (const course of COURSES) {
    const chapterId = new Types.ObjectId();
    const lessons = course.lessons ?? ['第一课'];
    const created = await CourseModel.create({
      ...prepareCourseFields(
        courseInput({
          code: course.code,
          title: course.title,
          category: course.category,
          description: course.description,
        }),
      ),
      chapters: [{ _id: chapterId, title: '第一章', position: 1 }],
      lessonCount: lessons.length,
    });
    for (const [index, title] of lessons.entries()) {
      await LessonModel.create({
        courseId: created._id,
        chapterId,
        position: index + 1,
        title,
        type: 'article',
        content: { markdown: title, wordCount: 100 },
      });
    }
    // Mongoose keeps createdAt immutable, so the creation dates are set around it.
    const createdAt = course.code === 'R-DIGI' ? daysAgo(2) : daysAgo(400);
    await CourseModel.collection.updateOne({ _id: created._id }, { $set: { createdAt } });
    courseIds.set(course.code, created._id);
  }
}

async function createOrg(): Promise<void> {
  const units = [
    { code: 'RHQ', parentCode: null, path: '/RHQ/', level: 0 },
    { code: 'RGD', parentCode: 'RHQ', path: '/RHQ/RGD/', level: 1 },
    { code: 'RGZ', parentCode: 'RGD', path: '/RHQ/RGD/RGZ/', level: 2 },
    { code: 'RSZ', parentCode: 'RGD', path: '/RHQ/RGD/RSZ/', level: 2 },
  ];
  for (const unit of units) {
    await OrgUnitModel.create({ ...unit, name: unit.code, pathNames: [unit.code], kind: 'unit' });
  }
  const employees = [
    ['R0001', '甲', 'RGZ', '客户经理'],
    ['R0002', '乙', 'RSZ', '配送员'],
    ['R0011', '丙一', 'RGZ', '客户经理'],
    ['R0012', '丙二', 'RGZ', '客户经理'],
    ['R0013', '丙三', 'RGZ', '客户经理'],
    ['R0014', '丙四', 'RGZ', '客户经理'],
  ];
  for (const [employeeNo, name, orgUnitCode, post] of employees) {
    await EmployeeModel.create({ employeeNo, name, orgUnitCode, post });
  }
}

/** Inserts a learner with a binding (unless employeeNo is null) and returns its id. */
async function createLearner(openid: string, employeeNo: string | null, orgUnitCode = 'RGZ') {
  const learner = await LearnerModel.create({ openid, lastLoginAt: NOW });
  if (employeeNo) {
    await BindingModel.create({ learnerId: learner._id, employeeNo, orgUnitCode, boundAt: NOW });
  }
  return learner._id;
}

async function enrol(learnerId: Types.ObjectId | string, code: string, daysBefore: number) {
  await EnrolmentModel.create({
    learnerId,
    courseId: courseIds.get(code),
    source: 'self',
    enrolledAt: daysAgo(daysBefore),
  });
}

async function complete(learnerId: Types.ObjectId | string, code: string) {
  await CourseCompletionModel.create({
    learnerId,
    courseId: courseIds.get(code),
    completedAt: daysAgo(20),
    year: 2027,
    creditHours: 1,
    hoursSet: true,
  });
}

/** Logs in through the sandbox, binds the employee through the API and returns id and token. */
async function signIn(name: string, employeeNo: string, employeeName: string) {
  const token = await server.loginAs(name);
  const bound = await server.request<LearnerProfile>('POST', '/api/me/binding', {
    token,
    body: { employeeNo, name: employeeName },
  });
  expect(bound.status).toBe(200);
  return { id: bound.body.id, token };
}

beforeAll(async () => {
  server = await startTestServer();
  server.deps.now = () => NOW;
  await createCourses();
  await createOrg();

  learnerA = await signIn('reco-a', 'R0001', '甲');
  learnerB = await signIn('reco-b', 'R0002', '乙');

  // Four colleagues of A (same unit and post): all enrolled in 客户拜访技巧, two in 终端陈列指导.
  for (const [index, employeeNo] of ['R0011', 'R0012', 'R0013', 'R0014'].entries()) {
    const peer = await createLearner(`reco-peer-${index}`, employeeNo);
    await enrol(peer, 'R-VISIT', 10 + index);
    if (index < 2) await enrol(peer, 'R-SHELF', 5);
  }
  // Three unbound learners who took 安全生产规范 together with 品牌培育方法.
  for (let index = 0; index < 3; index++) {
    const other = await createLearner(`reco-other-${index}`, null);
    await enrol(other, 'R-SAFE', 30);
    await enrol(other, 'R-BRAND', 29);
  }
  // A learner with no binding and no history.
  await createLearner('reco-empty', null);

  // A: enrolled in 数据库系统原理 with its first lesson complete; completed 专卖法规解读.
  await enrol(learnerA.id, 'R-DB1', 15);
  const firstLesson = await LessonModel.findOne({
    courseId: courseIds.get('R-DB1'),
    position: 1,
  }).lean();
  await LessonProgressModel.create({
    learnerId: new Types.ObjectId(learnerA.id),
    lessonId: firstLesson!._id,
    courseId: courseIds.get('R-DB1'),
    creditedMs: 600_000,
    complete: true,
    completedAt: daysAgo(1),
    computedAt: daysAgo(1),
  });
  await enrol(learnerA.id, 'R-LAW', 40);
  await complete(learnerA.id, 'R-LAW');

  // B: completed 安全生产规范.
  await enrol(learnerB.id, 'R-SAFE', 60);
  await complete(learnerB.id, 'R-SAFE');

  // Required of the whole province: 安全生产规范 by 15 April; of its 配送员: 终端陈列指导 by 1 March.
  await assignCourse({ orgUnitCode: 'RGD', courseCode: 'R-SAFE', dueOn: '2027-04-15' });
  await assignCourse({
    orgUnitCode: 'RGD',
    post: '配送员',
    courseCode: 'R-SHELF',
    dueOn: '2027-03-01',
  });
});

afterAll(async () => {
  await server?.close();
});

type Pick = { code: string; kind: string; reason: string };

function summarise(response: RecommendationsResponse): Pick[] {
  return response.items.map((item) => ({
    code: item.course.code,
    kind: item.kind,
    reason: item.reason,
  }));
}

const EXPECTED_A: Pick[] = [
  { code: 'R-SAFE', kind: 'required', reason: '本单位要求，4月15日前完成' },
  { code: 'R-DB1', kind: 'continue', reason: '继续学习：索引与事务' },
  { code: 'R-VISIT', kind: 'peers', reason: '同部门 4 人在学' },
  { code: 'R-SHELF', kind: 'peers', reason: '同部门 2 人在学' },
  { code: 'R-DB2', kind: 'similar', reason: '与你学过的《数据库系统原理》相似' },
];

// 客户拜访技巧 is the most taken course, but two 市场营销 courses are already picked, the cap for
// five picks. B's unit has no other learner, so the peers signal falls back to everyone's shares
// and the reasons name popularity instead of colleagues.
const EXPECTED_B: Pick[] = [
  { code: 'R-SHELF', kind: 'required', reason: '本单位要求，已于3月1日到期' },
  { code: 'R-BRAND', kind: 'alsoTaken', reason: '学过《安全生产规范》的人也在学' },
  { code: 'R-DB1', kind: 'popular', reason: '近期热门' },
  { code: 'R-LAW', kind: 'popular', reason: '近期热门' },
  { code: 'R-DIGI', kind: 'new', reason: '新上线' },
];

describe('GET /api/me/recommendations', () => {
  it('rejects a request without a session', async () => {
    const response = await server.request('GET', '/api/me/recommendations');
    expect(response.status).toBe(401);
  });

  it('returns the exact top picks and reasons of learner A', async () => {
    const response = await server.request<RecommendationsResponse>(
      'GET',
      '/api/me/recommendations',
      { token: learnerA.token },
    );
    expect(response.status).toBe(200);
    expect(summarise(response.body)).toEqual(EXPECTED_A);
    expect(response.body.modelBuiltAt).toBe(NOW.toISOString());
  });

  it('returns the next lesson of the course in progress and the due date', async () => {
    const response = await server.request<RecommendationsResponse>(
      'GET',
      '/api/me/recommendations',
      { token: learnerA.token },
    );
    const [required, continuing] = response.body.items;
    expect(required!.dueOn).toBe('2027-04-15');
    expect(required!.nextLesson).toBeNull();
    expect(continuing!.nextLesson?.title).toBe('索引与事务');
    expect(continuing!.dueOn).toBeNull();
    expect(continuing!.course.title).toBe('数据库系统原理');
  });

  it('returns the exact top picks and reasons of learner B', async () => {
    const response = await server.request<RecommendationsResponse>(
      'GET',
      '/api/me/recommendations',
      { token: learnerB.token },
    );
    expect(response.status).toBe(200);
    expect(summarise(response.body)).toEqual(EXPECTED_B);
  });

  it('excludes a course enrolled after the model was built, from the cached model', async () => {
    const before = await server.request<RecommendationsResponse>('GET', '/api/me/recommendations', {
      token: learnerB.token,
    });
    const brand = courseIds.get('R-BRAND')!.toHexString();
    const enrolled = await server.request('POST', `/api/courses/${brand}/enrolment`, {
      token: learnerB.token,
    });
    expect(enrolled.status).toBe(201);

    const after = await server.request<RecommendationsResponse>('GET', '/api/me/recommendations', {
      token: learnerB.token,
    });
    expect(after.body.modelBuiltAt).toBe(before.body.modelBuiltAt);
    expect(summarise(after.body).map((pick) => pick.code)).not.toContain('R-BRAND');
    await EnrolmentModel.deleteOne({ learnerId: new Types.ObjectId(learnerB.id), courseId: brand });
  });
});

describe('recommendation batch', () => {
  let results: LearnerPicks[];

  beforeAll(async () => {
    results = [];
    for await (const result of recommendForAllLearners({ logger: server.deps.logger, now: NOW })) {
      results.push(result);
    }
  });

  const codeOf = (courseId: string) =>
    [...courseIds.entries()].find(([, id]) => id.toHexString() === courseId)?.[0];

  it('yields every learner once', async () => {
    const ids = results.map((result) => result.learnerId);
    const stored = await LearnerModel.find({}, { _id: 1 }).lean();
    expect(ids).toHaveLength(stored.length);
    expect([...ids].sort()).toEqual(stored.map((learner) => learner._id.toHexString()).sort());
  });

  it('gives the same picks as the API for both learners', () => {
    for (const [learner, expected] of [
      [learnerA, EXPECTED_A],
      [learnerB, EXPECTED_B],
    ] as const) {
      const result = results.find((entry) => entry.learnerId === learner.id);
      const picks = result!.picks.map((pick) => ({
        code: codeOf(pick.courseId),
        kind: pick.kind,
        reason: pick.reason,
      }));
      expect(picks).toEqual(expected);
    }
  });

  it('names the next lesson by id for a course in progress', async () => {
    const result = results.find((entry) => entry.learnerId === learnerA.id)!;
    const continuing = result.picks.find((pick) => pick.kind === 'continue')!;
    const lesson = await LessonModel.findById(continuing.lessonId).lean();
    expect(lesson?.title).toBe('索引与事务');
  });

  it('gives popular picks to a learner with no binding and no history', async () => {
    const empty = await LearnerModel.findOne({ openid: 'reco-empty' }).lean();
    const result = results.find((entry) => entry.learnerId === empty!._id.toHexString())!;
    expect(result.picks).toHaveLength(5);
    expect(result.picks.every((pick) => pick.kind === 'popular' || pick.kind === 'new')).toBe(true);
  });
});

describe('RecommendationBatch as the push pick source', () => {
  it('yields learners with picks, with course ids and titles', async () => {
    const batch = await RecommendationBatch.load({ logger: server.deps.logger, now: NOW });
    const ids = [new Types.ObjectId(learnerA.id), new Types.ObjectId()];
    const yielded = [];
    for await (const entry of batch.picksFor(ids)) yielded.push(entry);
    expect(yielded).toHaveLength(2);
    expect(yielded[0]!.learnerId.toHexString()).toBe(learnerA.id);
    expect(yielded[0]!.picks.map((pick) => pick.title)).toEqual([
      '安全生产规范',
      '数据库系统原理',
      '客户拜访技巧',
      '终端陈列指导',
      '数据库索引与查询优化',
    ]);
    expect(yielded[0]!.picks[0]!.courseId.equals(courseIds.get('R-SAFE')!)).toBe(true);
    // A learner unknown to the data still gets the popular and new courses.
    expect(yielded[1]!.picks.every((pick) => pick.kind === 'popular' || pick.kind === 'new')).toBe(
      true,
    );
  });
});

describe('RecommendationBatch.lazyPickSource', () => {
  it('loads on the first call and yields picks', async () => {
    const source = RecommendationBatch.lazyPickSource({ logger: server.deps.logger, now: NOW });
    const yielded = [];
    for await (const entry of source.picksFor([new Types.ObjectId(learnerB.id)])) {
      yielded.push(entry);
    }
    expect(yielded).toHaveLength(1);
    expect(yielded[0]!.picks.map((pick) => pick.reason)).toEqual(
      EXPECTED_B.map((pick) => pick.reason),
    );
  });
});

describe('model built from the database', () => {
  it('counts groups, unit members and co-occurrence', async () => {
    const { model, stats } = await buildModelFromDatabase({ now: NOW, logger: server.deps.logger });
    expect(stats.bindings).toBe(6);
    expect(stats.bindingsWithoutEmployee).toBe(0);
    expect(stats.learnersWithHistory).toBe(9);

    const gz = model.unitIndex.get('RGZ')!;
    const group = model.groupIndex.get(`${gz}\t客户经理`)!;
    expect(model.groupSize[group]).toBe(5);
    expect(model.unitSize[gz]).toBe(5);

    const safety = model.courseIndex.get(courseIds.get('R-SAFE')!.toHexString())!;
    const brand = model.courseIndex.get(courseIds.get('R-BRAND')!.toHexString())!;
    const neighbours = Array.from(
      model.alsoTaken.items.subarray(
        model.alsoTaken.offsets[safety],
        model.alsoTaken.offsets[safety + 1],
      ),
    );
    expect(neighbours).toEqual([brand]);
  });
});

describe('course assignments', () => {
  it('lists assignments with course codes, ordered by unit and due date', async () => {
    const listed = await listAssignments('RGD');
    expect(listed.map((row) => [row.post, row.courseCode, row.dueOn])).toEqual([
      ['配送员', 'R-SHELF', '2027-03-01'],
      [null, 'R-SAFE', '2027-04-15'],
    ]);
  });

  it('moves the due date of an existing assignment instead of adding one', async () => {
    await assignCourse({ orgUnitCode: 'RSZ', courseCode: 'R-LAW', dueOn: '2027-05-01' });
    await assignCourse({ orgUnitCode: 'RSZ', courseCode: 'R-LAW', dueOn: '2027-06-01' });
    const listed = await listAssignments('RSZ');
    expect(listed.map((row) => row.dueOn)).toEqual(['2027-06-01']);
    expect(await removeAssignment('RSZ', null, 'R-LAW')).toBe(true);
    expect(await removeAssignment('RSZ', null, 'R-LAW')).toBe(false);
  });

  it('rejects a second assignment to every post at the database', async () => {
    const duplicate = {
      orgUnitCode: 'RGD',
      post: null,
      courseId: courseIds.get('R-SAFE'),
      dueOn: '2027-12-31',
    };
    await expect(CourseAssignmentModel.create(duplicate)).rejects.toMatchObject({ code: 11000 });
  });

  it('rejects an invalid date, an unknown unit and an unknown course', async () => {
    await expect(
      assignCourse({ orgUnitCode: 'RGD', courseCode: 'R-LAW', dueOn: '2027-02-30' }),
    ).rejects.toMatchObject({ id: 'validation_failed' });
    await expect(
      assignCourse({ orgUnitCode: 'NOPE', courseCode: 'R-LAW', dueOn: '2027-05-01' }),
    ).rejects.toMatchObject({ id: 'not_found' });
    await expect(
      assignCourse({ orgUnitCode: 'RGD', courseCode: 'NOPE', dueOn: '2027-05-01' }),
    ).rejects.toMatchObject({ id: 'not_found' });
  });
});
