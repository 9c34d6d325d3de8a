import Taro from '@tarojs/taro';
import type { HeartbeatPayload } from '@wxlearn/api-types';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';

import { createApi, type Api } from '../../src/services/api';
import {
  heartbeatQueueKey,
  listStoredQueueSessions,
  MAX_HEARTBEAT_BATCH,
  openHeartbeatQueue,
  taroStorage,
} from '../../src/services/heartbeat-queue';
import { createApiClient } from '../../src/services/http';
import {
  createLearningSession,
  type LearningSession,
  type LearningSessionState,
} from '../../src/services/learning-session';
import { devLoginCode } from '../../src/services/login';
import { createTaroSessionStore } from '../../src/services/session';
import {
  FAKE_FIRST_RESUME_POSITION,
  FAKE_HEARTBEAT_INTERVAL_MS,
  startFakeApi,
  type FakeApi,
} from '../support/fake-api';

const ARTICLE_LESSON = '65e000000000000000000001';
const SESSION_PATH_PREFIX = '/api/learning/sessions/';

let server: FakeApi;
let api: Api;
let clockMs: number;
let position: number;
let changes: LearningSessionState[];
let open: LearningSession[];

beforeEach(async () => {
  localStorage.clear();
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  server = await startFakeApi();
  const sessionStore = createTaroSessionStore('test.session');
  api = createApi(
    createApiClient({ baseUrl: server.url, sessionStore, obtainLoginCode: devLoginCode('carol') }),
  );
  clockMs = 1000;
  position = 0.1;
  changes = [];
  open = [];
});

afterEach(async () => {
  for (const session of open) session.hide();
  vi.useRealTimers();
  await server.close();
});

function openSession(): LearningSession {
  const session = createLearningSession({
    lessonId: ARTICLE_LESSON,
    api,
    getPosition: () => position,
    onChange: (state) => changes.push(state),
    clock: () => clockMs,
  });
  open.push(session);
  return session;
}

/** Moves the fake clock and timers by one heartbeat period and waits for the sends. */
async function tick(session: LearningSession): Promise<void> {
  clockMs += FAKE_HEARTBEAT_INTERVAL_MS;
  position += 0.1;
  vi.advanceTimersByTime(FAKE_HEARTBEAT_INTERVAL_MS);
  await session.flush();
}

function heartbeatRequests(): HeartbeatPayload[][] {
  return server.requests
    .filter((item) => item.path.endsWith('/heartbeats'))
    .map((item) => (item.body as { heartbeats: HeartbeatPayload[] }).heartbeats);
}

function acceptedOf(session: LearningSession): HeartbeatPayload[] {
  const id = session.state.session?.id ?? '';
  return server.learningSessions.get(id)?.accepted ?? [];
}

test('session start returns resume position', async () => {
  const session = openSession();
  const view = await session.start();
  await session.flush();

  expect(view.resumePosition).toBe(FAKE_FIRST_RESUME_POSITION);
  expect(view.heartbeatIntervalMs).toBe(FAKE_HEARTBEAT_INTERVAL_MS);
  const start = server.requests.find((item) => item.path === '/api/learning/sessions');
  expect(start?.body).toMatchObject({ lessonId: ARTICLE_LESSON });
  expect(acceptedOf(session).map((item) => item.seq)).toEqual([1]);
});

test('heartbeats keep seq order', async () => {
  const session = openSession();
  await session.start();
  await session.flush();
  await tick(session);
  await tick(session);
  session.beat({ paused: true });
  await session.flush();

  const accepted = acceptedOf(session);
  expect(accepted.map((item) => item.seq)).toEqual([1, 2, 3, 4]);
  expect(accepted.map((item) => item.clientMs)).toEqual([1000, 16000, 31000, 31000]);
  expect(accepted[1]?.position).toBeCloseTo(0.2);
  expect(accepted[3]?.paused).toBe(true);
  expect(session.state.unsavedCount).toBe(0);
});

test('player fields join every heartbeat', async () => {
  let player = { paused: true, playbackRate: 1 };
  const session = createLearningSession({
    lessonId: ARTICLE_LESSON,
    api,
    getPosition: () => position,
    getPlayerFields: () => player,
    clock: () => clockMs,
  });
  open.push(session);
  await session.start();
  await session.flush();
  player = { paused: false, playbackRate: 1.5 };
  await tick(session);
  session.beat({ position: 12, paused: true });
  await session.flush();

  const accepted = acceptedOf(session);
  expect(accepted.map((item) => item.seq)).toEqual([1, 2, 3]);
  expect(accepted[0]).toMatchObject({ paused: true, playbackRate: 1 });
  expect(accepted[1]).toMatchObject({ paused: false, playbackRate: 1.5 });
  // Fields given to beat() win over the player's.
  expect(accepted[2]).toMatchObject({ position: 12, paused: true, playbackRate: 1.5 });
});

test('queue survives outage and replays', async () => {
  const session = openSession();
  await session.start();
  server.dropNext(SESSION_PATH_PREFIX, 3);
  await session.flush(); // seq 1 dropped
  await tick(session); // seqs 1-2 dropped
  await tick(session); // seqs 1-3 dropped

  const id = session.state.session?.id ?? '';
  expect(session.state.unsavedCount).toBe(3);
  expect(changes.some((state) => state.unsavedCount > 0)).toBe(true);
  const stored = Taro.getStorageSync(heartbeatQueueKey(id)) as { heartbeats: HeartbeatPayload[] };
  expect(stored.heartbeats.map((item) => item.seq)).toEqual([1, 2, 3]);
  expect(acceptedOf(session)).toEqual([]);

  await tick(session); // network back: seqs 1-4 in one batch

  expect(acceptedOf(session).map((item) => item.seq)).toEqual([1, 2, 3, 4]);
  expect(heartbeatRequests()).toHaveLength(1);
  expect(session.state.unsavedCount).toBe(0);
  expect(changes.at(-1)?.unsavedCount).toBe(0);
  expect(Taro.getStorageSync(heartbeatQueueKey(id))).toBe('');
});

test('acknowledged heartbeats are not resent', async () => {
  const session = openSession();
  await session.start();
  await session.flush();
  await tick(session);
  await tick(session);

  const sent = heartbeatRequests().flatMap((batch) => batch.map((item) => item.seq));
  expect(sent).toEqual([1, 2, 3]);
  const id = session.state.session?.id ?? '';
  expect(server.learningSessions.get(id)?.receivedSeqs.size).toBe(3);
});

test('rejected batch is dropped', async () => {
  const session = openSession();
  await session.start();
  await session.flush();
  const id = session.state.session?.id ?? '';
  const body = { error: { id: 'validation_failed', message: 'bad', requestId: null } };
  server.failNext(`/api/learning/sessions/${id}/heartbeats`, 400, body);
  await tick(session); // seq 2 rejected with 400
  await tick(session);

  const sent = heartbeatRequests().flatMap((batch) => batch.map((item) => item.seq));
  expect(sent).toEqual([1, 2, 3]);
  expect(acceptedOf(session).map((item) => item.seq)).toEqual([1, 3]);
  expect(session.state.unsavedCount).toBe(0);
  expect(session.state.rejectedMessage).toBe('提交的内容有误，请检查后重试');
});

test('clock rejection is shown', async () => {
  const session = openSession();
  await session.start();
  await session.flush();
  expect(session.state.rejectedMessage).toBeNull();
  const id = session.state.session?.id ?? '';
  const body = { error: { id: 'heartbeat_clock_ahead', message: 'ahead', requestId: null } };
  server.failNext(`/api/learning/sessions/${id}/heartbeats`, 422, body);
  await tick(session);

  expect(session.state.rejectedMessage).toBe('设备时间异常，请重新打开本课');
  expect(changes.at(-1)?.rejectedMessage).toBe('设备时间异常，请重新打开本课');
});

test('expired login renews and sends', async () => {
  const session = openSession();
  await session.start();
  await session.flush();
  server.revokeSessions('session_expired');
  await tick(session);

  expect(acceptedOf(session).map((item) => item.seq)).toEqual([1, 2]);
  const logins = server.requests.filter((item) => item.path === '/api/auth/login');
  expect(logins).toHaveLength(2);
});

test('hide sends hidden and stops timer', async () => {
  const session = openSession();
  await session.start();
  await session.flush();
  session.hide();
  await session.flush();
  await tick(session);
  await tick(session);

  const accepted = acceptedOf(session);
  expect(accepted.map((item) => item.seq)).toEqual([1, 2]);
  expect(accepted[1]?.hidden).toBe(true);
  expect(vi.getTimerCount()).toBe(0);
});

test('show sends resumed at once', async () => {
  const session = openSession();
  await session.start();
  await session.flush();
  session.hide();
  clockMs += 120_000;
  session.show();
  await session.flush();

  const accepted = acceptedOf(session);
  expect(accepted.map((item) => item.seq)).toEqual([1, 2, 3]);
  expect(accepted[2]?.resumed).toBe(true);
  expect(accepted[2]?.clientMs).toBe(121_000);
  await tick(session);
  expect(acceptedOf(session).map((item) => item.seq)).toEqual([1, 2, 3, 4]);
});

test('end sends final heartbeat', async () => {
  const session = openSession();
  await session.start();
  await session.flush();
  await tick(session);
  await session.end();

  const id = session.state.session?.id ?? '';
  const ends = server.requests.filter((item) => item.path.endsWith('/end'));
  expect(ends).toHaveLength(1);
  expect(ends[0]?.body).toMatchObject({ finalHeartbeat: { seq: 3 } });
  expect(server.learningSessions.get(id)?.view.endedAt).not.toBeNull();
  expect(acceptedOf(session).map((item) => item.seq)).toEqual([1, 2, 3]);
  expect(vi.getTimerCount()).toBe(0);
});

test('queue reopens from storage', () => {
  const queue = openHeartbeatQueue('65f000000000000000000001', taroStorage);
  for (let seq = 1; seq <= MAX_HEARTBEAT_BATCH + 5; seq += 1) {
    queue.push({ seq, clientMs: seq * 1000 });
  }

  const reopened = openHeartbeatQueue('65f000000000000000000001', taroStorage);
  expect(reopened.size).toBe(MAX_HEARTBEAT_BATCH + 5);
  expect(reopened.lastSeq).toBe(MAX_HEARTBEAT_BATCH + 5);
  const batch = reopened.peekBatch();
  expect(batch).toHaveLength(MAX_HEARTBEAT_BATCH);
  expect(batch[0]?.seq).toBe(1);
  expect(() => reopened.push({ seq: 3, clientMs: 0 })).toThrow(/not above/);
  expect(reopened.remove(batch.map((item) => item.seq))).toBe(MAX_HEARTBEAT_BATCH);
  expect(reopened.peekBatch().map((item) => item.seq)).toEqual([201, 202, 203, 204, 205]);
});

test('earlier queue replays on next open', async () => {
  const first = openSession();
  await first.start();
  server.dropNext(SESSION_PATH_PREFIX, 1000);
  await first.flush();
  await tick(first);
  await first.end();
  const firstId = first.state.session?.id ?? '';
  expect(first.state.unsavedCount).toBe(3);
  expect(listStoredQueueSessions()).toEqual([firstId]);
  expect(acceptedOf(first)).toEqual([]);

  server.dropNext(SESSION_PATH_PREFIX, 0);
  const second = openSession();
  await second.start();
  await second.flush();

  expect(acceptedOf(first).map((item) => item.seq)).toEqual([1, 2, 3]);
  expect(acceptedOf(second).map((item) => item.seq)).toEqual([1]);
  expect(listStoredQueueSessions()).toEqual([]);
  expect(Taro.getStorageSync(heartbeatQueueKey(firstId))).toBe('');
});
