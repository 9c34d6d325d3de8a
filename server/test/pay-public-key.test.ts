// WeChat Pay public key mode: responses and notifications signed under the configured
// PUB_KEY_ID_..., with no certificate download.
import type { OrderView } from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countEnrolments,
  orderPaidCourse,
  payAtSandbox,
  startPayTestServer,
  type PayTestServer,
} from './pay-support.js';

let server: PayTestServer;

beforeAll(async () => {
  server = await startPayTestServer({ keyMode: 'public_key' });
});

afterAll(async () => {
  await server?.close();
});

describe('public key mode', () => {
  it('buys a course with responses and notifications under the key id', async () => {
    const course = await orderPaidCourse(server, 'PUB-KEY', 'public-key');
    const outcome = await payAtSandbox(server, course.outTradeNo);
    expect(outcome.attempts.map((attempt) => attempt.status)).toEqual([204]);
    const order = await server.request<OrderView>('GET', `/api/orders/${course.orderId}`, {
      token: course.token,
    });
    expect(order.body.state).toBe('paid');
    expect(await countEnrolments(course.courseId)).toBe(1);
    const calls = await server.sandboxRequest<{ calls: { certificates: number } }>(
      'GET',
      '/sandbox/pay/calls',
    );
    expect(calls.body.calls.certificates).toBe(0);
  });

  it('rejects a notification under another serial', async () => {
    const course = await orderPaidCourse(server, 'PUB-KEY-OTHER', 'public-key-other');
    const outcome = await payAtSandbox(server, course.outTradeNo, { unknownSerial: true });
    expect(outcome.attempts.map((attempt) => attempt.status)).toEqual([401]);
    expect(await countEnrolments(course.courseId)).toBe(0);
  });
});
