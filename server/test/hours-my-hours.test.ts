import type {
  ApiErrorBody,
  HeartbeatPayload,
  LearningSessionView,
  MyHoursResponse,
} from '@wxlearn/api-types';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CourseModel } from '../src/modules/catalog/course.model.js';
import { LessonModel } from '../src/modules/catalog/lesson.model.js';
import { LegacyRecordModel } from '../src/modules/hours/legacy-record.model.js';
import { setRequirement } from '../src/modules/hours/requirements.js';
import { CourseCompletionModel } from '../src/modules/learning/course-completion.model.js';
import { at, SECOND } from '../src/modules/learning/heartbeat-builders.js';
import { LessonProgressModel } from '../src/modules/learning/lesson-progress.model.js';
import { createEmployee, createOrgPath } from './builders.js';
import { startTestServer, type TestServer } from './harness.js';

let server: TestServer;
/** Server clock in epoch ms, read by every request; `at()` times are on 2025-03-03. */
let clockMs = at('09:00:00');
let courseCount = 0;

beforeAll(async () => {
  server = await startTestServer();
  server.deps.now = () => new Date(clockMs);
});

afterAll(async () => {
  await server?.close();
});

interface TestCourse {
  courseId: string;
  article: string;
  document: string;
  optionalVideo: string;
}

/** A course of a required article (500 characters), a required 2-page document and an optional video. */
async function createCourse(creditHours: number | null): Promise<TestCourse> {
  courseCount++;
  const chapterId = new Types.ObjectId();
  const course = await CourseModel.create({
    code: `hours-course-${courseCount}`,
    title: `学时测试课程${courseCount}`,
    category: '测试',
    creditHours,
    published: true,
    chapters: [{ _id: chapterId, title: '第一章', position: 1 }],
    lessonCount: 3,
  });
  const lesson = async (
    position: number,
    type: 'article' | 'document' | 'video',
    content: object,
    optional = false,
  ) =>
    (
      await LessonModel.create({
        courseId: course._id,
        chapterId,
        position,
        title: `第${position}课`,
        type,
        content,
        optional,
      })
    )._id.toHexString();
  return {
    courseId: course._id.toHexString(),
    article: await lesson(1, 'article', { markdown: '正文', wordCount: 500 }),
    document: await lesson(2, 'document', { url: 'https://example.com/doc.pdf', pageCount: 2 }),
    optionalVideo: await lesson(
      3,
      'video',
      { url: 'https://example.com/v.mp4', durationSeconds: 600 },
      true,
    ),
  };
}

async function startSession(token: string, lessonId: string, clientSessionId: string) {
  const response = await server.request<LearningSessionView>('POST', '/api/learning/sessions', {
    token,
    body: { lessonId, clientSessionId },
  });
  if (response.status !== 200) throw new Error(`session start failed: ${response.text}`);
  return response.body;
}

/** Starts a session at `fromMs` and sends a heartbeat every 15 s until `toMs`, each on time. */
async function study(
  token: string,
  lessonId: string,
  clientSessionId: string,
  fromMs: number,
  toMs: number,
  position: (elapsedMs: number) => number,
  end = true,
): Promise<void> {
  clockMs = fromMs;
  const session = await startSession(token, lessonId, clientSessionId);
  let seq = 1;
  for (let time = fromMs; time <= toMs; time += 15 * SECOND, seq++) {
    clockMs = time;
    const beat: HeartbeatPayload = {
      seq,
      clientMs: time - fromMs,
      position: position(time - fromMs),
    };
    const response = await server.request(
      'POST',
      `/api/learning/sessions/${session.id}/heartbeats`,
      {
        token,
        body: { heartbeats: [beat] },
      },
    );
    if (response.status !== 200) throw new Error(`heartbeat failed: ${response.text}`);
  }
  if (end) {
    clockMs = toMs;
    const response = await server.request('POST', `/api/learning/sessions/${session.id}/end`, {
      token,
      body: {},
    });
    if (response.status !== 200) throw new Error(`end failed: ${response.text}`);
  }
}

/** Reads the article to the end in 60 s: its minimum reading time at 500 characters a minute. */
const readArticle = (token: string, lessonId: string, id: string, fromMs: number, end = true) =>
  study(
    token,
    lessonId,
    id,
    fromMs,
    fromMs + 60 * SECOND,
    (elapsed) => Math.min(1, elapsed / 45_000),
    end,
  );

/** Shows page 1, then page 2 from 15 s, for 30 s in all. */
const readDocument = (token: string, lessonId: string, id: string, fromMs: number) =>
  study(token, lessonId, id, fromMs, fromMs + 30 * SECOND, (elapsed) => (elapsed < 15_000 ? 1 : 2));

async function getHours(token: string, query = '') {
  return server.request<MyHoursResponse>('GET', `/api/me/hours${query}`, { token });
}

describe('my hours', () => {
  it('credits a course’s hours once when its required lessons are complete', async () => {
    const city = await createOrgPath('hours1');
    await createEmployee('H1001', '陈学时', city);
    await setRequirement({ orgUnitCode: 'Phours1', year: 2025, requiredHours: 10 });
    await LegacyRecordModel.create([
      {
        sourceSystem: '旧学习平台',
        employeeNo: 'H1001',
        name: '陈学时',
        courseTitle: '安全生产培训',
        completedOn: '2025-01-15',
        year: 2025,
        hours: 3.5,
        importedFrom: 'legacy.csv:2',
      },
      {
        sourceSystem: '旧学习平台',
        employeeNo: 'H1001',
        name: '陈学时',
        courseTitle: '往年培训',
        completedOn: '2024-12-31',
        year: 2024,
        hours: 8,
        importedFrom: 'legacy.csv:3',
      },
    ]);
    const token = await server.loginAs('hours-complete');
    clockMs = at('09:00:00');
    const bind = await server.request('POST', '/api/me/binding', {
      token,
      body: { employeeNo: 'H1001', name: '陈学时' },
    });
    expect(bind.status).toBe(200);

    const course = await createCourse(2.5);
    await readArticle(token, course.article, 'hours-article-1', at('10:00:00'));
    const halfway = await getHours(token);
    expect(halfway.body.earnedHours).toBe(3.5);
    expect(halfway.body.courses[0]?.complete).toBe(false);
    expect(halfway.body.courses[0]?.earnedHours).toBe(0);

    await readDocument(token, course.document, 'hours-document-1', at('10:10:00'));
    // Reading the article again changes nothing: the course is credited once.
    await readArticle(token, course.article, 'hours-article-2', at('10:20:00'));

    const response = await getHours(token);
    expect(response.status).toBe(200);
    const hours = response.body;
    expect(hours.year).toBe(2025);
    expect(hours.bound).toBe(true);
    expect(hours.earnedHours).toBe(6);
    expect(hours.requiredHours).toBe(10);
    expect(hours.missingHours).toBe(4);
    expect(hours.learningSeconds).toBe(150);
    expect(hours.courses).toEqual([
      {
        courseId: course.courseId,
        title: `学时测试课程${courseCount}`,
        learningSeconds: 150,
        complete: true,
        completedAt: new Date(at('10:10:30')).toISOString(),
        creditHours: 2.5,
        earnedHours: 2.5,
      },
    ]);
    expect(hours.records).toEqual([
      {
        kind: 'course',
        title: `学时测试课程${courseCount}`,
        hours: 2.5,
        completedOn: '2025-03-03',
        source: '平台学习',
        courseId: course.courseId,
      },
      {
        kind: 'legacy',
        title: '安全生产培训',
        hours: 3.5,
        completedOn: '2025-01-15',
        source: '旧学习平台',
        courseId: null,
      },
    ]);
    const learnerId = (await LessonProgressModel.findOne({ lessonId: course.article }).lean())!
      .learnerId;
    expect(await CourseCompletionModel.countDocuments({ learnerId })).toBe(1);

    const lastYear = await getHours(token, '?year=2024');
    expect(lastYear.body.earnedHours).toBe(8);
    expect(lastYear.body.learningSeconds).toBe(0);
    expect(lastYear.body.courses).toEqual([]);
  });

  it('counts a session whose end call never arrived', async () => {
    const token = await server.loginAs('hours-unended');
    const course = await createCourse(1);
    await readArticle(token, course.article, 'hours-unended-1', at('11:00:00'), false);

    clockMs = at('11:05:00');
    const hours = (await getHours(token)).body;
    expect(hours.bound).toBe(false);
    expect(hours.requiredHours).toBeNull();
    expect(hours.missingHours).toBeNull();
    expect(hours.learningSeconds).toBe(60);
    expect(hours.courses[0]?.learningSeconds).toBe(60);
    expect(hours.courses[0]?.complete).toBe(false);
    expect(hours.courses[0]?.creditHours).toBe(1);
    expect(hours.earnedHours).toBe(0);
  });

  it('shows a completed course without hours as such, crediting none', async () => {
    const token = await server.loginAs('hours-unset');
    const course = await createCourse(null);
    await readArticle(token, course.article, 'hours-unset-1', at('12:00:00'));
    await readDocument(token, course.document, 'hours-unset-2', at('12:10:00'));

    const hours = (await getHours(token)).body;
    expect(hours.courses[0]?.complete).toBe(true);
    expect(hours.courses[0]?.creditHours).toBeNull();
    expect(hours.earnedHours).toBe(0);
  });

  const badQueries: [string, string][] = [
    ['a year that is not a number', '?year=abc'],
    ['a year after this one', '?year=2026'],
    ['a year before 2000', '?year=1999'],
    ['an unknown parameter', '?learnerId=x'],
  ];
  for (const [name, query] of badQueries) {
    it(`rejects ${name} with 400 validation_failed`, async () => {
      const token = await server.loginAs('hours-bad-query');
      clockMs = at('13:00:00');
      const response = await server.request<ApiErrorBody>('GET', `/api/me/hours${query}`, {
        token,
      });
      expect(response.status).toBe(400);
      expect(response.body.error.id).toBe('validation_failed');
    });
  }

  it('rejects a request without a token with 401', async () => {
    const response = await server.request<ApiErrorBody>('GET', '/api/me/hours');
    expect(response.status).toBe(401);
  });
});
