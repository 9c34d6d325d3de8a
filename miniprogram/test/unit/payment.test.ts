import Taro from '@tarojs/taro';
import type { JsapiPaymentParams } from '@wxlearn/api-types';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';

import { createApi, type Api } from '../../src/services/api';
import { ApiError, PaymentError, userMessageOf } from '../../src/services/errors';
import { createApiClient } from '../../src/services/http';
import { devLoginCode } from '../../src/services/login';
import { isPurchaseHidden, purchaseCourse } from '../../src/services/payment';
import { createTaroSessionStore } from '../../src/services/session';
import { PAID_COURSE, startFakeApi, type FakeApi } from '../support/fake-api';

let server: FakeApi;
let api: Api;
const originalPlatform = process.env.TARO_ENV;

beforeEach(async () => {
  localStorage.clear();
  server = await startFakeApi();
  const sessionStore = createTaroSessionStore('test.session');
  api = createApi(
    createApiClient({ baseUrl: server.url, sessionStore, obtainLoginCode: devLoginCode('payer') }),
  );
});

afterEach(async () => {
  process.env.TARO_ENV = originalPlatform;
  vi.restoreAllMocks();
  await server.close();
});

function requested(method: string, pattern: RegExp): number {
  return server.requests.filter((item) => item.method === method && pattern.test(item.path)).length;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

test('H5 development build pays through the server and waits for the payment', async () => {
  process.env.TARO_ENV = 'h5';
  const result = await purchaseCourse(api, PAID_COURSE.id, { pollIntervalMs: 10 });
  expect(result.outcome).toBe('paid');
  expect(result.order.amountFen).toBe(9900);
  expect(requested('POST', /^\/api\/orders$/)).toBe(1);
  expect(requested('POST', /^\/api\/dev\/orders\/[0-9a-f]{24}\/pay$/)).toBe(1);
  expect(requested('GET', /^\/api\/orders\/[0-9a-f]{24}$/)).toBeGreaterThanOrEqual(2);
});

test('weapp pays with requestPayment and the signed parameters', async () => {
  process.env.TARO_ENV = 'weapp';
  const received: JsapiPaymentParams[] = [];
  const result = await purchaseCourse(api, PAID_COURSE.id, {
    pollIntervalMs: 10,
    requestPayment: async (params) => {
      received.push(params);
      const [order] = server.orders.values();
      if (order) server.markOrderPaid(order.view.id);
    },
  });
  expect(result.outcome).toBe('paid');
  expect(received).toHaveLength(1);
  expect(received[0]?.package).toMatch(/^prepay_id=/);
  expect(received[0]?.signType).toBe('RSA');
  expect(requested('POST', /^\/api\/dev\/orders\//)).toBe(0);
});

test('weapp reports a cancelled payment without polling', async () => {
  process.env.TARO_ENV = 'weapp';
  const result = await purchaseCourse(api, PAID_COURSE.id, {
    requestPayment: () => Promise.reject({ errMsg: 'requestPayment:fail cancel' }),
  });
  expect(result.outcome).toBe('cancelled');
  expect(requested('GET', /^\/api\/orders\//)).toBe(0);
});

test('weapp payment failure has a Chinese message', async () => {
  process.env.TARO_ENV = 'weapp';
  const error = await rejection(
    purchaseCourse(api, PAID_COURSE.id, {
      requestPayment: () => Promise.reject({ errMsg: 'requestPayment:fail no permission' }),
    }),
  );
  expect(error).toBeInstanceOf(PaymentError);
  expect(userMessageOf(error)).toBe('支付失败，请稍后重试');
});

test('a payment the server has not confirmed in time is pending', async () => {
  process.env.TARO_ENV = 'weapp';
  const result = await purchaseCourse(api, PAID_COURSE.id, {
    requestPayment: async () => undefined,
    pollIntervalMs: 10,
    pollTimeoutMs: 50,
  });
  expect(result.outcome).toBe('pending');
  expect(result.order.state).toBe('pending');
});

test('the unpaid order is reused by a second attempt', async () => {
  process.env.TARO_ENV = 'weapp';
  const cancel = () => Promise.reject({ errMsg: 'requestPayment:fail cancel' });
  const first = await purchaseCourse(api, PAID_COURSE.id, { requestPayment: cancel });
  const second = await purchaseCourse(api, PAID_COURSE.id, { requestPayment: cancel });
  expect(second.order.id).toBe(first.order.id);
});

test('a free course cannot be bought', async () => {
  process.env.TARO_ENV = 'h5';
  const free = '65a000000000000000000001';
  const error = await rejection(purchaseCourse(api, free));
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).id).toBe('course_not_for_sale');
  expect(userMessageOf(error)).toBe('该课程免费，直接报名即可');
});

test('the course page shows the purchase once paid', async () => {
  process.env.TARO_ENV = 'h5';
  const before = await api.getCourse(PAID_COURSE.id);
  expect(before.purchase).toEqual({ priceFen: 9900, purchased: false, hideOnIos: true });
  await purchaseCourse(api, PAID_COURSE.id, { pollIntervalMs: 10 });
  const after = await api.getCourse(PAID_COURSE.id);
  expect(after.purchase?.purchased).toBe(true);
});

test('purchase is hidden on iOS when the server asks', () => {
  const info = vi.spyOn(Taro, 'getSystemInfoSync');
  info.mockReturnValue({ platform: 'ios' } as Taro.getSystemInfoSync.Result);
  expect(isPurchaseHidden({ priceFen: 9900, purchased: false, hideOnIos: true })).toBe(true);
  expect(isPurchaseHidden({ priceFen: 9900, purchased: false, hideOnIos: false })).toBe(false);
});

test('purchase is shown on Android and in a desktop browser', () => {
  const info = vi.spyOn(Taro, 'getSystemInfoSync');
  info.mockReturnValue({ platform: 'android' } as Taro.getSystemInfoSync.Result);
  expect(isPurchaseHidden({ priceFen: 9900, purchased: false, hideOnIos: true })).toBe(false);
  info.mockReturnValue({ platform: 'unknown' } as Taro.getSystemInfoSync.Result);
  expect(isPurchaseHidden({ priceFen: 9900, purchased: false, hideOnIos: true })).toBe(false);
});

test('purchase is hidden in a browser on an iPhone', () => {
  const info = vi.spyOn(Taro, 'getSystemInfoSync');
  info.mockReturnValue({ platform: 'iOS' } as Taro.getSystemInfoSync.Result);
  expect(isPurchaseHidden({ priceFen: 9900, purchased: false, hideOnIos: true })).toBe(true);
});
