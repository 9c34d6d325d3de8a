import { afterEach, beforeEach, expect, test } from 'vitest';

import { createAnswerSaver, type SaveState } from '../../src/services/answer-saver';
import { createApi, type Api } from '../../src/services/api';
import { createApiClient } from '../../src/services/http';
import { devLoginCode } from '../../src/services/login';
import { createTaroSessionStore } from '../../src/services/session';
import { startFakeApi, type FakeApi } from '../support/fake-api';

const QUIZ_ID = '65b000000000000000000001';
const SINGLE = '65c000000000000000000001';
const MULTIPLE = '65c000000000000000000002';

let server: FakeApi;
let api: Api;

beforeEach(async () => {
  localStorage.clear();
  server = await startFakeApi();
  const sessionStore = createTaroSessionStore('test.session');
  api = createApi(
    createApiClient({ baseUrl: server.url, sessionStore, obtainLoginCode: devLoginCode('bob') }),
  );
});

afterEach(async () => {
  await server.close();
});

function recorder() {
  const states: [string, SaveState][] = [];
  return { states, onState: (id: string, state: SaveState) => states.push([id, state]) };
}

test('answer saver keeps the latest choice', async () => {
  const attempt = await api.startAttempt(QUIZ_ID);
  const { states, onState } = recorder();
  const saver = createAnswerSaver((id, choice) => api.saveAnswer(attempt.id, id, choice), onState);

  saver.save(MULTIPLE, ['A']);
  saver.save(MULTIPLE, ['A', 'B']);
  saver.save(MULTIPLE, ['B']);
  saver.save(SINGLE, ['C']);
  const failed = await saver.flush();

  expect(failed).toEqual([]);
  const saved = await api.getAttempt(attempt.id);
  expect(saved.answers[MULTIPLE]).toEqual(['B']);
  expect(saved.answers[SINGLE]).toEqual(['C']);
  const puts = server.requests.filter((item) => item.method === 'PUT');
  expect(puts.length).toBeLessThanOrEqual(3); // choices made during a request collapse
  expect(states.filter(([id]) => id === MULTIPLE).at(-1)).toEqual([MULTIPLE, 'saved']);
});

test('answer saver sends one question in order', async () => {
  const sent: string[][] = [];
  const releases: (() => void)[] = [];
  const saver = createAnswerSaver(
    (_id, choice) =>
      new Promise<void>((resolve) => {
        sent.push(choice);
        releases.push(resolve);
      }),
    () => undefined,
  );

  saver.save(SINGLE, ['A']);
  await Promise.resolve();
  await Promise.resolve();
  saver.save(SINGLE, ['B']);
  saver.save(SINGLE, ['C']);
  expect(sent).toEqual([['A']]); // nothing else starts while the first request runs
  releases.shift()?.();
  await new Promise((resolve) => setTimeout(resolve, 0));
  expect(sent).toEqual([['A'], ['C']]);
  releases.shift()?.();
  expect(await saver.flush()).toEqual([]);
});

test('answer saver reports and retries a failed save', async () => {
  const attempt = await api.startAttempt(QUIZ_ID);
  const { states, onState } = recorder();
  const saver = createAnswerSaver((id, choice) => api.saveAnswer(attempt.id, id, choice), onState);
  const answerPath = `/api/attempts/${attempt.id}/answers/${SINGLE}`;
  server.failNext(answerPath, 500, {
    error: { id: 'internal_error', message: 'x', requestId: 'r' },
  });

  saver.save(SINGLE, ['D']);
  expect(await saver.flush()).toEqual([SINGLE]);
  expect(states.at(-1)).toEqual([SINGLE, 'failed']);
  expect((await api.getAttempt(attempt.id)).answers[SINGLE]).toBeUndefined();

  saver.retry(SINGLE);
  expect(await saver.flush()).toEqual([]);
  expect(states.at(-1)).toEqual([SINGLE, 'saved']);
  expect((await api.getAttempt(attempt.id)).answers[SINGLE]).toEqual(['D']);
});

test('answer saver survives a synchronous throw', async () => {
  const saver = createAnswerSaver(
    () => {
      throw new Error('boom');
    },
    () => undefined,
  );
  saver.save(SINGLE, ['A']);
  expect(await saver.flush()).toEqual([SINGLE]);
});
