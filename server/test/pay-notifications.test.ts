// WeChat Pay notifications over HTTP, sent by the sandbox with real signatures and encryption:
// repeats, re-serialised and altered bodies, wrong amounts, unknown serials, lost notifications
// and concurrent deliveries.
import type { OrderView } from '@wxlearn/api-types';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderModel } from '../src/modules/orders/order.model.js';
import { PaymentModel } from '../src/modules/orders/payment.model.js';
import { reconcilePayments } from '../src/modules/orders/reconciliation.js';
import {
  countEnrolments,
  orderPaidCourse,
  payAtSandbox,
  startPayTestServer,
  type NotifyOutcome,
  type PayTestServer,
} from './pay-support.js';

interface BuiltNotification {
  url: string;
  headers: Record<string, string>;
  body: string;
}

let server: PayTestServer;
/** Signatures and payment signs seen during the run, which no log line may contain. */
const secretsSeen: string[] = [];

beforeAll(async () => {
  server = await startPayTestServer();
});

afterAll(async () => {
  await server?.close();
});

/** Creates a 99-yuan course, a learner and an order of it; returns what the tests need. */
async function orderedCourse(name: string, priceFen = 9900) {
  const ordered = await orderPaidCourse(server, `PAY-${name}`, `payer-${name}`, priceFen);
  secretsSeen.push(ordered.order.payment.paySign);
  return ordered;
}

function pay(outTradeNo: string, body: Record<string, unknown> = {}) {
  return payAtSandbox(server, outTradeNo, body);
}

async function orderState(orderId: string, token: string) {
  const response = await server.request<OrderView>('GET', `/api/orders/${orderId}`, { token });
  return response.body.state;
}

async function paymentsOf(outTradeNo: string) {
  return PaymentModel.countDocuments({ outTradeNo });
}

async function lessonStatus(lessonId: string, token: string) {
  return (await server.request('GET', `/api/lessons/${lessonId}`, { token })).status;
}

describe('payment notification', () => {
  it('grants the course once when delivered twice 5 s apart', async () => {
    const order = await orderedCourse('twice');
    const startedAt = Date.now();
    const outcome = await pay(order.outTradeNo, { repeat: 2, intervalMs: 5_000 });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(5_000);
    expect(outcome.attempts.map((attempt) => attempt.status)).toEqual([204, 204]);
    expect(await countEnrolments(order.courseId)).toBe(1);
    expect(await paymentsOf(order.outTradeNo)).toBe(1);
    expect(await orderState(order.orderId, order.token)).toBe('paid');
    expect(await lessonStatus(order.lessonId, order.token)).toBe(200);
  });

  it('verifies the raw bytes, not a re-serialised body', async () => {
    const order = await orderedCourse('raw-bytes');
    await pay(order.outTradeNo, { notify: 'drop' });
    const built = await server.sandboxRequest<BuiltNotification>(
      'POST',
      `/sandbox/pay/orders/${order.outTradeNo}/notification`,
      { format: 'spaced' },
    );
    secretsSeen.push(built.body.headers['wechatpay-signature'] ?? '');
    const reserialised = JSON.stringify(JSON.parse(built.body.body));
    expect(reserialised).not.toBe(built.body.body);

    const rejected = await server.request<{ code: string }>('POST', '/api/pay/notify', {
      headers: built.body.headers,
      rawBody: reserialised,
    });
    expect(rejected.status).toBe(401);
    expect(rejected.body.code).toBe('FAIL');
    expect(await orderState(order.orderId, order.token)).toBe('pending');

    // The same headers with the body as signed, sent as application/json like WeChat Pay does.
    const accepted = await server.request('POST', '/api/pay/notify', {
      headers: built.body.headers,
      rawBody: built.body.body,
    });
    expect(accepted.status).toBe(204);
    expect(await orderState(order.orderId, order.token)).toBe('paid');
  });

  it('rejects a ciphertext altered to another order by its tag', async () => {
    const victim = await orderedCourse('tamper-victim');
    const paid = await orderedCourse('tamper-paid');
    expect(victim.outTradeNo).toHaveLength(paid.outTradeNo.length);
    await pay(paid.outTradeNo, { notify: 'drop' });

    const outcome = await server.sandboxRequest<NotifyOutcome>(
      'POST',
      `/sandbox/pay/orders/${paid.outTradeNo}/notify`,
      { tamper: 'ciphertext', tamperOutTradeNo: victim.outTradeNo },
    );
    expect(outcome.body.attempts.map((attempt) => attempt.status)).toEqual([400]);
    expect(await orderState(victim.orderId, victim.token)).toBe('pending');
    expect(await orderState(paid.orderId, paid.token)).toBe('pending');
    expect(await countEnrolments(victim.courseId)).toBe(0);
    expect(await countEnrolments(paid.courseId)).toBe(0);
    expect(await paymentsOf(victim.outTradeNo)).toBe(0);
    const rejection = server.logLines.find(
      (line) => line.includes('notification rejected') && line.includes('decryption_failed'),
    );
    expect(rejection).toBeDefined();
  });

  it('flags 1 fen paid for a 9,900 fen order and acknowledges it', async () => {
    const order = await orderedCourse('one-fen');
    const outcome = await pay(order.outTradeNo, { amountFen: 1 });
    expect(outcome.attempts.map((attempt) => attempt.status)).toEqual([204]);
    expect(await orderState(order.orderId, order.token)).toBe('pending');
    expect(await countEnrolments(order.courseId)).toBe(0);
    expect(await lessonStatus(order.lessonId, order.token)).toBe(403);
    const stored = await OrderModel.findById(order.orderId).lean();
    expect(stored?.review?.reason).toBe('amount_mismatch');
    const payment = await PaymentModel.findOne({ outTradeNo: order.outTradeNo }).lean();
    expect(payment?.reviewReason).toBe('amount_mismatch');
    expect(payment?.totalFen).toBe(1);

    // Reconciliation finds the same wrong amount at WeChat Pay and grants nothing either.
    const later = new Date(Date.now() + 5 * 60_000);
    await reconcilePayments({ ...server.payContext(), now: () => later }, server.deps.logger);
    expect(await countEnrolments(order.courseId)).toBe(0);
    expect(await orderState(order.orderId, order.token)).toBe('pending');
  });

  it('rejects and logs an unknown Wechatpay-Serial', async () => {
    const order = await orderedCourse('unknown-serial');
    const outcome = await pay(order.outTradeNo, { unknownSerial: true });
    expect(outcome.attempts.map((attempt) => attempt.status)).toEqual([401]);
    expect(await orderState(order.orderId, order.token)).toBe('pending');
    expect(await countEnrolments(order.courseId)).toBe(0);
    expect(await paymentsOf(order.outTradeNo)).toBe(0);
    const logged = server.logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.reason === 'unknown_serial');
    expect(logged?.msg).toBe('wechat pay notification rejected');
    expect(typeof logged?.serial).toBe('string');
    expect(logged?.knownSerials).toEqual(expect.any(Array));
  });

  it('rejects a notification older than 5 minutes', async () => {
    const order = await orderedCourse('stale');
    const outcome = await pay(order.outTradeNo, { timestampOffsetSeconds: -600 });
    expect(outcome.attempts.map((attempt) => attempt.status)).toEqual([401]);
    expect(await orderState(order.orderId, order.token)).toBe('pending');
  });

  it('rejects a body changed after signing', async () => {
    const order = await orderedCourse('changed-body');
    const outcome = await pay(order.outTradeNo, { tamper: 'body' });
    expect(outcome.attempts.map((attempt) => attempt.status)).toEqual([401]);
    expect(await orderState(order.orderId, order.token)).toBe('pending');
  });

  it('grants exactly one enrolment for 20 concurrent deliveries', async () => {
    const order = await orderedCourse('concurrent');
    const outcome = await pay(order.outTradeNo, { repeat: 20, concurrent: true });
    expect(outcome.attempts).toHaveLength(20);
    expect(outcome.attempts.every((attempt) => attempt.status === 204)).toBe(true);
    expect(await countEnrolments(order.courseId)).toBe(1);
    expect(await paymentsOf(order.outTradeNo)).toBe(1);
    expect(await orderState(order.orderId, order.token)).toBe('paid');
  });

  it('verifies a rotated platform certificate after downloading it', async () => {
    const rotated = await server.sandboxRequest<{ serialNo: string }>(
      'POST',
      '/sandbox/pay/rotate-certificate',
    );
    // The order's response is the first signed with the new certificate: the server downloads it.
    const order = await orderedCourse('rotated');
    const outcome = await pay(order.outTradeNo);
    expect(outcome.attempts.map((attempt) => attempt.status)).toEqual([204]);
    expect(await orderState(order.orderId, order.token)).toBe('paid');
    const downloaded = server.logLines.some(
      (line) => line.includes('certificates downloaded') && line.includes(rotated.body.serialNo),
    );
    expect(downloaded).toBe(true);
  });
});

describe('reconciliation', () => {
  it('marks a paid order whose notification was lost, granting once', async () => {
    const order = await orderedCourse('lost');
    const outcome = await pay(order.outTradeNo, { notify: 'drop' });
    expect(outcome.attempts).toEqual([]);
    expect(await OrderModel.findById(order.orderId, { state: 1 }).lean()).toMatchObject({
      state: 'pending',
    });

    const later = new Date(Date.now() + 3 * 60_000);
    const context = { ...server.payContext(), now: () => later };
    // Orders of earlier tests whose notifications were rejected are paid at WeChat Pay as well.
    const first = await reconcilePayments(context, server.deps.logger);
    expect(first.paid).toBeGreaterThanOrEqual(1);
    expect(await countEnrolments(order.courseId)).toBe(1);
    expect(await orderState(order.orderId, order.token)).toBe('paid');

    const second = await reconcilePayments(context, server.deps.logger);
    expect(second.paid).toBe(0);
    expect(await countEnrolments(order.courseId)).toBe(1);
    expect(await paymentsOf(order.outTradeNo)).toBe(1);
  });

  it('leaves a recent unpaid order alone', async () => {
    const order = await orderedCourse('recent');
    const before = (
      await server.sandboxRequest<{ calls: { query: number } }>('GET', '/sandbox/pay/calls')
    ).body.calls.query;
    await reconcilePayments(server.payContext(), server.deps.logger);
    const after = (
      await server.sandboxRequest<{ calls: { query: number } }>('GET', '/sandbox/pay/calls')
    ).body.calls.query;
    expect(after).toBe(before);
    expect(await orderState(order.orderId, order.token)).toBe('pending');
  });

  it('closes an expired unpaid order at WeChat Pay', async () => {
    const order = await orderedCourse('expired');
    const later = new Date(Date.now() + 31 * 60_000);
    const summary = await reconcilePayments(
      { ...server.payContext(), now: () => later },
      server.deps.logger,
    );
    expect(summary.closed).toBeGreaterThanOrEqual(1);
    expect(await orderState(order.orderId, order.token)).toBe('closed');
    const atWechat = await server.sandboxRequest<{ trade_state: string }>(
      'GET',
      `/sandbox/pay/orders/${order.outTradeNo}`,
    );
    expect(atWechat.body.trade_state).toBe('CLOSED');
  });

  it('applies a payment made just before expiry instead of closing', async () => {
    const order = await orderedCourse('paid-at-expiry');
    await pay(order.outTradeNo, { notify: 'drop' });
    const later = new Date(Date.now() + 31 * 60_000);
    await reconcilePayments({ ...server.payContext(), now: () => later }, server.deps.logger);
    expect(await orderState(order.orderId, order.token)).toBe('paid');
    expect(await countEnrolments(order.courseId)).toBe(1);
  });

  it('finishes a payment whose application stopped half-way', async () => {
    const order = await orderedCourse('stopped');
    await pay(order.outTradeNo, { notify: 'drop' });
    const transaction = await server.sandboxRequest<{ transaction_id: string }>(
      'GET',
      `/sandbox/pay/orders/${order.outTradeNo}`,
    );
    // A copy that recorded the payment and stopped before granting: the record alone exists.
    await PaymentModel.create({
      transactionId: transaction.body.transaction_id,
      outTradeNo: order.outTradeNo,
      orderId: new Types.ObjectId(order.orderId),
      totalFen: 9900,
      appId: server.deps.config.WECHAT_APP_ID,
      mchId: server.merchant.mchId,
      source: 'notification',
      receivedAt: new Date(Date.now() - 60_000),
    });
    const summary = await reconcilePayments(server.payContext(), server.deps.logger);
    expect(summary.finished).toBe(1);
    expect(await countEnrolments(order.courseId)).toBe(1);
    expect(await orderState(order.orderId, order.token)).toBe('paid');
  });
});

describe('logs', () => {
  it('never contain the APIv3 key, the merchant key or signatures', () => {
    const log = server.logLines.join('\n');
    const privateKeyLine = server.merchant.privateKeyPem.split('\n')[5] ?? '';
    expect(privateKeyLine.length).toBeGreaterThan(20);
    expect(log).not.toContain(server.merchant.apiV3Key);
    expect(log).not.toContain(privateKeyLine);
    expect(secretsSeen.length).toBeGreaterThan(5);
    for (const secret of secretsSeen) expect(log).not.toContain(secret);
  });
});
