// WeChat Pay public key mode: responses and notifications signed under the configured
// PUB_KEY_ID_..., with no certificate download.
import type { OrderView } from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countEnrolments,
  createOrder,
  createPaidCourse,
  startPayTestServer,
  type PayTestServer,
} from './pay-support.js';

interface NotifyOutcome {
  attempts: { status: number | null }[];
}

let server: PayTestServer;

beforeAll(async () => {
  server = await startPayTestServer({ keyMode: 'public_key' });
});

afterAll(async () => {
  await server?.close();
});

describe('public key mode', () => {
  it('buys a course with responses and notifications under the key id', async () => {
    const course = await createPaidCourse('PUB-KEY', 9900);
    const token = await server.loginAs('public-key');
    const created = await createOrder(server, token, course.courseId);
    const outcome = await server.sandboxRequest<NotifyOutcome>(
      'POST',
      `/sandbox/pay/orders/WXL${created.order.id}/pay`,
      {},
    );
    expect(outcome.body.attempts.map((attempt) => attempt.status)).toEqual([204]);
    const order = await server.request<OrderView>('GET', `/api/orders/${created.order.id}`, {
      token,
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
    const course = await createPaidCourse('PUB-KEY-OTHER', 9900);
    const token = await server.loginAs('public-key-other');
    const created = await createOrder(server, token, course.courseId);
    const outcome = await server.sandboxRequest<NotifyOutcome>(
      'POST',
      `/sandbox/pay/orders/WXL${created.order.id}/pay`,
      { unknownSerial: true },
    );
    expect(outcome.body.attempts.map((attempt) => attempt.status)).toEqual([401]);
    expect(await countEnrolments(course.courseId)).toBe(0);
  });
});
