import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOGIN_CODE_TTL_MS } from './login.js';
import {
  postJson,
  requestJson,
  startTestSandbox,
  TEST_APP_ID,
  TEST_APP_SECRET,
  type JsonResponse,
  type TestSandbox,
} from './test-support.js';

let harness: TestSandbox;

beforeEach(async () => {
  harness = await startTestSandbox();
});

afterEach(async () => {
  await harness.close();
});

async function issueCode(learner: string): Promise<string> {
  const response = await postJson(`${harness.url}/sandbox/login-code`, { learner });
  return String(response.body.code);
}

async function exchange(code: string): Promise<JsonResponse> {
  const params = new URLSearchParams({
    appid: TEST_APP_ID,
    secret: TEST_APP_SECRET,
    js_code: code,
    grant_type: 'authorization_code',
  });
  return requestJson(`${harness.url}/sns/jscode2session?${params.toString()}`);
}

async function callCounts(): Promise<Record<string, number>> {
  const response = await requestJson(`${harness.url}/sandbox/calls`);
  return response.body.calls as Record<string, number>;
}

describe('sandbox calls', () => {
  it('starts at zero for every endpoint', async () => {
    const calls = await callCounts();

    expect(calls.jscode2session).toBe(0);
    expect(calls.stable_token).toBe(0);
    expect(calls.getcallbackip).toBe(0);
  });

  it('counts each WeChat call, failures included', async () => {
    const code = await issueCode('demo');
    await exchange(code);
    await exchange(code);
    await postJson(`${harness.url}/cgi-bin/stable_token`, {});

    const calls = await callCounts();

    expect(calls.jscode2session).toBe(2);
    expect(calls.stable_token).toBe(1);
    expect(harness.sandbox.callCounts().jscode2session).toBe(2);
  });

  it('does not count sandbox controls', async () => {
    await issueCode('demo');
    await requestJson(`${harness.url}/sandbox/behaviour`);

    const calls = await callCounts();

    expect(calls).toEqual({
      jscode2session: 0,
      stable_token: 0,
      getcallbackip: 0,
      custom_send: 0,
      qrcode_create: 0,
      menu_create: 0,
      user_info: 0,
    });
  });
});

describe('sandbox reset', () => {
  it('forgets codes, tokens and counts', async () => {
    const code = await issueCode('demo');
    const tokenResponse = await postJson(`${harness.url}/cgi-bin/stable_token`, {
      grant_type: 'client_credential',
      appid: TEST_APP_ID,
      secret: TEST_APP_SECRET,
    });
    const token = String(tokenResponse.body.access_token);
    await postJson(`${harness.url}/sandbox/behaviour`, { jscode2sessionDelayMs: 50 });

    const reset = await requestJson(`${harness.url}/sandbox/reset`, { method: 'POST' });
    const countsAfterReset = await callCounts();
    const behaviour = await requestJson(`${harness.url}/sandbox/behaviour`);
    const exchangeAfterReset = await exchange(code);

    expect(reset.status).toBe(204);
    expect(countsAfterReset.jscode2session).toBe(0);
    expect(countsAfterReset.stable_token).toBe(0);
    expect(behaviour.body.jscode2sessionDelayMs).toBe(0);
    expect(exchangeAfterReset.body.errcode).toBe(40029);
    expect(harness.sandbox.isAccessTokenValid(token)).toBe(false);
  });

  it('keeps derived openids stable across resets', async () => {
    const before = await postJson(`${harness.url}/sandbox/login-code`, { learner: 'demo' });
    await requestJson(`${harness.url}/sandbox/reset`, { method: 'POST' });
    const after = await postJson(`${harness.url}/sandbox/login-code`, { learner: 'demo' });

    expect(after.body.openid).toBe(before.body.openid);
  });
});

describe('sandbox behaviour', () => {
  it('delays jscode2session by the configured time', async () => {
    const code = await issueCode('demo');
    const set = await postJson(`${harness.url}/sandbox/behaviour`, { jscode2sessionDelayMs: 300 });

    const started = performance.now();
    const response = await exchange(code);
    const elapsedMs = performance.now() - started;

    expect(set.body.jscode2sessionDelayMs).toBe(300);
    expect(response.body.openid).toBeDefined();
    expect(elapsedMs).toBeGreaterThanOrEqual(290);
  });

  it('lets only one of two concurrent exchanges of a code succeed', async () => {
    const code = await issueCode('demo');
    await postJson(`${harness.url}/sandbox/behaviour`, { jscode2sessionDelayMs: 200 });

    const responses = await Promise.all([exchange(code), exchange(code)]);
    const errcodes = responses.map((response) => response.body.errcode ?? 0).sort();

    expect(errcodes).toEqual([0, 40163]);
  });

  it('simulates a documented errcode without consuming the code', async () => {
    const code = await issueCode('demo');
    await postJson(`${harness.url}/sandbox/behaviour`, { jscode2sessionErrcode: -1 });

    const busy = await exchange(code);
    await postJson(`${harness.url}/sandbox/behaviour`, { jscode2sessionErrcode: null });
    const recovered = await exchange(code);

    expect(busy.body.errcode).toBe(-1);
    expect(busy.body.errmsg).toMatch(/^system error/);
    expect(recovered.body.openid).toBeDefined();
  });

  it('rejects an errcode the code2Session page does not document', async () => {
    const response = await postJson(`${harness.url}/sandbox/behaviour`, {
      jscode2sessionErrcode: 40001,
    });

    expect(response.status).toBe(400);
    expect((response.body.error as { id: string }).id).toBe('invalid_request');
  });

  it('rejects a negative delay', async () => {
    const response = await postJson(`${harness.url}/sandbox/behaviour`, {
      jscode2sessionDelayMs: -1,
    });

    expect(response.status).toBe(400);
  });
});

describe('sandbox clock', () => {
  it('expires codes when advanced over HTTP', async () => {
    const code = await issueCode('demo');
    const before = await requestJson(`${harness.url}/sandbox/clock`);

    const advanced = await postJson(`${harness.url}/sandbox/clock`, {
      advanceMs: LOGIN_CODE_TTL_MS,
    });
    const response = await exchange(code);

    expect(Date.parse(String(advanced.body.now)) - Date.parse(String(before.body.now))).toBe(
      LOGIN_CODE_TTL_MS,
    );
    expect(response.body.errcode).toBe(40029);
  });

  it('rejects a clock that would move backwards', async () => {
    const response = await postJson(`${harness.url}/sandbox/clock`, { advanceMs: -1000 });

    expect(response.status).toBe(400);
  });
});

describe('unknown paths', () => {
  it('returns 404 and 40066 for unknown WeChat APIs', async () => {
    const response = await requestJson(`${harness.url}/cgi-bin/media/upload`);

    expect(response.status).toBe(404);
    expect(response.body.errcode).toBe(40066);
  });

  it('returns 404 for unknown sandbox controls', async () => {
    const response = await requestJson(`${harness.url}/sandbox/nothing-here`);

    expect(response.status).toBe(404);
    expect((response.body.error as { id: string }).id).toBe('not_found');
  });
});
