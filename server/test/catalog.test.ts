import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  ApiErrorBody,
  CategoriesResponse,
  CourseDetail,
  CoursePage,
  EnrolmentView,
  LessonDetail,
  MyCoursesResponse,
} from '@wxlearn/api-types';
import { importCatalogDirectory } from '@wxlearn/scripts/import/catalog.js';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareCourseFields } from '../src/modules/catalog/course-fields.js';
import { CourseModel } from '../src/modules/catalog/course.model.js';
import { EnrolmentModel } from '../src/modules/catalog/enrolment.model.js';
import { LessonModel } from '../src/modules/catalog/lesson.model.js';
import { QuizModel } from '../src/modules/quizzes/quiz.model.js';
import { courseInput, createArticleCourse } from './catalog-fixtures.js';
import { startTestServer, type TestServer } from './harness.js';

const dataDir =
  process.env.DATA_DIR ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));
const coursesDir = path.join(dataDir, 'cs-self-learning-catalog-zh', 'courses');
/** Course pages in the real catalog. */
const REAL_COURSES = 131;
/** Courses of the real catalog in 数据库系统: CMU 15-445, CMU 15-799, Caltech CS 122, UCB CS186, Stanford CS 346. */
const DATABASE_COURSES = 5;

let server: TestServer;
let token: string;
let multiCourseId: string;
let lessonIds: string[];
let hiddenCourseId: string;
let hiddenLessonId: string;

/** Creates a published course with two chapters (given out of order) and three lessons, one per type. */
async function createMultiLessonCourse(): Promise<{ courseId: string; lessonIds: string[] }> {
  const first = new Types.ObjectId();
  const second = new Types.ObjectId();
  const course = await CourseModel.create({
    ...prepareCourseFields(courseInput({ code: 'TEST-MULTI', title: '班组安全管理实务' })),
    chapters: [
      { _id: second, title: '第二章 实操', position: 2 },
      { _id: first, title: '第一章 概述', position: 1 },
    ],
    lessonCount: 3,
    creditHours: 2.5,
  });
  const [video, document, article] = await LessonModel.create([
    {
      courseId: course._id,
      chapterId: second,
      position: 1,
      title: '现场演示',
      type: 'video',
      content: { url: 'https://media.example.test/safety.mp4', durationSeconds: 600 },
    },
    {
      courseId: course._id,
      chapterId: first,
      position: 2,
      title: '管理制度',
      type: 'document',
      content: { url: 'https://media.example.test/rules.pdf', pageCount: 12 },
    },
    {
      courseId: course._id,
      chapterId: first,
      position: 1,
      title: '课程导读',
      type: 'article',
      content: { markdown: '# 导读\n\n安全第一。', wordCount: 6 },
    },
  ]);
  const ordered = [article, document, video].map((lesson) => lesson!._id.toString());
  return { courseId: course._id.toString(), lessonIds: ordered };
}

async function createHiddenCourse(): Promise<{ courseId: string; lessonId: string }> {
  return createArticleCourse(
    prepareCourseFields(
      courseInput({
        code: 'TEST-HIDDEN',
        title: '未发布的数据库课程',
        category: '隐藏分类',
        published: false,
      }),
    ),
    { title: '草稿', markdown: '草稿', wordCount: 2 },
  );
}

async function courseIdByCode(code: string): Promise<string> {
  const course = await CourseModel.findOne({ code }).orFail().lean();
  return course._id.toString();
}

async function codeOfPage(sourcePath: string): Promise<string> {
  const course = await CourseModel.findOne({ 'source.path': sourcePath }).orFail().lean();
  return course.code;
}

async function search(q: string, extra = ''): Promise<CoursePage> {
  const response = await server.request<CoursePage>(
    'GET',
    `/api/courses?q=${encodeURIComponent(q)}${extra}`,
    { token },
  );
  expect(response.status).toBe(200);
  return response.body;
}

beforeAll(async () => {
  server = await startTestServer();
  const report = await importCatalogDirectory(coursesDir);
  if (report.created !== REAL_COURSES) {
    throw new Error(`catalog import created ${report.created} courses: ${JSON.stringify(report)}`);
  }
  ({ courseId: multiCourseId, lessonIds } = await createMultiLessonCourse());
  ({ courseId: hiddenCourseId, lessonId: hiddenLessonId } = await createHiddenCourse());
  token = await server.loginAs('catalog-reader');
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('authentication', () => {
  const routes: [string, () => string][] = [
    ['GET', () => '/api/categories'],
    ['GET', () => '/api/courses'],
    ['GET', () => `/api/courses/${multiCourseId}`],
    ['POST', () => `/api/courses/${multiCourseId}/enrolment`],
    ['GET', () => '/api/me/courses'],
    ['GET', () => `/api/lessons/${lessonIds[0]}`],
  ];

  for (const [method, pathOf] of routes) {
    it(`${method} ${pathOf.toString().replace(/^\(\) => /, '')} without token is 401`, async () => {
      const response = await server.request<ApiErrorBody>(method, pathOf());
      expect(response.status).toBe(401);
      expect(response.body.error.id).toBe('unauthenticated');
    });
  }

  it('rejects an unknown token', async () => {
    const response = await server.request<ApiErrorBody>('GET', '/api/courses', {
      token: 'x'.repeat(43),
    });
    expect(response.status).toBe(401);
  });

  it('does not enrol without a token', async () => {
    await server.request('POST', `/api/courses/${multiCourseId}/enrolment`);
    expect(await EnrolmentModel.countDocuments({ courseId: multiCourseId })).toBe(0);
  });
});

describe('GET /api/categories', () => {
  let categories: CategoriesResponse;

  beforeAll(async () => {
    const response = await server.request<CategoriesResponse>('GET', '/api/categories', { token });
    expect(response.status).toBe(200);
    categories = response.body;
  });

  it('counts the database courses', () => {
    const database = categories.items.find((category) => category.name === '数据库系统');
    expect(database?.courseCount).toBe(DATABASE_COURSES);
    expect(database?.children).toEqual([]);
  });

  it('counts every published course once', () => {
    const total = categories.items.reduce((sum, category) => sum + category.courseCount, 0);
    expect(total).toBe(REAL_COURSES + 1);
  });

  it('lists subcategories with their counts', () => {
    const programming = categories.items.find((category) => category.name === '编程入门');
    const python = programming?.children.find((child) => child.name === 'Python');
    expect(python?.courseCount).toBeGreaterThan(0);
    const childTotal = programming?.children.reduce((sum, child) => sum + child.courseCount, 0);
    expect(childTotal).toBeLessThanOrEqual(programming?.courseCount ?? 0);
  });

  it('leaves out categories of unpublished courses', () => {
    expect(categories.items.map((category) => category.name)).not.toContain('隐藏分类');
  });

  it('sorts categories by pinyin', () => {
    const names = categories.items.map((category) => category.name);
    expect(names).toEqual([...names].sort(new Intl.Collator('zh-CN').compare));
  });
});

describe('GET /api/courses', () => {
  it('returns the first page of 20 by default', async () => {
    const response = await server.request<CoursePage>('GET', '/api/courses', { token });

    expect(response.status).toBe(200);
    expect(response.body.page).toBe(1);
    expect(response.body.pageSize).toBe(20);
    expect(response.body.total).toBe(REAL_COURSES + 1);
    expect(response.body.items).toHaveLength(20);
  });

  it('orders courses by code across pages', async () => {
    const first = await server.request<CoursePage>('GET', '/api/courses?pageSize=50', { token });
    const second = await server.request<CoursePage>('GET', '/api/courses?page=2&pageSize=50', {
      token,
    });
    const codes = [...first.body.items, ...second.body.items].map((course) => course.code);

    expect(codes).toHaveLength(100);
    expect(new Set(codes).size).toBe(100);
    expect(codes).toEqual([...codes].sort());
  });

  it('returns the partial last page', async () => {
    const response = await server.request<CoursePage>('GET', '/api/courses?page=3&pageSize=50', {
      token,
    });
    expect(response.body.items).toHaveLength(REAL_COURSES + 1 - 100);
  });

  it('returns an empty page after the last', async () => {
    const response = await server.request<CoursePage>('GET', '/api/courses?page=99', { token });
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([]);
    expect(response.body.total).toBe(REAL_COURSES + 1);
  });

  it('filters by category', async () => {
    const response = await server.request<CoursePage>(
      'GET',
      `/api/courses?category=${encodeURIComponent('数据库系统')}`,
      { token },
    );
    expect(response.body.total).toBe(DATABASE_COURSES);
    expect(response.body.items.every((course) => course.category === '数据库系统')).toBe(true);
  });

  it('filters by subcategory', async () => {
    const response = await server.request<CoursePage>(
      'GET',
      `/api/courses?category=${encodeURIComponent('编程入门')}&subcategory=Python`,
      { token },
    );
    expect(response.body.total).toBeGreaterThan(0);
    expect(response.body.items.every((course) => course.subcategory === 'Python')).toBe(true);
  });

  it('shows the fields of a course summary', async () => {
    const code = await codeOfPage('数据库系统/15445.md');
    const page = await search('15-445');
    const course = page.items.find((item) => item.code === code);

    expect(course?.title).toBe('CMU 15-445: Database Systems');
    expect(course?.category).toBe('数据库系统');
    expect(course?.subcategory).toBeNull();
    expect(course?.university).toBe('CMU');
    expect(course?.difficulty).toBe(4);
    expect(course?.studyTimeText).toBe('100 小时');
    expect(course?.creditHours).toBe(1);
    expect(course?.lessonCount).toBe(1);
    expect(course?.summary).toMatch(/^作为 CMU 数据库的入门课/);
    expect(course?.id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('leaves out unpublished courses', async () => {
    const response = await server.request<CoursePage>(
      'GET',
      `/api/courses?category=${encodeURIComponent('隐藏分类')}`,
      { token },
    );
    expect(response.body.total).toBe(0);
  });

  it('shows a course write in the next list', async () => {
    const listToggled = async () =>
      (
        await server.request<CoursePage>(
          'GET',
          `/api/courses?category=${encodeURIComponent('切换分类')}`,
          { token },
        )
      ).body.total;
    await CourseModel.create({
      ...prepareCourseFields(
        courseInput({ code: 'TEST-TOGGLE', title: '临时课程', category: '切换分类' }),
      ),
    });
    const whilePublished = await listToggled();

    await CourseModel.updateOne({ code: 'TEST-TOGGLE' }, { $set: { published: false } });

    expect(whilePublished).toBe(1);
    expect(await listToggled()).toBe(0);
  });

  const invalidQueries: [string, string][] = [
    ['pageSize above 50', 'pageSize=51'],
    ['huge pageSize', 'pageSize=99999999999999999999'],
    ['pageSize 0', 'pageSize=0'],
    ['non-numeric pageSize', 'pageSize=abc'],
    ['negative page', 'page=-1'],
    ['page 0', 'page=0'],
    ['fractional page', 'page=1.5'],
    ['empty page', 'page='],
    ['repeated page', 'page=1&page=2'],
    ['q as an array', 'q=a&q=b'],
    ['q operator key', 'q[$ne]=null'],
    ['category operator key', 'category[$ne]=x'],
    ['unknown parameter', 'sort=title'],
    ['empty category', 'category='],
    ['q too long', `q=${'数'.repeat(101)}`],
  ];

  for (const [name, query] of invalidQueries) {
    it(`rejects ${name} with 400`, async () => {
      const response = await server.request<ApiErrorBody>('GET', `/api/courses?${query}`, {
        token,
      });
      expect(response.status).toBe(400);
      expect(response.body.error.id).toBe('validation_failed');
    });
  }
});

describe('course search', () => {
  let databaseCodes: string[];

  beforeAll(async () => {
    const courses = await CourseModel.find({ category: '数据库系统' }).lean();
    databaseCodes = courses.map((course) => course.code).sort();
  });

  it('finds the database courses by 数据库', async () => {
    const page = await search('数据库');
    expect(page.items.map((course) => course.code).sort()).toEqual(databaseCodes);
    expect(page.total).toBe(DATABASE_COURSES);
  });

  it('finds the database courses by the partial word 数据', async () => {
    const page = await search('数据', '&pageSize=50');
    const codes = page.items.map((course) => course.code);
    expect(codes).toEqual(expect.arrayContaining(databaseCodes));
  });

  it('finds the database courses by the whole category name', async () => {
    const page = await search('数据库系统');
    expect(page.items.map((course) => course.code).sort()).toEqual(databaseCodes);
  });

  it('finds the database courses by pinyin initials', async () => {
    const page = await search('sjk');
    expect(page.items.map((course) => course.code).sort()).toEqual(databaseCodes);
  });

  it('finds the database courses by full pinyin', async () => {
    const page = await search('shujuku');
    expect(page.items.map((course) => course.code).sort()).toEqual(databaseCodes);
  });

  it('finds operating systems by pinyin initials', async () => {
    const page = await search('czxt');
    expect(page.total).toBeGreaterThan(0);
    expect(page.items.every((course) => course.category === '操作系统')).toBe(true);
  });

  it('finds courses by an English title word in any case', async () => {
    const page = await search('DATABASE');
    expect(page.items.map((course) => course.code).sort()).toEqual(databaseCodes);
  });

  it('requires every term', async () => {
    const page = await search('CMU 数据库');
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.length).toBeLessThan(DATABASE_COURSES);
    expect(page.items.every((course) => course.category === '数据库系统')).toBe(true);
  });

  it('ranks title hits above other hits', async () => {
    const page = await search('编译', '&pageSize=50');
    const inTitle = page.items.map((course) => course.title.includes('编译'));
    const firstOther = inTitle.indexOf(false);

    expect(inTitle[0]).toBe(true);
    expect(firstOther).toBeGreaterThan(0);
    expect(inTitle.slice(firstOther)).not.toContain(true);
  });

  it('finds a Chinese title by a word inside it', async () => {
    const page = await search('安全管理');
    expect(page.items[0]?.code).toBe('TEST-MULTI');
  });

  it('does not find unpublished courses', async () => {
    const page = await search('未发布');
    expect(page.total).toBe(0);
  });

  it('combines search with a category filter', async () => {
    const page = await search('数据', `&category=${encodeURIComponent('数据库系统')}`);
    expect(page.total).toBe(DATABASE_COURSES);
  });

  it('pages through search results', async () => {
    const all = await search('数据', '&pageSize=50');
    const second = await search('数据', '&page=2&pageSize=2');
    expect(second.total).toBe(all.total);
    expect(second.items.map((course) => course.code)).toEqual(
      all.items.slice(2, 4).map((course) => course.code),
    );
  });

  it('returns nothing for punctuation only', async () => {
    const page = await search('！？');
    expect(page.total).toBe(0);
    expect(page.items).toEqual([]);
  });

  it('returns nothing for an unknown word', async () => {
    const page = await search('不存在的课程名称xyzzy');
    expect(page.total).toBe(0);
  });

  it('treats a blank query as no query', async () => {
    const page = await search('   ');
    expect(page.total).toBe(REAL_COURSES + 1);
  });

  it('does not treat regex characters specially', async () => {
    const page = await search('.*');
    expect(page.total).toBe(0);
  });
});

describe('GET /api/courses/:id', () => {
  it('returns an imported course with its page lesson', async () => {
    const id = await courseIdByCode(await codeOfPage('数据库系统/15445.md'));
    const response = await server.request<CourseDetail>('GET', `/api/courses/${id}`, { token });

    expect(response.status).toBe(200);
    expect(response.body.title).toBe('CMU 15-445: Database Systems');
    expect(response.body.description).toContain('Andy Pavlo');
    expect(response.body.prerequisites).toMatch(/^C\+\+/);
    expect(response.body.website).toMatch(/^https:\/\/15445\.courses\.cs\.cmu\.edu\//);
    expect(response.body.chapters).toHaveLength(1);
    expect(response.body.chapters[0]?.lessons).toHaveLength(1);
    expect(response.body.chapters[0]?.lessons[0]?.type).toBe('article');
    expect(response.body.quizzes).toEqual([]);
    expect(response.body.enrolment).toBeNull();
  });

  it('orders chapters and lessons by position', async () => {
    const response = await server.request<CourseDetail>('GET', `/api/courses/${multiCourseId}`, {
      token,
    });

    expect(response.body.chapters.map((chapter) => chapter.title)).toEqual([
      '第一章 概述',
      '第二章 实操',
    ]);
    expect(response.body.chapters[0]?.lessons.map((lesson) => lesson.title)).toEqual([
      '课程导读',
      '管理制度',
    ]);
    expect(response.body.chapters[1]?.lessons.map((lesson) => lesson.id)).toEqual([lessonIds[2]]);
    expect(response.body.creditHours).toBe(2.5);
    expect(response.body.lessonCount).toBe(3);
  });

  it('lists the quizzes linked to the course', async () => {
    const quiz = await QuizModel.create({
      code: 'TEST-MULTI-QUIZ',
      title: '班组安全测验',
      bank: 'safety',
      questionCount: 10,
      timeLimitSeconds: 900,
      passPercent: 60,
      maxAttempts: 3,
      courseId: new Types.ObjectId(multiCourseId),
    });

    const response = await server.request<CourseDetail>('GET', `/api/courses/${multiCourseId}`, {
      token,
    });

    expect(response.body.quizzes).toHaveLength(1);
    expect(response.body.quizzes[0]?.id).toBe(quiz._id.toString());
    expect(response.body.quizzes[0]?.title).toBe('班组安全测验');
  });

  it('rejects a malformed id with 400', async () => {
    const response = await server.request<ApiErrorBody>('GET', '/api/courses/not-an-id', {
      token,
    });
    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
  });

  it('rejects an operator-like id with 400', async () => {
    const response = await server.request<ApiErrorBody>(
      'GET',
      `/api/courses/${encodeURIComponent('{"$ne":null}')}`,
      { token },
    );
    expect(response.status).toBe(400);
  });

  it('returns 404 for an unknown id', async () => {
    const response = await server.request<ApiErrorBody>(
      'GET',
      `/api/courses/${new Types.ObjectId().toString()}`,
      { token },
    );
    expect(response.status).toBe(404);
    expect(response.body.error.id).toBe('not_found');
  });

  it('returns 404 for an unpublished course', async () => {
    const response = await server.request<ApiErrorBody>('GET', `/api/courses/${hiddenCourseId}`, {
      token,
    });
    expect(response.status).toBe(404);
  });
});

describe('POST /api/courses/:id/enrolment', () => {
  it('creates an enrolment with 201, then returns it with 200', async () => {
    const learner = await server.loginAs('enrol-twice');
    const first = await server.request<EnrolmentView>(
      'POST',
      `/api/courses/${multiCourseId}/enrolment`,
      { token: learner },
    );
    const second = await server.request<EnrolmentView>(
      'POST',
      `/api/courses/${multiCourseId}/enrolment`,
      { token: learner },
    );

    expect(first.status).toBe(201);
    expect(first.body.courseId).toBe(multiCourseId);
    expect(first.body.source).toBe('self');
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
  });

  it('shows the enrolment on the course page', async () => {
    const learner = await server.loginAs('enrol-detail');
    const enrolment = await server.request<EnrolmentView>(
      'POST',
      `/api/courses/${multiCourseId}/enrolment`,
      { token: learner, body: {} },
    );
    const detail = await server.request<CourseDetail>('GET', `/api/courses/${multiCourseId}`, {
      token: learner,
    });

    expect(detail.body.enrolment).toEqual(enrolment.body);
  });

  it('creates one enrolment for two concurrent requests', async () => {
    const learner = await server.loginAs('enrol-concurrent');
    const courseId = await courseIdByCode(await codeOfPage('数据库系统/CS186.md'));
    const path = `/api/courses/${courseId}/enrolment`;

    const responses = await Promise.all([
      server.request<EnrolmentView>('POST', path, { token: learner }),
      server.request<EnrolmentView>('POST', path, { token: learner }),
    ]);

    expect(responses.map((response) => response.status).sort()).toEqual([200, 201]);
    expect(responses[0]?.body).toEqual(responses[1]?.body);
    expect(await EnrolmentModel.countDocuments({ courseId })).toBe(1);
  });

  it('rejects an operator object in the body with 400 and enrols nobody', async () => {
    const learner = await server.loginAs('enrol-operator');
    const courseId = await courseIdByCode(await codeOfPage('数据库系统/15799.md'));

    const response = await server.request<ApiErrorBody>(
      'POST',
      `/api/courses/${courseId}/enrolment`,
      { token: learner, body: { courseId: { $ne: null } } },
    );

    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
    expect(await EnrolmentModel.countDocuments({ courseId })).toBe(0);
  });

  it('rejects a body that is not an object with 400', async () => {
    const learner = await server.loginAs('enrol-operator');
    const response = await server.request<ApiErrorBody>(
      'POST',
      `/api/courses/${multiCourseId}/enrolment`,
      { token: learner, body: ['self'] },
    );
    expect(response.status).toBe(400);
  });

  it('rejects a malformed course id with 400', async () => {
    const response = await server.request<ApiErrorBody>('POST', '/api/courses/123/enrolment', {
      token,
    });
    expect(response.status).toBe(400);
  });

  it('returns 404 for an unknown course and enrols nobody', async () => {
    const courseId = new Types.ObjectId().toString();
    const response = await server.request<ApiErrorBody>(
      'POST',
      `/api/courses/${courseId}/enrolment`,
      { token },
    );
    expect(response.status).toBe(404);
    expect(await EnrolmentModel.countDocuments({ courseId })).toBe(0);
  });

  it('returns 404 for an unpublished course and enrols nobody', async () => {
    const response = await server.request<ApiErrorBody>(
      'POST',
      `/api/courses/${hiddenCourseId}/enrolment`,
      { token },
    );
    expect(response.status).toBe(404);
    expect(await EnrolmentModel.countDocuments({ courseId: hiddenCourseId })).toBe(0);
  });
});

describe('GET /api/me/courses', () => {
  it('lists enrolled courses newest first', async () => {
    const learner = await server.loginAs('my-courses');
    const older = await courseIdByCode(await codeOfPage('数据库系统/CS122.md'));
    const newer = await courseIdByCode(await codeOfPage('数据库系统/CS346.md'));
    await server.request('POST', `/api/courses/${older}/enrolment`, { token: learner });
    await server.request('POST', `/api/courses/${newer}/enrolment`, { token: learner });

    const response = await server.request<MyCoursesResponse>('GET', '/api/me/courses', {
      token: learner,
    });

    expect(response.status).toBe(200);
    expect(response.body.items.map((item) => item.course.id)).toEqual([newer, older]);
    expect(response.body.items[0]?.enrolledAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(response.body.items[0]?.course.title).toBe(
      'Stanford CS 346: Database System Implementation',
    );
  });

  it('is empty for a learner without enrolments', async () => {
    const learner = await server.loginAs('no-courses');
    const response = await server.request<MyCoursesResponse>('GET', '/api/me/courses', {
      token: learner,
    });
    expect(response.body.items).toEqual([]);
  });

  it('leaves out a course that was unpublished after enrolment', async () => {
    const learner = await server.loginAs('unpublished-later');
    const learnerId = (await server.request<{ id: string }>('GET', '/api/me', { token: learner }))
      .body.id;
    await EnrolmentModel.create({
      learnerId: new Types.ObjectId(learnerId),
      courseId: new Types.ObjectId(hiddenCourseId),
      source: 'assigned',
      enrolledAt: new Date(),
    });

    const response = await server.request<MyCoursesResponse>('GET', '/api/me/courses', {
      token: learner,
    });

    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([]);
  });
});

describe('GET /api/lessons/:id', () => {
  it('returns an article lesson with the next lesson', async () => {
    const response = await server.request<LessonDetail>('GET', `/api/lessons/${lessonIds[0]}`, {
      token,
    });

    expect(response.status).toBe(200);
    expect(response.body.courseId).toBe(multiCourseId);
    expect(response.body.courseTitle).toBe('班组安全管理实务');
    expect(response.body.content).toEqual({
      type: 'article',
      markdown: '# 导读\n\n安全第一。',
      wordCount: 6,
    });
    expect(response.body.previousLessonId).toBeNull();
    expect(response.body.nextLessonId).toBe(lessonIds[1]);
  });

  it('links across chapters', async () => {
    const response = await server.request<LessonDetail>('GET', `/api/lessons/${lessonIds[1]}`, {
      token,
    });

    expect(response.body.content).toEqual({
      type: 'document',
      url: 'https://media.example.test/rules.pdf',
      pageCount: 12,
    });
    expect(response.body.previousLessonId).toBe(lessonIds[0]);
    expect(response.body.nextLessonId).toBe(lessonIds[2]);
  });

  it('returns the last lesson without a next lesson', async () => {
    const response = await server.request<LessonDetail>('GET', `/api/lessons/${lessonIds[2]}`, {
      token,
    });

    expect(response.body.content).toEqual({
      type: 'video',
      url: 'https://media.example.test/safety.mp4',
      durationSeconds: 600,
    });
    expect(response.body.previousLessonId).toBe(lessonIds[1]);
    expect(response.body.nextLessonId).toBeNull();
  });

  it('returns the imported course page as the article', async () => {
    const courseId = await courseIdByCode(await codeOfPage('数据库系统/15445.md'));
    const detail = await server.request<CourseDetail>('GET', `/api/courses/${courseId}`, { token });
    const lessonId = detail.body.chapters[0]?.lessons[0]?.id ?? '';

    const response = await server.request<LessonDetail>('GET', `/api/lessons/${lessonId}`, {
      token,
    });

    expect(response.status).toBe(200);
    expect(response.body.content.type).toBe('article');
    if (response.body.content.type !== 'article') return;
    expect(response.body.content.markdown).toMatch(/^# CMU 15-445: Database Systems\n/);
    expect(response.body.content.wordCount).toBeGreaterThan(500);
    expect(response.body.previousLessonId).toBeNull();
    expect(response.body.nextLessonId).toBeNull();
  });

  it('rejects a malformed id with 400', async () => {
    const response = await server.request<ApiErrorBody>('GET', '/api/lessons/xyz', { token });
    expect(response.status).toBe(400);
  });

  it('returns 404 for an unknown id', async () => {
    const response = await server.request<ApiErrorBody>(
      'GET',
      `/api/lessons/${new Types.ObjectId().toString()}`,
      { token },
    );
    expect(response.status).toBe(404);
    expect(response.body.error.id).toBe('not_found');
  });

  it('returns 404 for a lesson of an unpublished course', async () => {
    const response = await server.request<ApiErrorBody>('GET', `/api/lessons/${hiddenLessonId}`, {
      token,
    });
    expect(response.status).toBe(404);
  });
});
