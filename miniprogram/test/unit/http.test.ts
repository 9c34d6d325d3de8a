import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { createApi } from '../../src/services/api';
import {
  ApiError,
  NETWORK_ERROR_MESSAGE,
  NetworkError,
  SERVER_ERROR_MESSAGE,
} from '../../src/services/errors';
import { createApiClient, type LoginCodeSource } from '../../src/services/http';
import { devLoginCode } from '../../src/services/login';
import { createTaroSessionStore, type SessionStore } from '../../src/services/session';
import { startFakeApi, type FakeApi } from '../support/fake-api';

let server: FakeApi;
let sessionStore: SessionStore;

function clientFor(obtainLoginCode: LoginCodeSource = devLoginCode('alice')) {
  return createApiClient({ baseUrl: server.url, sessionStore, obtainLoginCode, timeoutMs: 5000 });
}

function count(method: string, path: string): number {
  return server.requests.filter((item) => item.method === method && item.path === path).length;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

beforeEach(async () => {
  localStorage.clear();
  server = await startFakeApi();
  sessionStore = createTaroSessionStore('test.session');
});

afterEach(async () => {
  await server.close();
});

describe('api client login', () => {
  test('logs in before the first request', async () => {
    const api = createApi(clientFor());
    const me = await api.getMe();
    expect(me.nickname).toBe('alice');
    expect(count('POST', '/api/dev/login-code')).toBe(1);
    expect(count('POST', '/api/auth/login')).toBe(1);
    const meRequest = server.requests.find((item) => item.path === '/api/me');
    expect(meRequest?.authorization).toMatch(/^Bearer [0-9a-f]{24}$/);
  });

  test('reuses the stored session', async () => {
    const api = createApi(clientFor());
    await api.getMe();
    await api.listCategories();
    await createApi(clientFor()).getMe(); // a new client, as after an app restart
    expect(count('POST', '/api/auth/login')).toBe(1);
    expect(sessionStore.load()?.token).toMatch(/^[0-9a-f]{24}$/);
  });

  test('logs in again when the stored session has expired', async () => {
    const api = createApi(clientFor());
    await api.getMe();
    const stored = sessionStore.load();
    sessionStore.save({ token: stored?.token ?? '', expiresAt: '2020-01-01T00:00:00.000Z' });
    await api.getMe();
    expect(count('POST', '/api/auth/login')).toBe(2);
    expect(count('GET', '/api/me')).toBe(2); // no request went out with the expired token
  });

  test('shares one login among concurrent first requests', async () => {
    const api = createApi(clientFor());
    await Promise.all([api.getMe(), api.listCategories(), api.listQuizzes()]);
    expect(count('POST', '/api/auth/login')).toBe(1);
  });

  test('fetches a new code when the code was reused', async () => {
    server.rejectLoginCodesAsReused(1);
    const me = await createApi(clientFor()).getMe();
    expect(me.nickname).toBe('alice');
    expect(count('POST', '/api/dev/login-code')).toBe(2);
    expect(count('POST', '/api/auth/login')).toBe(2);
  });

  test('gives up after a second reused code', async () => {
    server.rejectLoginCodesAsReused(2);
    const error = await rejection(createApi(clientFor()).getMe());
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).id).toBe('login_code_reused');
    expect(count('POST', '/api/auth/login')).toBe(2);
    expect(count('GET', '/api/me')).toBe(0);
  });

  test('rejects an invalid login code', async () => {
    const error = await rejection(createApi(clientFor(async () => 'not-a-code')).getMe());
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect((error as ApiError).id).toBe('invalid_login_code');
    expect((error as ApiError).userMessage).toBe('登录失败，请稍后重试');
    expect(count('POST', '/api/auth/login')).toBe(1);
  });
});

describe('api client silent re-login', () => {
  test.each(['session_expired', 'unauthenticated'] as const)(
    'retries once after 401 %s',
    async (id) => {
      const api = createApi(clientFor());
      await api.getMe();
      const firstToken = sessionStore.load()?.token;
      server.revokeSessions(id);

      const me = await api.getMe();

      expect(me.nickname).toBe('alice');
      expect(count('POST', '/api/auth/login')).toBe(2);
      expect(count('GET', '/api/me')).toBe(3);
      expect(sessionStore.load()?.token).not.toBe(firstToken);
    },
  );

  test('retries a write with its body', async () => {
    const api = createApi(clientFor());
    await api.getMe();
    server.revokeSessions('session_expired');
    const profile = await api.bindEmployee({ employeeNo: 'E1001', name: '张三' });
    expect(profile.binding?.employeeNo).toBe('E1001');
    const bindings = server.requests.filter((item) => item.path === '/api/me/binding');
    expect(bindings).toHaveLength(2);
    expect(bindings[1]?.body).toEqual({ employeeNo: 'E1001', name: '张三' });
  });

  test('retries only once when the retry is rejected too', async () => {
    const api = createApi(clientFor());
    await api.getMe();
    const body = { error: { id: 'session_expired', message: 'expired', requestId: 'r1' } };
    server.failNext('/api/me', 401, body, 5);

    const error = await rejection(api.getMe());

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).id).toBe('session_expired');
    expect(count('GET', '/api/me')).toBe(3); // the first call, then one request and one retry
    expect(count('POST', '/api/auth/login')).toBe(2);
  });

  test('logs in once for concurrent rejected requests', async () => {
    const api = createApi(clientFor());
    await api.getMe();
    server.revokeSessions('session_expired');
    await Promise.all([api.getMe(), api.listCategories(), api.listMyCourses()]);
    expect(count('POST', '/api/auth/login')).toBe(2);
  });

  test('does not log in again on 403', async () => {
    const api = createApi(clientFor());
    await api.getMe();
    const body = { error: { id: 'forbidden', message: 'no', requestId: 'r2' } };
    server.failNext('/api/me', 403, body);
    const error = await rejection(api.getMe());
    expect((error as ApiError).id).toBe('forbidden');
    expect(count('POST', '/api/auth/login')).toBe(1);
    expect(count('GET', '/api/me')).toBe(2);
  });
});

describe('api client error mapping', () => {
  test('maps an API error body', async () => {
    const api = createApi(clientFor());
    const error = await rejection(api.getCourse('65a0000000000000000000ff'));
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(404);
    expect((error as ApiError).id).toBe('not_found');
    expect((error as ApiError).requestId).toMatch(/^[0-9a-f]{24}$/);
    expect((error as ApiError).userMessage).toBe('内容不存在或已下架');
  });

  test.each([
    [404, 'employee_not_found', '未找到该员工，请核对工号和姓名'],
    [409, 'employee_already_bound', '该工号已被其他微信账号绑定，如有疑问请联系管理员'],
    [409, 'learner_already_bound', '你已绑定工号，无需重复绑定'],
    [429, 'rate_limited', '操作太频繁，请稍后再试'],
    [503, 'service_unavailable', SERVER_ERROR_MESSAGE],
  ])('maps %i %s to Chinese text', async (status, id, text) => {
    const api = createApi(clientFor());
    await api.getMe();
    server.failNext('/api/me/binding', status, { error: { id, message: id, requestId: 'r3' } });
    const error = await rejection(api.bindEmployee({ employeeNo: 'E1', name: '李四' }));
    expect((error as ApiError).status).toBe(status);
    expect((error as ApiError).id).toBe(id);
    expect((error as ApiError).userMessage).toBe(text);
  });

  test('maps an unknown error id by status', async () => {
    const api = createApi(clientFor());
    await api.getMe();
    server.failNext('/api/me', 422, {
      error: { id: 'brand_new_id', message: 'x', requestId: 'r' },
    });
    const error = await rejection(api.getMe());
    expect((error as ApiError).userMessage).toBe('请求失败，请稍后重试');
  });

  test('maps a non-JSON 502 to a server error', async () => {
    const api = createApi(clientFor());
    await api.getMe();
    server.failNext('/api/categories', 502, '<html>Bad Gateway</html>');
    const error = await rejection(api.listCategories());
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(502);
    expect((error as ApiError).id).toBe('internal_error');
    expect((error as ApiError).userMessage).toBe(SERVER_ERROR_MESSAGE);
  });

  test('maps a refused connection to a network error', async () => {
    const api = createApi(clientFor());
    await api.getMe();
    await server.close();
    const error = await rejection(api.getMe());
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).userMessage).toBe(NETWORK_ERROR_MESSAGE);
    server = await startFakeApi(); // for afterEach
  });

  test('encodes query parameters', async () => {
    const api = createApi(clientFor());
    const page = await api.searchCourses({
      q: '数据库',
      category: '数据库系统',
      page: 1,
      pageSize: 5,
    });
    expect(page.total).toBe(1);
    expect(page.items[0]?.title).toBe('CMU 15-445：数据库系统');
    expect(page.pageSize).toBe(5);
  });
});
