import type {
  ApiErrorBody,
  HeartbeatBatchResponse,
  HeartbeatPayload,
  LearningSessionView,
  LessonProgressResponse,
  SessionEndResponse,
} from '@wxlearn/api-types';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CourseModel } from '../src/modules/catalog/course.model.js';
import { LessonModel } from '../src/modules/catalog/lesson.model.js';
import { CreditedIntervalModel } from '../src/modules/learning/credited-interval.model.js';
import { HeartbeatModel } from '../src/modules/learning/heartbeat.model.js';
import { at, MINUTE, SECOND } from '../src/modules/learning/heartbeat-builders.js';
import {
  LearningSessionModel,
  SessionEndModel,
} from '../src/modules/learning/learning-session.model.js';
import {
  MAX_SESSION_MS,
  MAX_SESSIONS_PER_WINDOW,
} from '../src/modules/learning/learning.service.js';
import { createArticleCourse } from './catalog-fixtures.js';
import { startTestServer, type TestServer } from './harness.js';

let server: TestServer;
/** Server clock in epoch ms, read by every request. */
let clockMs = at('09:00:00');
let lessonCount = 0;

beforeAll(async () => {
  server = await startTestServer();
  server.deps.now = () => new Date(clockMs);
});

afterAll(async () => {
  await server?.close();
});

async function createLesson(
  type: 'video' | 'document' | 'article',
  content: { durationSeconds?: number; pageCount?: number; wordCount?: number },
): Promise<string> {
  lessonCount++;
  const course = await CourseModel.create({
    code: `learning-course-${lessonCount}`,
    title: `学习测试课程${lessonCount}`,
    category: '测试',
    published: true,
  });
  const lesson = await LessonModel.create({
    courseId: course._id,
    chapterId: new Types.ObjectId(),
    position: lessonCount,
    title: `第${lessonCount}课`,
    type,
    content,
  });
  return lesson._id.toHexString();
}

const videoLesson = (durationSeconds: number) => createLesson('video', { durationSeconds });

/** Creates a one-lesson article course with fixed content, for tests of who may start it. */
async function createArticleCourseLesson(course: {
  code: string;
  title: string;
  published: boolean;
  priceFen?: number;
}): Promise<string> {
  const { lessonId } = await createArticleCourse(
    { ...course, category: '测试' },
    { title: '第1课', markdown: '正文', wordCount: 100 },
  );
  return lessonId;
}

function requestStart<T = ApiErrorBody>(token: string | undefined, body: unknown) {
  return server.request<T>('POST', '/api/learning/sessions', { token, body });
}

async function startSession(
  token: string,
  lessonId: string,
  clientSessionId: string,
  atMs: number,
): Promise<LearningSessionView> {
  clockMs = atMs;
  const response = await requestStart<LearningSessionView>(token, { lessonId, clientSessionId });
  if (response.status !== 200) throw new Error(`session start failed: ${response.text}`);
  return response.body;
}

async function postBeats(
  token: string,
  sessionId: string,
  heartbeats: HeartbeatPayload[],
  atMs: number,
) {
  clockMs = atMs;
  return server.request<HeartbeatBatchResponse>(
    'POST',
    `/api/learning/sessions/${sessionId}/heartbeats`,
    { token, body: { heartbeats } },
  );
}

async function endSession(
  token: string,
  sessionId: string,
  finalHeartbeat: HeartbeatPayload | undefined,
  atMs: number,
) {
  clockMs = atMs;
  return server.request<SessionEndResponse>('POST', `/api/learning/sessions/${sessionId}/end`, {
    token,
    body: finalHeartbeat ? { finalHeartbeat } : {},
  });
}

async function getProgress(token: string, lessonId: string) {
  return server.request<LessonProgressResponse>(
    'GET',
    `/api/learning/lessons/${lessonId}/progress`,
    { token },
  );
}

/**
 * Builds the heartbeats a device produces every 15 s from `fromMs` to `toMs` inclusive, starting at
 * `firstSeq`, with a monotonic clock that read 0 at `clockZeroMs`.
 */
function beats(
  fromMs: number,
  toMs: number,
  firstSeq: number,
  clockZeroMs: number,
  extra: (timeMs: number) => Partial<HeartbeatPayload> = () => ({}),
): { timeMs: number; beat: HeartbeatPayload }[] {
  const list: { timeMs: number; beat: HeartbeatPayload }[] = [];
  for (let time = fromMs, seq = firstSeq; time <= toMs; time += 15 * SECOND, seq++) {
    list.push({ timeMs: time, beat: { seq, clientMs: time - clockZeroMs, ...extra(time) } });
  }
  return list;
}

/** Sends each heartbeat in its own request at the time it was produced. */
async function sendLive(
  token: string,
  sessionId: string,
  list: { timeMs: number; beat: HeartbeatPayload }[],
): Promise<HeartbeatBatchResponse> {
  let last: HeartbeatBatchResponse | undefined;
  for (const { timeMs, beat } of list) {
    const response = await postBeats(token, sessionId, [beat], timeMs);
    if (response.status !== 200) throw new Error(`heartbeat failed: ${response.text}`);
    last = response.body;
  }
  if (!last) throw new Error('no heartbeat sent');
  return last;
}

/**
 * Sends live heartbeats from the session start `startMs` to `endMs` with `extra` fields, ends the
 * session at `endMs` and returns the end response's body.
 */
async function playUntilEnd(
  token: string,
  sessionId: string,
  startMs: number,
  endMs: number,
  extra: (timeMs: number) => Partial<HeartbeatPayload>,
): Promise<SessionEndResponse> {
  await sendLive(token, sessionId, beats(startMs, endMs, 1, startMs, extra));
  return (await endSession(token, sessionId, undefined, endMs)).body;
}

describe('learning sessions', () => {
  it('credits two devices at once for their union', async () => {
    const token = await server.loginAs('learning-two-devices');
    const lessonId = await videoLesson(1800);
    const start = at('10:00:00');
    const phone = await startSession(token, lessonId, 'phone-session-1', start);
    const pad = await startSession(token, lessonId, 'pad-session-01', start);

    const phoneBeats = beats(start, at('10:05:00'), 1, start - 5 * MINUTE);
    const padBeats = beats(start, at('10:05:00'), 1, start - 9 * MINUTE);
    for (let i = 0; i < phoneBeats.length; i++) {
      await sendLive(token, phone.id, [phoneBeats[i]!]);
      await sendLive(token, pad.id, [padBeats[i]!]);
    }

    const progress = await getProgress(token, lessonId);
    expect(progress.body.creditedSeconds).toBe(300);
    const phoneEnd = await endSession(token, phone.id, undefined, at('10:05:00'));
    const padEnd = await endSession(token, pad.id, undefined, at('10:05:00'));
    expect(padEnd.body.lesson.creditedSeconds).toBe(300);
    expect(phoneEnd.body.creditedSeconds + padEnd.body.creditedSeconds).toBe(300);
  });

  it('credits nothing for time the app was hidden', async () => {
    const token = await server.loginAs('learning-hidden');
    const lessonId = await createLesson('article', { wordCount: 100_000 });
    const start = at('10:00:00');
    const session = await startSession(token, lessonId, 'hidden-session', start);

    const before = beats(start, at('10:02:00'), 1, start, (time) =>
      time === at('10:02:00') ? { hidden: true } : {},
    );
    await sendLive(token, session.id, before);
    const after = beats(at('10:30:00'), at('10:31:00'), 10, start, (time) =>
      time === at('10:30:00') ? { resumed: true } : {},
    );
    await sendLive(token, session.id, after);
    const end = await endSession(token, session.id, undefined, at('10:31:00'));

    // 10:00:00–10:02:00 and 10:30:00–10:31:00.
    expect(end.body.creditedSeconds).toBe(180);
    expect(end.body.lesson.creditedSeconds).toBe(180);
  });

  it('credits a replayed offline queue once', async () => {
    const token = await server.loginAs('learning-outage');
    const lessonId = await videoLesson(1800);
    const start = at('10:00:00');
    const session = await startSession(token, lessonId, 'outage-session', start);

    await sendLive(token, session.id, beats(start, at('10:02:00'), 1, start));
    // Network down from 10:02:00 to 10:05:00: the queued heartbeats arrive together at 10:05:00.
    const queued = beats(at('10:02:15'), at('10:05:00'), 10, start).map((item) => item.beat);
    const replay = await postBeats(token, session.id, queued, at('10:05:00'));

    expect(replay.status).toBe(200);
    expect(replay.body.acceptedSeqs).toEqual(queued.map((beat) => beat.seq));
    expect(replay.body.rejected).toEqual([]);
    expect((await getProgress(token, lessonId)).body.creditedSeconds).toBe(300);

    const again = await postBeats(token, session.id, queued, at('10:05:10'));
    expect(again.status).toBe(200);
    expect(again.body.acceptedSeqs).toEqual([]);
    expect(again.body.rejected).toEqual(
      queued.map((beat) => ({ seq: beat.seq, reason: 'duplicate' })),
    );
    expect((await getProgress(token, lessonId)).body.creditedSeconds).toBe(300);
    expect(await HeartbeatModel.countDocuments({ sessionId: session.id })).toBe(21);
    const end = await endSession(token, session.id, undefined, at('10:05:10'));
    expect(end.body.creditedSeconds).toBe(300);

    const evidence = await CreditedIntervalModel.find({ sessionId: session.id }).lean();
    expect(evidence).toHaveLength(20);
    const evidenceMs = evidence.reduce(
      (sum, item) => sum + item.endAt.getTime() - item.startAt.getTime(),
      0,
    );
    expect(evidenceMs).toBe(300_000);
  });

  it('credits real time but no watched seconds when the position jumps ahead', async () => {
    const token = await server.loginAs('learning-seek');
    const lessonId = await videoLesson(1200);
    const start = at('10:00:00');
    const session = await startSession(token, lessonId, 'seek-session', start);

    const last = await playUntilEnd(token, session.id, start, at('10:00:30'), (time) => ({
      position: ((time - start) / 15_000) * 600,
    }));

    expect(last.creditedSeconds).toBe(30);
    expect(last.lesson.watchedSeconds).toBe(0);
    expect(last.lesson.complete).toBe(false);
    expect(last.lesson.lastPosition).toBe(1200);
  });

  it('credits real time, not media time, when playing at 2x', async () => {
    const token = await server.loginAs('learning-double-speed');
    const lessonId = await videoLesson(600);
    const start = at('10:00:00');
    const session = await startSession(token, lessonId, 'double-speed', start);

    const last = await playUntilEnd(token, session.id, start, at('10:05:00'), (time) => ({
      position: ((time - start) / 1000) * 2,
      playbackRate: 2,
    }));

    expect(last.creditedSeconds).toBe(300);
    expect(last.lesson.watchedSeconds).toBe(600);
    expect(last.lesson.complete).toBe(true);
  });

  it('credits an ended session once when the end call is repeated', async () => {
    const token = await server.loginAs('learning-end-twice');
    const lessonId = await videoLesson(1800);
    const start = at('10:00:00');
    const session = await startSession(token, lessonId, 'end-twice-01', start);
    await sendLive(token, session.id, beats(start, at('10:01:00'), 1, start));

    const first = await endSession(token, session.id, { seq: 6, clientMs: 75_000 }, at('10:01:15'));
    expect(first.status).toBe(200);
    expect(first.body.acceptedSeqs).toEqual([6]);
    expect(first.body.creditedSeconds).toBe(75);
    expect(first.body.endedAt).toBe(new Date(at('10:01:15')).toISOString());

    const second = await endSession(
      token,
      session.id,
      { seq: 7, clientMs: 180_000 },
      at('10:03:00'),
    );
    expect(second.status).toBe(200);
    expect(second.body.rejected).toEqual([{ seq: 7, reason: 'after_end' }]);
    expect(second.body.creditedSeconds).toBe(75);
    expect(second.body.endedAt).toBe(new Date(at('10:01:15')).toISOString());
    expect(await SessionEndModel.countDocuments({ sessionId: session.id })).toBe(1);

    const late = await postBeats(
      token,
      session.id,
      [{ seq: 8, clientMs: 200_000 }],
      at('10:03:20'),
    );
    expect(late.body.rejected).toEqual([{ seq: 8, reason: 'after_end' }]);
    expect((await getProgress(token, lessonId)).body.creditedSeconds).toBe(75);
    expect(await HeartbeatModel.countDocuments({ sessionId: session.id })).toBe(6);
  });

  it('restores the resume position in a new session on another device', async () => {
    const phone = await server.loginAs('learning-resume');
    const lessonId = await videoLesson(1800);
    const start = at('10:00:00');
    const first = await startSession(phone, lessonId, 'resume-phone', start);
    expect(first.resumePosition).toBeNull();
    await sendLive(
      phone,
      first.id,
      beats(start, at('10:01:00'), 1, start, (time) => ({ position: 35 + (time - start) / 1000 })),
    );
    await endSession(phone, first.id, undefined, at('10:01:05'));

    const pad = await server.loginAs('learning-resume');
    const second = await startSession(pad, lessonId, 'resume-pad-1', at('11:00:00'));
    expect(second.resumePosition).toBe(95);
    const progress = await getProgress(pad, lessonId);
    expect(progress.body.lastPosition).toBe(95);
    expect(progress.body.creditedSeconds).toBe(60);
  });

  it('returns the same session for a repeated start with the same clientSessionId', async () => {
    const token = await server.loginAs('learning-start-twice');
    const lessonId = await videoLesson(600);
    const first = await startSession(token, lessonId, 'start-twice-1', at('10:00:00'));
    const second = await startSession(token, lessonId, 'start-twice-1', at('10:00:05'));

    expect(second.id).toBe(first.id);
    expect(second.startedAt).toBe(new Date(at('10:00:00')).toISOString());
  });

  it('stores concurrent copies of a batch once', async () => {
    const token = await server.loginAs('learning-concurrent');
    const lessonId = await videoLesson(1800);
    const start = at('10:00:00');
    const session = await startSession(token, lessonId, 'concurrent-session', start);
    const batch = beats(start, at('10:01:00'), 1, start).map((item) => item.beat);

    clockMs = at('10:01:00');
    const path = `/api/learning/sessions/${session.id}/heartbeats`;
    const responses = await Promise.all(
      [1, 2].map(() =>
        server.request<HeartbeatBatchResponse>('POST', path, {
          token,
          body: { heartbeats: batch },
        }),
      ),
    );

    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    const acceptedTotal = responses.reduce(
      (sum, response) => sum + response.body.acceptedSeqs.length,
      0,
    );
    expect(acceptedTotal).toBe(5);
    expect(await HeartbeatModel.countDocuments({ sessionId: session.id })).toBe(5);
    const progress = await getProgress(token, lessonId);
    expect(progress.body.creditedSeconds).toBe(60);
  });

  it('completes a document after every page and its minimum time', async () => {
    const token = await server.loginAs('learning-document');
    const lessonId = await createLesson('document', { pageCount: 3 });
    const start = at('10:00:00');
    const session = await startSession(token, lessonId, 'document-session', start);

    const last = await playUntilEnd(token, session.id, start, at('10:01:15'), (time) => ({
      position: Math.floor((time - start) / 30_000) + 1,
    }));

    expect(last.creditedSeconds).toBe(75);
    expect(last.lesson.pagesSeen).toEqual([1, 2, 3]);
    expect(last.lesson.complete).toBe(true);
  });

  it('rejects a reused clientSessionId for another lesson', async () => {
    const token = await server.loginAs('learning-reused-id');
    const firstLesson = await videoLesson(600);
    const secondLesson = await videoLesson(600);
    await startSession(token, firstLesson, 'reused-session', at('10:00:00'));

    const response = await requestStart(token, {
      lessonId: secondLesson,
      clientSessionId: 'reused-session',
    });
    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
  });

  it('rejects heartbeats after the maximum session length', async () => {
    const token = await server.loginAs('learning-long-session');
    const lessonId = await createLesson('article', { wordCount: 1000 });
    const start = at('08:00:00');
    const session = await startSession(token, lessonId, 'long-session-1', start);
    await sendLive(token, session.id, beats(start, at('08:00:15'), 1, start));

    const lastMs = start + MAX_SESSION_MS + 15 * SECOND;
    const late = await postBeats(token, session.id, [{ seq: 3, clientMs: lastMs - start }], lastMs);
    expect(late.body.rejected).toEqual([{ seq: 3, reason: 'after_end' }]);
    expect((await getProgress(token, lessonId)).body.creditedSeconds).toBe(15);
    expect(await HeartbeatModel.countDocuments({ sessionId: session.id })).toBe(2);
  });

  it('turns away heartbeats from the future, out of order or too many, storing nothing', async () => {
    const token = await server.loginAs('learning-rejects');
    const lessonId = await videoLesson(1800);
    const start = at('10:00:00');
    const session = await startSession(token, lessonId, 'rejects-session', start);
    await sendLive(token, session.id, beats(start, at('10:01:00'), 1, start));
    const stored = () => HeartbeatModel.countDocuments({ sessionId: session.id });

    const future = await postBeats(
      token,
      session.id,
      [{ seq: 6, clientMs: 10 * 60_000 }],
      at('10:01:15'),
    );
    expect(future.status).toBe(422);
    expect((future.body as unknown as ApiErrorBody).error.id).toBe('heartbeat_clock_ahead');
    expect(await stored()).toBe(5);

    const resent = await postBeats(
      token,
      session.id,
      [{ seq: 3, clientMs: 90_000 }],
      at('10:01:30'),
    );
    expect(resent.status).toBe(200);
    expect(resent.body.rejected).toEqual([{ seq: 3, reason: 'duplicate' }]);

    const unordered = await postBeats(
      token,
      session.id,
      [
        { seq: 9, clientMs: 90_000 },
        { seq: 7, clientMs: 85_000 },
      ],
      at('10:01:30'),
    );
    expect(unordered.status).toBe(409);
    expect((unordered.body as unknown as ApiErrorBody).error.id).toBe('heartbeat_out_of_order');
    expect(await stored()).toBe(5);

    const ordered = await postBeats(
      token,
      session.id,
      [
        { seq: 7, clientMs: 85_000 },
        { seq: 9, clientMs: 90_000 },
      ],
      at('10:01:30'),
    );
    expect(ordered.status).toBe(200);
    expect(ordered.body.acceptedSeqs).toEqual([7, 9]);

    const backwards = await postBeats(
      token,
      session.id,
      [{ seq: 8, clientMs: 100_000 }],
      at('10:01:45'),
    );
    expect(backwards.status).toBe(409);
    expect((backwards.body as unknown as ApiErrorBody).error.id).toBe('heartbeat_out_of_order');

    const twice = await postBeats(
      token,
      session.id,
      [
        { seq: 10, clientMs: 105_000 },
        { seq: 10, clientMs: 106_000 },
      ],
      at('10:01:50'),
    );
    expect(twice.status).toBe(409);

    const flood = await postBeats(
      token,
      session.id,
      [{ seq: 500, clientMs: 105_000 }],
      at('10:01:50'),
    );
    expect(flood.status).toBe(429);
    expect((flood.body as unknown as ApiErrorBody).error.id).toBe('too_many_heartbeats');
    expect(await stored()).toBe(7);

    // 10:00:00–10:01:00, then seq 5 → 7 capped at 20 s, then seq 7 → 9 for 5 s.
    expect((await getProgress(token, lessonId)).body.creditedSeconds).toBe(85);
  });
});

describe('learning input checks', () => {
  let token: string;
  let otherToken: string;
  let lessonId: string;
  let sessionId: string;

  beforeAll(async () => {
    token = await server.loginAs('learning-bad-input');
    otherToken = await server.loginAs('learning-intruder');
    lessonId = await videoLesson(600);
    sessionId = (await startSession(token, lessonId, 'bad-input-session', at('10:00:00'))).id;
  });

  async function heartbeatCount(): Promise<number> {
    return HeartbeatModel.countDocuments({ sessionId });
  }

  /** Starts a session that the server must reject, and checks that it stored no session. */
  async function expectStartRejected(
    body: unknown,
    expected: { status: number; errorId: string },
  ): Promise<void> {
    const before = await LearningSessionModel.countDocuments();
    const response = await requestStart(token, body);
    expect(response.status).toBe(expected.status);
    expect(response.body.error.id).toBe(expected.errorId);
    expect(await LearningSessionModel.countDocuments()).toBe(before);
  }

  it('rejects a start for an unknown lesson with 404 and stores nothing', async () => {
    await expectStartRejected(
      { lessonId: new Types.ObjectId().toHexString(), clientSessionId: 'unknown-lesson' },
      { status: 404, errorId: 'not_found' },
    );
  });

  it('answers 404 to a start for a lesson of an unpublished course', async () => {
    const hiddenLessonId = await createArticleCourseLesson({
      code: 'learning-unpublished',
      title: '未发布课程',
      published: false,
    });
    await expectStartRejected(
      { lessonId: hiddenLessonId, clientSessionId: 'unpublished-lesson' },
      { status: 404, errorId: 'not_found' },
    );
  });

  it('answers 403 to a start for a paid course not bought', async () => {
    const paidLessonId = await createArticleCourseLesson({
      code: 'learning-paid',
      title: '付费课程',
      published: true,
      priceFen: 9900,
    });
    await expectStartRejected(
      { lessonId: paidLessonId, clientSessionId: 'paid-lesson-1' },
      { status: 403, errorId: 'purchase_required' },
    );
  });

  it('rejects more than the allowed sessions in 12 hours with 429', async () => {
    const busy = await server.loginAs('learning-session-flood');
    clockMs = at('10:00:00');
    const first = await requestStart<LearningSessionView>(busy, {
      lessonId,
      clientSessionId: 'flood-session-0',
    });
    expect(first.status).toBe(200);
    // The other sessions of the quota are stored directly: starting 120 through HTTP only slows
    // the test down.
    const template = (await LearningSessionModel.findById(first.body.id).lean())!;
    await LearningSessionModel.insertMany(
      Array.from({ length: MAX_SESSIONS_PER_WINDOW - 1 }, (_, n) => ({
        learnerId: template.learnerId,
        clientSessionId: `flood-session-${n + 1}`,
        lessonId: template.lessonId,
        courseId: template.courseId,
        lesson: template.lesson,
        startedAt: new Date(at('09:30:00') + n * 1000),
      })),
    );
    const over = await requestStart(busy, { lessonId, clientSessionId: 'flood-session-over' });
    expect(over.status).toBe(429);
    expect(over.body.error.id).toBe('too_many_sessions');
    const retried = await requestStart(busy, { lessonId, clientSessionId: 'flood-session-0' });
    expect(retried.status).toBe(200);
  });

  it('rejects a malformed start with 400', async () => {
    await expectStartRejected(
      { lessonId: { $ne: null }, clientSessionId: 'operator-lesson' },
      { status: 400, errorId: 'validation_failed' },
    );
  });

  it('rejects a start without a token with 401', async () => {
    const response = await requestStart(undefined, {
      lessonId,
      clientSessionId: 'no-token-session',
    });
    expect(response.status).toBe(401);
    expect(response.body.error.id).toBe('unauthenticated');
  });

  const badBatches: [string, { rawBody?: string; body?: unknown }][] = [
    ['a body that is not JSON', { rawBody: '{"heartbeats": [' }],
    ['an empty batch', { body: { heartbeats: [] } }],
    ['a seq that is a string', { body: { heartbeats: [{ seq: '1', clientMs: 0 }] } }],
    ['a missing clientMs', { body: { heartbeats: [{ seq: 1 }] } }],
    [
      'a negative playback rate',
      { body: { heartbeats: [{ seq: 1, clientMs: 0, playbackRate: -1 }] } },
    ],
    [
      'more than 200 heartbeats',
      {
        body: {
          heartbeats: Array.from({ length: 201 }, (_, i) => ({ seq: i + 1, clientMs: i * 15_000 })),
        },
      },
    ],
  ];
  for (const [name, options] of badBatches) {
    it(`rejects ${name} with 400 validation_failed and stores nothing`, async () => {
      clockMs = at('10:00:10');
      const headers = options.rawBody ? { 'content-type': 'application/json' } : undefined;
      const response = await server.request<ApiErrorBody>(
        'POST',
        `/api/learning/sessions/${sessionId}/heartbeats`,
        { token, ...options, ...(headers ? { headers } : {}) },
      );
      expect(response.status).toBe(400);
      expect(response.body.error.id).toBe('validation_failed');
      expect(await heartbeatCount()).toBe(0);
    });
  }

  it("answers 404 to heartbeats for another learner's session and stores nothing", async () => {
    const response = await postBeats(
      otherToken,
      sessionId,
      [{ seq: 1, clientMs: 0 }],
      at('10:00:10'),
    );
    expect(response.status).toBe(404);
    expect((response.body as unknown as ApiErrorBody).error.id).toBe('not_found');
    expect(await heartbeatCount()).toBe(0);
  });

  it("answers 404 to ending another learner's session and ends nothing", async () => {
    const response = await endSession(otherToken, sessionId, undefined, at('10:00:10'));
    expect(response.status).toBe(404);
    expect(await SessionEndModel.countDocuments({ sessionId })).toBe(0);
  });

  it('rejects unknown and malformed session ids', async () => {
    const unknown = await postBeats(
      token,
      new Types.ObjectId().toHexString(),
      [{ seq: 1, clientMs: 0 }],
      at('10:00:10'),
    );
    expect(unknown.status).toBe(404);
    const malformed = await postBeats(
      token,
      'not-an-id',
      [{ seq: 1, clientMs: 0 }],
      at('10:00:10'),
    );
    expect(malformed.status).toBe(400);
    expect(await heartbeatCount()).toBe(0);
  });

  it('answers 404 to progress of an unknown lesson', async () => {
    const response = await getProgress(token, new Types.ObjectId().toHexString());
    expect(response.status).toBe(404);
  });

  it('reports empty progress for a lesson without heartbeats', async () => {
    const response = await getProgress(token, lessonId);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      lessonId,
      creditedSeconds: 0,
      complete: false,
      watchedSeconds: 0,
      pagesSeen: null,
      maxScrollRatio: null,
      lastPosition: null,
    });
  });

  it('stores no credited interval for a session without credit', async () => {
    expect(await CreditedIntervalModel.countDocuments({ sessionId })).toBe(0);
  });
});
