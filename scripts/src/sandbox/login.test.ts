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

const OPENID_PATTERN = /^o[A-Za-z0-9_-]{27}$/;
const RID_SUFFIX = /, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;

let harness: TestSandbox;

beforeEach(async () => {
  harness = await startTestSandbox();
});

afterEach(async () => {
  await harness.close();
});

async function issueCode(
  request: Record<string, unknown>,
): Promise<{ code: string; openid: string }> {
  const response = await postJson(`${harness.url}/sandbox/login-code`, request);
  expect(response.status).toBe(200);
  return response.body as { code: string; openid: string };
}

function exchangeUrl(params: Record<string, string>): string {
  return `${harness.url}/sns/jscode2session?${new URLSearchParams(params).toString()}`;
}

async function exchange(code: string): Promise<JsonResponse> {
  return requestJson(
    exchangeUrl({
      appid: TEST_APP_ID,
      secret: TEST_APP_SECRET,
      js_code: code,
      grant_type: 'authorization_code',
    }),
  );
}

describe('jscode2session', () => {
  it('exchanges a fresh code for openid and session_key', async () => {
    const { code, openid } = await issueCode({ learner: 'demo' });

    const response = await exchange(code);

    expect(response.status).toBe(200);
    expect(response.contentType).toMatch(/^application\/json/);
    expect(response.body.openid).toBe(openid);
    expect(response.body).not.toHaveProperty('errcode');
    expect(response.body).not.toHaveProperty('unionid');
    const sessionKey = String(response.body.session_key);
    expect(sessionKey).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(Buffer.from(sessionKey, 'base64')).toHaveLength(16);
  });

  it('rejects a reused code with 40163', async () => {
    const { code } = await issueCode({ learner: 'demo' });
    const first = await exchange(code);
    expect(first.body.openid).toBeDefined();

    const second = await exchange(code);

    expect(second.status).toBe(200);
    expect(second.body.errcode).toBe(40163);
    expect(second.body.errmsg).toMatch(/^code been used/);
    expect(second.body).not.toHaveProperty('openid');
  });

  it('rejects an unknown code with 40029', async () => {
    const response = await exchange('0a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P');

    expect(response.body.errcode).toBe(40029);
    expect(response.body.errmsg).toMatch(/^invalid code/);
    expect(response.body.errmsg).toMatch(RID_SUFFIX);
  });

  it('accepts a code just before 5 minutes', async () => {
    const { code, openid } = await issueCode({ learner: 'demo' });
    harness.advance(LOGIN_CODE_TTL_MS - 1);

    const response = await exchange(code);

    expect(response.body.openid).toBe(openid);
  });

  it('rejects a code after 5 minutes with 40029', async () => {
    const { code } = await issueCode({ learner: 'demo' });
    harness.advance(LOGIN_CODE_TTL_MS);

    const response = await exchange(code);

    expect(response.body.errcode).toBe(40029);
    expect(response.body).not.toHaveProperty('openid');
  });

  it('returns a new session_key per exchange', async () => {
    const first = await exchange((await issueCode({ learner: 'demo' })).code);
    const second = await exchange((await issueCode({ learner: 'demo' })).code);

    expect(first.body.openid).toBe(second.body.openid);
    expect(typeof first.body.session_key).toBe('string');
    expect(first.body.session_key).not.toBe(second.body.session_key);
  });

  it('returns unionid only for learners configured with one', async () => {
    const withUnion = await issueCode({
      learner: 'union-learner',
      unionid: 'oUnion0123456789abcdefABCDEF',
    });
    const later = await issueCode({ learner: 'union-learner' });
    const without = await issueCode({ learner: 'plain-learner' });

    const withUnionResponse = await exchange(withUnion.code);
    const laterResponse = await exchange(later.code);
    const withoutResponse = await exchange(without.code);

    expect(withUnionResponse.body.unionid).toBe('oUnion0123456789abcdefABCDEF');
    expect(laterResponse.body.unionid).toBe('oUnion0123456789abcdefABCDEF');
    expect(withoutResponse.body).not.toHaveProperty('unionid');
  });

  const parameterCases: Array<{ name: string; params: Record<string, string>; errcode: number }> = [
    {
      name: 'wrong secret',
      params: { appid: TEST_APP_ID, secret: 'wrong', grant_type: 'authorization_code' },
      errcode: 40125,
    },
    {
      name: 'wrong appid',
      params: {
        appid: 'wx9999999999999999',
        secret: TEST_APP_SECRET,
        grant_type: 'authorization_code',
      },
      errcode: 40013,
    },
    {
      name: 'wrong grant_type',
      params: { appid: TEST_APP_ID, secret: TEST_APP_SECRET, grant_type: 'client_credential' },
      errcode: 40002,
    },
    {
      name: 'missing appid',
      params: { secret: TEST_APP_SECRET, grant_type: 'authorization_code' },
      errcode: 41002,
    },
    {
      name: 'missing secret',
      params: { appid: TEST_APP_ID, grant_type: 'authorization_code' },
      errcode: 41004,
    },
  ];

  for (const testCase of parameterCases) {
    it(`rejects ${testCase.name} and keeps the code usable`, async () => {
      const { code, openid } = await issueCode({ learner: 'demo' });

      const rejected = await requestJson(exchangeUrl({ ...testCase.params, js_code: code }));
      const accepted = await exchange(code);

      expect(rejected.body.errcode).toBe(testCase.errcode);
      expect(rejected.body).not.toHaveProperty('openid');
      expect(accepted.body.openid).toBe(openid);
    });
  }

  it('rejects a missing js_code with 41008', async () => {
    const response = await requestJson(
      exchangeUrl({
        appid: TEST_APP_ID,
        secret: TEST_APP_SECRET,
        grant_type: 'authorization_code',
      }),
    );

    expect(response.body.errcode).toBe(41008);
    expect(response.body.errmsg).toMatch(/^missing code/);
  });

  it('ignores parameters sent in a POST body', async () => {
    const { code } = await issueCode({ learner: 'demo' });

    const response = await postJson(`${harness.url}/sns/jscode2session`, {
      appid: TEST_APP_ID,
      secret: TEST_APP_SECRET,
      js_code: code,
      grant_type: 'authorization_code',
    });

    expect(response.body.errcode).toBe(41002);
  });
});

describe('login-code', () => {
  it('gives the same learner the same openid', async () => {
    const first = await issueCode({ learner: 'demo' });
    const second = await issueCode({ learner: 'demo' });

    expect(first.openid).toBe(second.openid);
    expect(first.code).not.toBe(second.code);
  });

  it('gives different learners different openids', async () => {
    const demo = await issueCode({ learner: 'demo' });
    const other = await issueCode({ learner: 'other' });

    expect(demo.openid).not.toBe(other.openid);
  });

  it('shapes openids like WeChat openids', async () => {
    const named = await issueCode({ learner: 'demo' });
    const random = await issueCode({});

    expect(named.openid).toMatch(OPENID_PATTERN);
    expect(random.openid).toMatch(OPENID_PATTERN);
    expect(named.openid.slice(0, 6)).toBe(random.openid.slice(0, 6));
  });

  it('gives a new random learner without openid or learner', async () => {
    const first = await issueCode({});
    const second = await issueCode({});

    expect(first.openid).not.toBe(second.openid);
  });

  it('returns the code, openid and expiresIn', async () => {
    const response = await postJson(`${harness.url}/sandbox/login-code`, {
      openid: 'oExplicitOpenid0123456789abc',
      nickname: '张三',
    });

    expect(response.status).toBe(200);
    expect(response.body.openid).toBe('oExplicitOpenid0123456789abc');
    expect(response.body.expiresIn).toBe(300);
    expect(response.body.code).toMatch(/^[0-9A-Za-z]{32}$/);
  });

  it('rejects openid together with learner', async () => {
    const response = await postJson(`${harness.url}/sandbox/login-code`, {
      openid: 'oExplicitOpenid0123456789abc',
      learner: 'demo',
    });

    expect(response.status).toBe(400);
    expect((response.body.error as { id: string }).id).toBe('invalid_request');
  });

  it('rejects an openid outside the base64url alphabet', async () => {
    const response = await postJson(`${harness.url}/sandbox/login-code`, { openid: 'bad openid!' });

    expect(response.status).toBe(400);
    expect((response.body.error as { message: string }).message).toMatch(/openid/);
  });

  it('rejects a body that is not JSON', async () => {
    const response = await requestJson(`${harness.url}/sandbox/login-code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"learner":',
    });

    expect(response.status).toBe(400);
    expect((response.body.error as { message: string }).message).toMatch(/not valid JSON/);
  });
});
