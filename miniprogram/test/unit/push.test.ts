import type { PushNotice } from '@wxlearn/api-types';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

import { createApi, type Api } from '../../src/services/api';
import { ApiError, NetworkError } from '../../src/services/errors';
import { createApiClient } from '../../src/services/http';
import { devLoginCode } from '../../src/services/login';
import {
  isSubscribeMessageSupported,
  newRequestId,
  noticeLink,
  recordPushOpenOnce,
  sendSubscriptionChoices,
  subscribeWeeklyMessage,
} from '../../src/services/push';
import { createTaroSessionStore } from '../../src/services/session';
import {
  FAKE_NOTICE_CLICK_TOKEN,
  FAKE_SUBSCRIBE_TEMPLATE_ID,
  startFakeApi,
  type FakeApi,
} from '../support/fake-api';

let server: FakeApi;
let api: Api;
const originalPlatform = process.env.TARO_ENV;

beforeEach(async () => {
  localStorage.clear();
  server = await startFakeApi();
  const sessionStore = createTaroSessionStore('test.session');
  api = createApi(
    createApiClient({
      baseUrl: server.url,
      sessionStore,
      obtainLoginCode: devLoginCode('push-learner'),
    }),
  );
});

afterEach(async () => {
  process.env.TARO_ENV = originalPlatform;
  vi.restoreAllMocks();
  await server.close();
});

function requested(method: string, pathname: string): number {
  return server.requests.filter((item) => item.method === method && item.path === pathname).length;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('recordPushOpenOnce', () => {
  // The set of recorded tokens lives as long as the module, so each test uses its own token.
  test('retries after a dropped connection, then records once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    server.dropNext('/api/push/open', 1);

    await expect(recordPushOpenOnce(api, FAKE_NOTICE_CLICK_TOKEN)).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(server.pushOpens).toEqual([]);

    await recordPushOpenOnce(api, FAKE_NOTICE_CLICK_TOKEN);
    await recordPushOpenOnce(api, FAKE_NOTICE_CLICK_TOKEN);
    expect(server.pushOpens).toEqual([FAKE_NOTICE_CLICK_TOKEN]);
    expect(requested('GET', '/api/push/open')).toBe(1);
  });

  test('sends one request for concurrent calls', async () => {
    const token = 'concurrentToken0000001';
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await Promise.all([recordPushOpenOnce(api, token), recordPushOpenOnce(api, token)]);
    expect(requested('GET', '/api/push/open')).toBe(1);
  });

  test('resolves when the server rejects the token', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await expect(recordPushOpenOnce(api, 'unknownToken0000000001')).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[1])).toContain('not_found');
    expect(server.pushOpens).toEqual([]);
  });

  test('sends nothing without a token', async () => {
    await recordPushOpenOnce(api, '');
    expect(server.requests).toHaveLength(0);
  });
});

describe('sendSubscriptionChoices', () => {
  test('retries the same requestId after network failures', async () => {
    server.dropNext('/api/me/subscriptions', 2);
    const recorded = await sendSubscriptionChoices(
      api,
      'request-0001',
      { [FAKE_SUBSCRIBE_TEMPLATE_ID]: 'accept' },
      { retryDelayMs: 1 },
    );
    expect(recorded).toBe(1);
    expect(server.subscriptionGrants).toHaveLength(1);
    expect(server.subscriptionGrants[0]?.requestId).toBe('request-0001');
  });

  test('gives up after the last attempt', async () => {
    server.dropNext('/api/me/subscriptions', 3);
    const error = await rejection(
      sendSubscriptionChoices(
        api,
        'request-0002',
        { [FAKE_SUBSCRIBE_TEMPLATE_ID]: 'accept' },
        { retryDelayMs: 1, maxAttempts: 3 },
      ),
    );
    expect(error).toBeInstanceOf(NetworkError);
    expect(server.subscriptionGrants).toHaveLength(0);
  });

  test('does not retry an error response', async () => {
    const body = { error: { id: 'internal_error', message: 'boom', requestId: 'r1' } };
    server.failNext('/api/me/subscriptions', 500, body);
    const error = await rejection(
      sendSubscriptionChoices(
        api,
        'request-0003',
        { [FAKE_SUBSCRIBE_TEMPLATE_ID]: 'accept' },
        { retryDelayMs: 1 },
      ),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(requested('POST', '/api/me/subscriptions')).toBe(1);
  });
});

describe('subscribeWeeklyMessage', () => {
  test('is unsupported in H5 and sends nothing', async () => {
    process.env.TARO_ENV = 'h5';
    expect(isSubscribeMessageSupported()).toBe(false);
    expect(await subscribeWeeklyMessage(api, FAKE_SUBSCRIBE_TEMPLATE_ID)).toBe('unsupported');
    expect(server.requests).toHaveLength(0);
  });

  test('records an accepted template with a new requestId each time', async () => {
    const requestedTemplateIds: string[][] = [];
    const requestSubscribeMessage = async (templateIds: string[]) => {
      requestedTemplateIds.push(templateIds);
      return { errMsg: 'requestSubscribeMessage:ok', [FAKE_SUBSCRIBE_TEMPLATE_ID]: 'accept' };
    };

    const first = await subscribeWeeklyMessage(api, FAKE_SUBSCRIBE_TEMPLATE_ID, {
      requestSubscribeMessage,
    });
    const second = await subscribeWeeklyMessage(api, FAKE_SUBSCRIBE_TEMPLATE_ID, {
      requestSubscribeMessage,
    });

    expect(first).toBe('accepted');
    expect(second).toBe('accepted');
    expect(requestedTemplateIds).toEqual([
      [FAKE_SUBSCRIBE_TEMPLATE_ID],
      [FAKE_SUBSCRIBE_TEMPLATE_ID],
    ]);
    expect(server.subscriptionGrants).toHaveLength(2);
    const [grantA, grantB] = server.subscriptionGrants;
    expect(grantA?.templateId).toBe(FAKE_SUBSCRIBE_TEMPLATE_ID);
    expect(grantA?.requestId).not.toBe(grantB?.requestId);
  });

  test('sends a rejection and records no grant', async () => {
    const outcome = await subscribeWeeklyMessage(api, FAKE_SUBSCRIBE_TEMPLATE_ID, {
      requestSubscribeMessage: async () => ({ [FAKE_SUBSCRIBE_TEMPLATE_ID]: 'reject' }),
    });
    expect(outcome).toBe('declined');
    const sent = server.requests.find((item) => item.path === '/api/me/subscriptions');
    expect(sent?.body).toMatchObject({ results: { [FAKE_SUBSCRIBE_TEMPLATE_ID]: 'reject' } });
    expect(server.subscriptionGrants).toHaveLength(0);
  });

  test('reports a banned template as unavailable', async () => {
    const outcome = await subscribeWeeklyMessage(api, FAKE_SUBSCRIBE_TEMPLATE_ID, {
      requestSubscribeMessage: async () => ({ [FAKE_SUBSCRIBE_TEMPLATE_ID]: 'ban' }),
    });
    expect(outcome).toBe('unavailable');
  });

  test('reports a failed WeChat call as unavailable', async () => {
    const outcome = await subscribeWeeklyMessage(api, FAKE_SUBSCRIBE_TEMPLATE_ID, {
      requestSubscribeMessage: () =>
        Promise.reject({ errCode: 20004, errMsg: 'requestSubscribeMessage:fail' }),
    });
    expect(outcome).toBe('unavailable');
    expect(requested('POST', '/api/me/subscriptions')).toBe(0);
  });

  test('reports a result without the template as unavailable', async () => {
    const outcome = await subscribeWeeklyMessage(api, FAKE_SUBSCRIBE_TEMPLATE_ID, {
      requestSubscribeMessage: async () => ({ errMsg: 'requestSubscribeMessage:ok' }),
    });
    expect(outcome).toBe('unavailable');
    expect(requested('POST', '/api/me/subscriptions')).toBe(0);
  });
});

describe('newRequestId', () => {
  test('fits the server pattern and differs per call', () => {
    const first = newRequestId();
    const second = newRequestId();
    expect(first).toMatch(/^[0-9a-z]{20}$/);
    expect(second).toMatch(/^[0-9a-z]{20}$/);
    expect(first).not.toBe(second);
  });
});

describe('noticeLink', () => {
  const notice: PushNotice = {
    id: '65f000000000000000000009',
    title: '本周为你推荐',
    body: '《操作系统》：同部门 3 人在学',
    path: '/packages/course/detail/index?id=65a000000000000000000002&pt=token',
    courseId: '65a000000000000000000002',
    createdAt: '2026-11-30T01:00:00.000Z',
  };

  test('keeps a course link with its token', () => {
    expect(noticeLink(notice)).toBe(notice.path);
  });

  test('adds the leading slash', () => {
    expect(noticeLink({ ...notice, path: notice.path.slice(1) })).toBe(notice.path);
  });

  test('falls back to the course page for another page', () => {
    expect(noticeLink({ ...notice, path: '/pages/me/index' })).toBe(
      '/packages/course/detail/index?id=65a000000000000000000002',
    );
  });
});

describe('push settings calls', () => {
  test('read and change the opt-out', async () => {
    const initial = await api.getPushOptOut();
    const changed = await api.setPushOptOut(true);
    const after = await api.getPushOptOut();
    expect(initial).toEqual({ optedOut: false, subscribeTemplateId: FAKE_SUBSCRIBE_TEMPLATE_ID });
    expect(changed.optedOut).toBe(true);
    expect(after.optedOut).toBe(true);
  });

  test('list notices', async () => {
    const { items } = await api.listNotices(5);
    expect(items).toHaveLength(1);
    expect(items[0]?.path).toContain(`pt=${FAKE_NOTICE_CLICK_TOKEN}`);
    expect(server.requests.at(-1)?.path).toBe('/api/me/notices');
  });
});
