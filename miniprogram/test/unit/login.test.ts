import { afterEach, beforeEach, expect, test } from 'vitest';

import { createApi } from '../../src/services/api';
import { WechatLoginError } from '../../src/services/errors';
import { createApiClient } from '../../src/services/http';
import { platformLoginCodeSource } from '../../src/services/login';
import { createTaroSessionStore } from '../../src/services/session';
import { startFakeApi, type FakeApi } from '../support/fake-api';

let server: FakeApi;
const originalPlatform = process.env.TARO_ENV;

beforeEach(async () => {
  localStorage.clear();
  server = await startFakeApi();
});

afterEach(async () => {
  process.env.TARO_ENV = originalPlatform;
  window.history.replaceState(null, '', '/');
  await server.close();
});

function apiWithPlatformLogin() {
  const sessionStore = createTaroSessionStore('test.session');
  const client = createApiClient({
    baseUrl: server.url,
    sessionStore,
    obtainLoginCode: platformLoginCodeSource(sessionStore),
  });
  return { api: createApi(client), sessionStore };
}

function devLoginLearners(): unknown[] {
  return server.requests
    .filter((item) => item.path === '/api/dev/login-code')
    .map((item) => (item.body as { learner?: string }).learner);
}

test('H5 dev login uses the learner in the URL', async () => {
  process.env.TARO_ENV = 'h5';
  window.history.replaceState(null, '', '/?learner=carol#/pages/index/index');
  const me = await apiWithPlatformLogin().api.getMe();
  expect(me.nickname).toBe('carol');
  expect(devLoginLearners()).toEqual(['carol']);
});

test('H5 dev login remembers the learner', async () => {
  process.env.TARO_ENV = 'h5';
  window.history.replaceState(null, '', '/?learner=dave');
  await apiWithPlatformLogin().api.getMe();
  window.history.replaceState(null, '', '/');
  const { api, sessionStore } = apiWithPlatformLogin();
  sessionStore.clear();
  const me = await api.getMe();
  expect(me.nickname).toBe('dave');
  expect(devLoginLearners()).toEqual(['dave', 'dave']);
});

test('H5 dev login drops the session of another learner', async () => {
  process.env.TARO_ENV = 'h5';
  window.history.replaceState(null, '', '/?learner=erin');
  await apiWithPlatformLogin().api.getMe();
  window.history.replaceState(null, '', '/?learner=frank');
  const me = await apiWithPlatformLogin().api.getMe();
  expect(me.nickname).toBe('frank');
  expect(devLoginLearners()).toEqual(['erin', 'frank']);
});

test('weapp login failure has a Chinese message', async () => {
  // The H5 implementation of Taro.login, which these tests run on, cannot log in to WeChat.
  process.env.TARO_ENV = 'weapp';
  let error: unknown;
  try {
    await apiWithPlatformLogin().api.getMe();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(WechatLoginError);
  expect((error as WechatLoginError).userMessage).toBe('微信登录失败，请稍后重试');
  expect(server.requests).toEqual([]);
});
