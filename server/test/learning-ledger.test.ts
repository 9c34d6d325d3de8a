import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LearningSessionView } from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimPeriod, tenMinutePeriod } from '../src/jobs/claims.js';
import { CourseCompletionModel } from '../src/modules/learning/course-completion.model.js';
import { at, SECOND } from '../src/modules/learning/heartbeat-builders.js';
import { verifyLedger } from '../src/modules/learning/ledger-verify.js';
import { settleActiveLearners } from '../src/modules/learning/learning.service.js';
import { LessonProgressModel } from '../src/modules/learning/lesson-progress.model.js';
import { createArticleCourse } from './catalog-fixtures.js';
import { startTestServer, type TestServer } from './harness.js';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');

let server: TestServer;
let clockMs = at('09:00:00');

beforeAll(async () => {
  server = await startTestServer();
  server.deps.now = () => new Date(clockMs);
});

afterAll(async () => {
  await server?.close();
});

/** A one-lesson course (an article of 500 characters: 60 s to read) worth 1.5 hours. */
async function createCourse(code: string): Promise<{ courseId: string; lessonId: string }> {
  return createArticleCourse(
    { code, title: `账本课程${code}`, category: '测试', creditHours: 1.5, published: true },
    { title: '第1课', markdown: '正文', wordCount: 500 },
  );
}

/** Reads the article from `fromMs` for 60 s with heartbeats every 15 s, without an end call. */
async function readWithoutEnd(token: string, lessonId: string, id: string, fromMs: number) {
  clockMs = fromMs;
  const start = await server.request<LearningSessionView>('POST', '/api/learning/sessions', {
    token,
    body: { lessonId, clientSessionId: id },
  });
  expect(start.status).toBe(200);
  for (let seq = 1; seq <= 5; seq++) {
    clockMs = fromMs + (seq - 1) * 15 * SECOND;
    const response = await server.request(
      'POST',
      `/api/learning/sessions/${start.body.id}/heartbeats`,
      {
        token,
        body: { heartbeats: [{ seq, clientMs: (seq - 1) * 15_000, position: (seq - 1) / 4 }] },
      },
    );
    expect(response.status).toBe(200);
  }
}

describe('settling and verifying the ledger', () => {
  it('settles sessions without an end call, then verifies, reports tampering and fixes it', async () => {
    const token = await server.loginAs('ledger-learner');
    const { courseId, lessonId } = await createCourse('ledger-1');
    await readWithoutEnd(token, lessonId, 'ledger-session-1', at('10:00:00'));
    expect(await LessonProgressModel.countDocuments({ lessonId })).toBe(0);

    // The settle job's run writes the lesson's progress and the course completion.
    const settled = await settleActiveLearners(new Date(at('10:05:00')));
    expect(settled.learners).toBeGreaterThanOrEqual(1);
    const progress = await LessonProgressModel.findOne({ lessonId }).lean();
    expect(progress?.creditedMs).toBe(60_000);
    expect(progress?.complete).toBe(true);
    expect(progress?.creditedByYear).toEqual([{ year: 2025, creditedMs: 60_000 }]);
    const completion = await CourseCompletionModel.findOne({ courseId }).lean();
    expect(completion?.creditHours).toBe(1.5);
    expect(completion?.year).toBe(2025);

    // While the session can still earn credit, its lesson is skipped rather than compared.
    const whileOpen = await verifyLedger({ now: new Date(at('10:06:00')) });
    expect(whileOpen.openLessons).toBe(1);
    expect(whileOpen.differences).toEqual([]);

    const now = new Date(at('22:30:00'));
    const clean = await verifyLedger({ now });
    expect(clean.differences).toEqual([]);
    expect(clean.lessons).toBeGreaterThanOrEqual(1);

    await LessonProgressModel.updateOne({ lessonId }, { $set: { creditedMs: 999_000 } });
    await CourseCompletionModel.deleteOne({ courseId });
    const tampered = await verifyLedger({ now });
    const learnerId = progress!.learnerId.toHexString();
    expect(tampered.differences).toEqual([
      { learnerId, lessonId, field: 'creditedMs', stored: 999_000, recomputed: 60_000 },
      { learnerId, courseId, field: 'courseCompletion', stored: false, recomputed: true },
    ]);

    // The command-line tool finds the same differences and exits 1.
    const cli = path.join(repoRoot, 'scripts/src/ledger/cli.ts');
    const failed = await run(process.execPath, ['--import', 'tsx', cli, 'verify'], {
      cwd: path.join(repoRoot, 'scripts'),
      env: { ...process.env, MONGODB_URI: server.deps.config.MONGODB_URI, LOG_LEVEL: 'warn' },
    }).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    expect(failed.code).toBe(1);
    const lines = failed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ lessonId, field: 'creditedMs', stored: 999_000 });

    const fixed = await verifyLedger({ now, fix: true });
    expect(fixed.fixed).toBe(true);
    expect((await verifyLedger({ now })).differences).toEqual([]);
    expect((await LessonProgressModel.findOne({ lessonId }).lean())?.creditedMs).toBe(60_000);
    expect(await CourseCompletionModel.countDocuments({ courseId })).toBe(1);
  });

  it('lets one server copy claim a job period', async () => {
    const now = new Date(at('10:17:30'));
    expect(tenMinutePeriod(now)).toBe('2025-03-03T02:10');
    expect(await claimPeriod('test-job', tenMinutePeriod(now), now)).toBe(true);
    expect(await claimPeriod('test-job', tenMinutePeriod(now), now)).toBe(false);
    expect(await claimPeriod('other-job', tenMinutePeriod(now), now)).toBe(true);
  });
});
