import type { ApiErrorBody, LoginResponse } from '@wxlearn/api-types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LearnerModel } from '../src/modules/learners/learner.model.js';
import { SessionModel } from '../src/modules/auth/session.model.js';
import { trusted } from '../src/db/trusted.js';
import { startTestServer, type TestServer } from './harness.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

beforeEach(async () => {
  server.sandbox.reset();
});

async function mintCode(learner: string): Promise<string> {
  return server.sandbox.issueLoginCode({ learner }).code;
}

describe('POST /api/auth/login', () => {
  it('creates a learner and returns a session token', async () => {
    const code = await mintCode('alice');

    const response = await server.request<LoginResponse>('POST', '/api/auth/login', {
      body: { code },
    });

    expect(response.status).toBe(200);
    expect(response.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(response.body.expiresAt)).toBeGreaterThan(Date.now());
    expect(response.body.learner.binding).toBeNull();
    expect(response.headers.get('x-request-id')).toBeTruthy();

    const me = await server.request<{ id: string }>('GET', '/api/me', {
      token: response.body.token,
    });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(response.body.learner.id);
  });

  it('finds the same learner on a second login', async () => {
    const first = await server.request<LoginResponse>('POST', '/api/auth/login', {
      body: { code: await mintCode('bob') },
    });
    const second = await server.request<LoginResponse>('POST', '/api/auth/login', {
      body: { code: await mintCode('bob') },
    });

    expect(second.status).toBe(200);
    expect(second.body.learner.id).toBe(first.body.learner.id);
    expect(second.body.token).not.toBe(first.body.token);
    expect(await LearnerModel.countDocuments({ _id: first.body.learner.id })).toBe(1);
  });

  it('rejects an unknown code with 401', async () => {
    const response = await server.request<ApiErrorBody>('POST', '/api/auth/login', {
      body: { code: 'no-such-code-123' },
    });

    expect(response.status).toBe(401);
    expect(response.body.error.id).toBe('invalid_login_code');
    expect(response.body.error.requestId).toBe(response.headers.get('x-request-id'));
  });

  it('exchanges a code sent twice concurrently exactly once', async () => {
    const behaviour = await fetch(`${server.sandbox.url}/sandbox/behaviour`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jscode2sessionDelayMs: 800 }),
    });
    expect(behaviour.status).toBe(200);
    const code = await mintCode('carol');

    const first = server.request<LoginResponse>('POST', '/api/auth/login', { body: { code } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const second = server.request<LoginResponse>('POST', '/api/auth/login', { body: { code } });
    const [a, b] = await Promise.all([first, second]);

    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.learner.id).toBe(a.body.learner.id);
    expect(server.sandbox.callCounts().jscode2session).toBe(1);
  });

  it('answers a code retried after the window with 409', async () => {
    const code = await mintCode('dave');
    const first = await server.request('POST', '/api/auth/login', { body: { code } });
    expect(first.status).toBe(200);

    // Age the recorded exchange past the retry window instead of waiting for it.
    const { LoginCodeModel } = await import('../src/modules/auth/login-code.model.js');
    await LoginCodeModel.updateMany({}, { $set: { finishedAt: new Date(Date.now() - 3_600_000) } });
    const retry = await server.request<ApiErrorBody>('POST', '/api/auth/login', { body: { code } });

    expect(retry.status).toBe(409);
    expect(retry.body.error.id).toBe('login_code_reused');
    expect(server.sandbox.callCounts().jscode2session).toBe(1);
  });

  it('answers a code that WeChat reports as used with 409', async () => {
    const code = await mintCode('erin');
    // Spend the code at WeChat directly, as a leaked code or a second backend would.
    const spent = await fetch(
      `${server.sandbox.url}/sns/jscode2session?appid=${server.deps.config.WECHAT_APP_ID}` +
        `&secret=${server.deps.config.WECHAT_APP_SECRET}&js_code=${code}&grant_type=authorization_code`,
    );
    expect(((await spent.json()) as { openid?: string }).openid).toBeTruthy();

    const response = await server.request<ApiErrorBody>('POST', '/api/auth/login', {
      body: { code },
    });

    expect(response.status).toBe(409);
    expect(response.body.error.id).toBe('login_code_reused');
  });

  it.each([
    ['missing code', {}],
    ['empty code', { code: '' }],
    ['number code', { code: 42 }],
    ['operator object', { code: { $ne: null } }],
    ['array code', { code: ['a'] }],
  ])('rejects %s with 400 and writes nothing', async (_name, body) => {
    const learnersBefore = await LearnerModel.countDocuments();
    const sessionsBefore = await SessionModel.countDocuments();

    const response = await server.request<ApiErrorBody>('POST', '/api/auth/login', { body });

    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
    expect(response.body.error.message).toContain('code');
    expect(await LearnerModel.countDocuments()).toBe(learnersBefore);
    expect(await SessionModel.countDocuments()).toBe(sessionsBefore);
    expect(server.sandbox.callCounts().jscode2session).toBe(0);
  });

  it('rejects a body that is not JSON with 400', async () => {
    const response = await server.request<ApiErrorBody>('POST', '/api/auth/login', {
      rawBody: '{"code": ',
      headers: { 'content-type': 'application/json' },
    });

    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
  });

  it('never returns or logs the session key', async () => {
    const code = await mintCode('frank');
    const response = await server.request<LoginResponse>('POST', '/api/auth/login', {
      body: { code },
    });
    expect(response.status).toBe(200);

    // Ask the sandbox for the session key it issued by exchanging a fresh code for the same user.
    const probe = await fetch(
      `${server.sandbox.url}/sns/jscode2session?appid=${server.deps.config.WECHAT_APP_ID}` +
        `&secret=${server.deps.config.WECHAT_APP_SECRET}&js_code=${await mintCode('frank')}` +
        `&grant_type=authorization_code`,
    );
    const { session_key: probeKey } = (await probe.json()) as { session_key: string };
    expect(probeKey).toBeTruthy();

    const everything = [response.text, ...server.logLines].join('\n');
    expect(everything).not.toContain('session_key');
    expect(everything).not.toContain('sessionKey');
    expect(everything).not.toContain(probeKey);
    expect(everything).not.toContain(server.deps.config.WECHAT_APP_SECRET);
    expect(everything).not.toContain(code);
  });
});

describe('authentication', () => {
  it('rejects a request without a token with 401', async () => {
    const response = await server.request<ApiErrorBody>('GET', '/api/me');

    expect(response.status).toBe(401);
    expect(response.body.error.id).toBe('unauthenticated');
  });

  it('rejects an unknown token with 401', async () => {
    const response = await server.request<ApiErrorBody>('GET', '/api/me', {
      token: 'x'.repeat(43),
    });

    expect(response.status).toBe(401);
    expect(response.body.error.id).toBe('unauthenticated');
  });

  it('rejects an expired session with session_expired', async () => {
    const token = await server.loginAs('grace');
    await SessionModel.updateMany({}, { $set: { expiresAt: new Date(Date.now() - 1000) } });

    const response = await server.request<ApiErrorBody>('GET', '/api/me', { token });

    expect(response.status).toBe(401);
    expect(response.body.error.id).toBe('session_expired');
  });

  it('deletes expired sessions in the cleanup job', async () => {
    await server.loginAs('heidi');
    await SessionModel.updateMany({}, { $set: { expiresAt: new Date(Date.now() - 1000) } });

    const removed = await server.deps.auth.deleteExpired();

    expect(removed.sessions).toBeGreaterThan(0);
    expect(await SessionModel.countDocuments({ expiresAt: trusted({ $lte: new Date() }) })).toBe(0);
  });
});

describe('unknown routes', () => {
  it('answer 404 in the error shape', async () => {
    const response = await server.request<ApiErrorBody>('GET', '/api/nothing-here');

    expect(response.status).toBe(404);
    expect(response.body.error.id).toBe('not_found');
  });
});
