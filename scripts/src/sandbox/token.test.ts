import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN_TTL_MS,
  FORCE_REFRESH_DAILY_LIMIT,
  FORCE_REFRESH_MIN_INTERVAL_MS,
  TOKEN_OVERLAP_MS,
} from './token.js';
import {
  postJson,
  requestJson,
  startTestSandbox,
  TEST_APP_ID,
  TEST_APP_SECRET,
  TEST_OFFICIAL_ACCOUNT,
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

async function stableToken(overrides: Record<string, unknown> = {}): Promise<JsonResponse> {
  return postJson(`${harness.url}/cgi-bin/stable_token`, {
    grant_type: 'client_credential',
    appid: TEST_APP_ID,
    secret: TEST_APP_SECRET,
    ...overrides,
  });
}

async function tokenOf(overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await stableToken(overrides);
  expect(response.body).not.toHaveProperty('errcode');
  return String(response.body.access_token);
}

/** Calls a WeChat API that requires an access token and returns its errcode, or 0 on success. */
async function callbackIpErrcode(token: string): Promise<number> {
  const response = await requestJson(
    `${harness.url}/cgi-bin/getcallbackip?access_token=${encodeURIComponent(token)}`,
  );
  return typeof response.body.errcode === 'number' ? response.body.errcode : 0;
}

describe('stable_token normal mode', () => {
  it('returns a token valid for 7200 seconds', async () => {
    const response = await stableToken();

    expect(response.status).toBe(200);
    expect(response.contentType).toMatch(/^application\/json/);
    expect(response.body.expires_in).toBe(7200);
    expect(String(response.body.access_token)).toMatch(/^[0-9]+_[A-Za-z0-9_-]{100,500}$/);
    expect(harness.sandbox.isAccessTokenValid(String(response.body.access_token))).toBe(true);
  });

  it('returns the same token while it is valid', async () => {
    const first = await stableToken();
    harness.advance(100_000);

    const second = await stableToken({ force_refresh: false });

    expect(second.body.access_token).toBe(first.body.access_token);
    expect(second.body.expires_in).toBe(7100);
  });

  it('keeps the token until 5 minutes before expiry', async () => {
    const first = await stableToken();
    harness.advance(ACCESS_TOKEN_TTL_MS - TOKEN_OVERLAP_MS - 1000);

    const second = await stableToken();

    expect(second.body.access_token).toBe(first.body.access_token);
    expect(second.body.expires_in).toBe(301);
  });

  it('issues the next token in the last 5 minutes', async () => {
    const oldToken = await tokenOf();
    harness.advance(ACCESS_TOKEN_TTL_MS - TOKEN_OVERLAP_MS);

    const next = await stableToken();

    expect(next.body.access_token).not.toBe(oldToken);
    expect(next.body.expires_in).toBe(7200);
    expect(await callbackIpErrcode(oldToken)).toBe(0);
    harness.advance(TOKEN_OVERLAP_MS);
    expect(await callbackIpErrcode(oldToken)).toBe(42001);
    expect(await callbackIpErrcode(String(next.body.access_token))).toBe(0);
  });

  it('lets a token expire after 7200 seconds', async () => {
    const token = await tokenOf();
    harness.advance(ACCESS_TOKEN_TTL_MS);

    expect(harness.sandbox.isAccessTokenValid(token)).toBe(false);
    expect(await callbackIpErrcode(token)).toBe(42001);
  });

  it('accepts a JSON body sent as text/plain', async () => {
    const response = await requestJson(`${harness.url}/cgi-bin/stable_token`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({
        grant_type: 'client_credential',
        appid: TEST_APP_ID,
        secret: TEST_APP_SECRET,
      }),
    });

    expect(response.body.expires_in).toBe(7200);
  });

  it('keeps separate tokens per account', async () => {
    const miniProgramToken = await tokenOf();
    const officialAccountToken = await tokenOf({
      appid: TEST_OFFICIAL_ACCOUNT.appId,
      secret: TEST_OFFICIAL_ACCOUNT.appSecret,
    });

    expect(officialAccountToken).not.toBe(miniProgramToken);
    expect(harness.sandbox.isAccessTokenValid(officialAccountToken)).toBe(true);
    expect(harness.sandbox.isAccessTokenValid(miniProgramToken)).toBe(true);
  });
});

describe('stable_token force refresh', () => {
  it('issues a new token and keeps the old one for 5 minutes', async () => {
    const oldToken = await tokenOf();
    harness.advance(60_000);

    const refreshed = await stableToken({ force_refresh: true });

    expect(refreshed.body.access_token).not.toBe(oldToken);
    expect(refreshed.body.expires_in).toBe(7200);
    harness.advance(TOKEN_OVERLAP_MS - 1);
    expect(harness.sandbox.isAccessTokenValid(oldToken)).toBe(true);
    expect(await callbackIpErrcode(oldToken)).toBe(0);
    harness.advance(1);
    expect(harness.sandbox.isAccessTokenValid(oldToken)).toBe(false);
    expect(await callbackIpErrcode(oldToken)).toBe(40001);
    expect(await callbackIpErrcode(String(refreshed.body.access_token))).toBe(0);
  });

  it('returns the refreshed token in normal mode afterwards', async () => {
    await tokenOf();
    const refreshed = await tokenOf({ force_refresh: true });

    const normal = await tokenOf();

    expect(normal).toBe(refreshed);
  });

  it('does not refresh again within 30 seconds', async () => {
    const first = await tokenOf({ force_refresh: true });
    harness.advance(FORCE_REFRESH_MIN_INTERVAL_MS - 1);

    const second = await tokenOf({ force_refresh: true });

    expect(second).toBe(first);
  });

  it('invalidates a leaked token at once with two refreshes 30 seconds apart', async () => {
    const leaked = await tokenOf();
    await tokenOf({ force_refresh: true });
    harness.advance(FORCE_REFRESH_MIN_INTERVAL_MS);

    const latest = await tokenOf({ force_refresh: true });

    expect(harness.sandbox.isAccessTokenValid(leaked)).toBe(false);
    expect(await callbackIpErrcode(leaked)).toBe(40001);
    expect(await callbackIpErrcode(latest)).toBe(0);
  });

  it('allows 20 force refreshes per day, then 45009', async () => {
    for (let i = 0; i < FORCE_REFRESH_DAILY_LIMIT; i += 1) {
      const response = await stableToken({ force_refresh: true });
      expect(response.body.expires_in).toBe(7200);
      harness.advance(FORCE_REFRESH_MIN_INTERVAL_MS);
    }

    const overLimit = await stableToken({ force_refresh: true });
    harness.advance(24 * 60 * 60 * 1000);
    const nextDay = await stableToken({ force_refresh: true });

    expect(overLimit.body.errcode).toBe(45009);
    expect(overLimit.body).not.toHaveProperty('access_token');
    expect(nextDay.body.expires_in).toBe(7200);
  });
});

describe('stable_token errors', () => {
  const bodyCases: Array<{ name: string; overrides: Record<string, unknown>; errcode: number }> = [
    { name: 'wrong appid', overrides: { appid: 'wx9999999999999999' }, errcode: 40013 },
    { name: 'wrong secret', overrides: { secret: 'wrong' }, errcode: 40125 },
    { name: 'wrong grant_type', overrides: { grant_type: 'authorization_code' }, errcode: 40002 },
    { name: 'missing grant_type', overrides: { grant_type: undefined }, errcode: 40002 },
    { name: 'missing appid', overrides: { appid: undefined }, errcode: 41002 },
    { name: 'missing secret', overrides: { secret: undefined }, errcode: 41004 },
    { name: 'force_refresh as a string', overrides: { force_refresh: 'true' }, errcode: 47001 },
  ];

  for (const testCase of bodyCases) {
    it(`rejects ${testCase.name} with ${testCase.errcode}`, async () => {
      const response = await stableToken(testCase.overrides);

      expect(response.status).toBe(200);
      expect(response.body.errcode).toBe(testCase.errcode);
      expect(response.body).not.toHaveProperty('access_token');
    });
  }

  it('rejects the mini-program secret for the official account', async () => {
    const response = await stableToken({ appid: TEST_OFFICIAL_ACCOUNT.appId });

    expect(response.body.errcode).toBe(40125);
  });

  it('rejects GET with 43002', async () => {
    const response = await requestJson(`${harness.url}/cgi-bin/stable_token`);

    expect(response.body.errcode).toBe(43002);
  });

  it('rejects an empty body with 44002', async () => {
    const response = await requestJson(`${harness.url}/cgi-bin/stable_token`, { method: 'POST' });

    expect(response.body.errcode).toBe(44002);
  });

  it('rejects a body that is not JSON with 47001', async () => {
    const response = await requestJson(`${harness.url}/cgi-bin/stable_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'grant_type=client_credential',
    });

    expect(response.body.errcode).toBe(47001);
  });
});

describe('access token checks', () => {
  it('rejects a missing access_token with 41001', async () => {
    const response = await requestJson(`${harness.url}/cgi-bin/getcallbackip`);

    expect(response.body.errcode).toBe(41001);
    expect(response.body).not.toHaveProperty('ip_list');
  });

  it('rejects an unknown access_token with 40001', async () => {
    expect(await callbackIpErrcode('90_not-a-token')).toBe(40001);
    expect(harness.sandbox.isAccessTokenValid('90_not-a-token')).toBe(false);
  });

  it('accepts a valid token', async () => {
    const token = await tokenOf();

    const response = await requestJson(
      `${harness.url}/cgi-bin/getcallbackip?access_token=${token}`,
    );

    expect(response.body.ip_list).toEqual(['127.0.0.1']);
  });
});

describe('stable_token test controls', () => {
  const controlUrl = () => `${harness.url}/sandbox/stable-token`;

  it('fails every request with the errcode until cleared', async () => {
    const set = await postJson(controlUrl(), { errcode: -1 });
    const failed = await stableToken();
    const alsoFailed = await stableToken({ force_refresh: true });
    await postJson(controlUrl(), { errcode: null });
    const succeeded = await stableToken();

    expect(set.status).toBe(200);
    expect(set.body.errcode).toBe(-1);
    expect(failed.body.errcode).toBe(-1);
    expect(alsoFailed.body.errcode).toBe(-1);
    expect(succeeded.body.expires_in).toBe(7200);
    expect(harness.sandbox.callCounts().stable_token).toBe(3);
  });

  it('delays each request', async () => {
    await postJson(controlUrl(), { delayMs: 200 });
    const startedAt = performance.now();

    const response = await stableToken();

    expect(response.body.expires_in).toBe(7200);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(190);
  });

  it('counts force refreshes that issued a token', async () => {
    await tokenOf();
    await tokenOf({ force_refresh: true });
    await tokenOf({ force_refresh: true });
    await tokenOf({ appid: TEST_OFFICIAL_ACCOUNT.appId, secret: TEST_OFFICIAL_ACCOUNT.appSecret });

    const state = await requestJson(controlUrl());

    // The second force refresh came within 30 seconds of the first, so it issued nothing.
    expect(state.body.forceRefreshesIssued).toEqual({
      [TEST_APP_ID]: 1,
      [TEST_OFFICIAL_ACCOUNT.appId]: 0,
    });
  });

  it('rejects an errcode it does not simulate', async () => {
    const response = await postJson(controlUrl(), { errcode: 40001 });
    const state = await requestJson(controlUrl());

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ id: 'invalid_request' });
    expect(state.body.errcode).toBeNull();
  });

  it('clears the behaviour on reset', async () => {
    await postJson(controlUrl(), { errcode: 45009, delayMs: 10 });

    harness.sandbox.reset();
    const state = await requestJson(controlUrl());

    expect(state.body).toEqual({ delayMs: 0, errcode: null, forceRefreshesIssued: {} });
  });
});
