// Refunds of paid courses over HTTP: who may request them, partial and full refunds, the refund
// notifications from the sandbox, and the review list of flagged payments.
import type {
  ApiErrorBody,
  CourseDetail,
  MyCoursesResponse,
  OrderView,
  PaymentReviewListResponse,
  RefundView,
} from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantManager, grantRole } from '../src/modules/admin/grants.service.js';
import { EnrolmentModel } from '../src/modules/catalog/enrolment.model.js';
import { reconcilePayments } from '../src/modules/orders/reconciliation.js';
import { RefundModel } from '../src/modules/orders/refund.model.js';
import { createAdminOrg, loginAsEmployee } from './admin-fixtures.js';
import {
  countEnrolments,
  createOrder,
  createPaidCourse,
  orderPaidCourse,
  payAtSandbox,
  startPayTestServer,
  type NotifyOutcome,
  type PayTestServer,
} from './pay-support.js';

let server: PayTestServer;
/** Holds the operator role on the head office 00. */
let operator: string;
/** Manages the head office 00 but is no operator. */
let headOfficeManager: string;

beforeAll(async () => {
  server = await startPayTestServer();
  await createAdminOrg();
  operator = await loginAsEmployee(server, 'R0001', '孙运营', '00');
  await grantRole('R0001', '00', 'operator', new Date());
  headOfficeManager = await loginAsEmployee(server, 'R0002', '钱经理', '00');
  await grantManager('R0002', '00', new Date());
});

afterAll(async () => {
  await server?.close();
});

/** Creates a course, a learner who buys it through the sandbox, and returns their ids. */
async function boughtCourse(name: string, priceFen = 9900) {
  const ordered = await orderPaidCourse(server, `REF-${name}`, `refund-${name}`, priceFen);
  await payAtSandbox(server, ordered.outTradeNo);
  return ordered;
}

/** Requests a refund as the operator, as another caller, or with `null` without a session. */
function refund(orderId: string, body: unknown, token: string | null = operator) {
  return server.request<RefundView & ApiErrorBody>('POST', `/api/admin/orders/${orderId}/refunds`, {
    token: token ?? undefined,
    body,
  });
}

async function completeRefund(outRefundNo: string, body: Record<string, unknown> = {}) {
  const response = await server.sandboxRequest<NotifyOutcome>(
    'POST',
    `/sandbox/pay/refunds/${outRefundNo}/complete`,
    body,
  );
  expect(response.status).toBe(200);
  return response.body;
}

async function orderOf(orderId: string, token: string) {
  return (await server.request<OrderView>('GET', `/api/orders/${orderId}`, { token })).body;
}

async function lessonStatus(lessonId: string, token: string) {
  return (await server.request('GET', `/api/lessons/${lessonId}`, { token })).status;
}

describe('POST /api/admin/orders/:id/refunds', () => {
  it('requires a session', async () => {
    const bought = await boughtCourse('no-session');
    const response = await refund(bought.orderId, { amountFen: 100, reason: '测试' }, null);
    expect(response.status).toBe(401);
  });

  it('rejects a learner without a grant', async () => {
    const bought = await boughtCourse('learner');
    const response = await refund(bought.orderId, { amountFen: 100, reason: '测试' }, bought.token);
    expect(response.status).toBe(403);
  });

  it('rejects a manager without the operator role', async () => {
    const bought = await boughtCourse('manager');
    const response = await refund(
      bought.orderId,
      { amountFen: 100, reason: '测试' },
      headOfficeManager,
    );
    expect(response.status).toBe(403);
    expect(response.body.error.message).toContain('not an operator');
    expect(await RefundModel.countDocuments({ outTradeNo: bought.outTradeNo })).toBe(0);
  });

  it('keeps access after a partial refund and removes it after the rest', async () => {
    const bought = await boughtCourse('partial');
    const partial = await refund(bought.orderId, { amountFen: 3_000, reason: '部分退款' });
    expect(partial.status).toBe(201);
    expect(partial.body.state).toBe('processing');
    expect(partial.body.outRefundNo).toBe(`${bought.outTradeNo}R1`);
    const stored = await RefundModel.findOne({ outRefundNo: partial.body.outRefundNo }).lean();
    expect(stored?.requestedBy).toBe('R0001');
    const first = await completeRefund(partial.body.outRefundNo);
    expect(first.attempts.map((attempt) => attempt.status)).toEqual([204]);
    expect((await orderOf(bought.orderId, bought.token)).refundedFen).toBe(3_000);
    expect(await lessonStatus(bought.lessonId, bought.token)).toBe(200);

    const rest = await refund(bought.orderId, { amountFen: 6_900, reason: '剩余全部退款' });
    expect(rest.status).toBe(201);
    await completeRefund(rest.body.outRefundNo);
    const order = await orderOf(bought.orderId, bought.token);
    expect(order.refundedFen).toBe(9_900);
    expect(order.state).toBe('paid');
    expect(await lessonStatus(bought.lessonId, bought.token)).toBe(403);
  });

  it('removes access after a full refund and keeps the enrolment as history', async () => {
    const bought = await boughtCourse('full');
    const full = await refund(bought.orderId, { amountFen: 9_900, reason: '全额退款' });
    expect(full.status).toBe(201);
    // Access stays until WeChat Pay reports the refund done.
    expect(await lessonStatus(bought.lessonId, bought.token)).toBe(200);
    await completeRefund(full.body.outRefundNo);

    expect(await lessonStatus(bought.lessonId, bought.token)).toBe(403);
    expect(await countEnrolments(bought.courseId)).toBe(1);
    const enrolment = await EnrolmentModel.findOne({ courseId: bought.courseId }).lean();
    expect(enrolment?.revokedAt).toBeInstanceOf(Date);
    const detail = await server.request<CourseDetail>('GET', `/api/courses/${bought.courseId}`, {
      token: bought.token,
    });
    expect(detail.body.purchase?.purchased).toBe(false);
    expect(detail.body.enrolment).toBeNull();
    const mine = await server.request<MyCoursesResponse>('GET', '/api/me/courses', {
      token: bought.token,
    });
    expect(mine.body.items.map((item) => item.course.id)).not.toContain(bought.courseId);
  });

  it('lets the learner buy again after a full refund', async () => {
    const bought = await boughtCourse('again');
    const full = await refund(bought.orderId, { amountFen: 9_900, reason: '全额退款' });
    await completeRefund(full.body.outRefundNo);
    const second = await createOrder(server, bought.token, bought.courseId);
    expect(second.order.id).not.toBe(bought.orderId);
    await payAtSandbox(server, `WXL${second.order.id}`);
    expect(await lessonStatus(bought.lessonId, bought.token)).toBe(200);
    expect(await countEnrolments(bought.courseId)).toBe(1);
  });

  it('applies a repeated refund notification once', async () => {
    const bought = await boughtCourse('repeated');
    const full = await refund(bought.orderId, { amountFen: 9_900, reason: '全额退款' });
    const outcome = await completeRefund(full.body.outRefundNo, { repeat: 3, concurrent: true });
    expect(outcome.attempts.map((attempt) => attempt.status)).toEqual([204, 204, 204]);
    expect((await orderOf(bought.orderId, bought.token)).refundedFen).toBe(9_900);
  });

  it('rejects a refund notification changed after signing', async () => {
    const bought = await boughtCourse('tampered');
    const full = await refund(bought.orderId, { amountFen: 9_900, reason: '全额退款' });
    const outcome = await completeRefund(full.body.outRefundNo, { tamper: 'body' });
    expect(outcome.attempts.map((attempt) => attempt.status)).toEqual([401]);
    expect(await lessonStatus(bought.lessonId, bought.token)).toBe(200);
    expect((await orderOf(bought.orderId, bought.token)).refundedFen).toBe(0);
  });

  it('finds a completed refund whose notification was lost', async () => {
    const bought = await boughtCourse('lost');
    const full = await refund(bought.orderId, { amountFen: 9_900, reason: '全额退款' });
    await completeRefund(full.body.outRefundNo, { notify: 'drop' });
    expect(await lessonStatus(bought.lessonId, bought.token)).toBe(200);
    const later = new Date(Date.now() + 3 * 60_000);
    await reconcilePayments({ ...server.payContext(), now: () => later }, server.deps.logger);
    expect(await lessonStatus(bought.lessonId, bought.token)).toBe(403);
  });

  it('keeps access when WeChat Pay closes the refund', async () => {
    const bought = await boughtCourse('closed');
    const full = await refund(bought.orderId, { amountFen: 9_900, reason: '全额退款' });
    await completeRefund(full.body.outRefundNo, { status: 'CLOSED' });
    expect(await lessonStatus(bought.lessonId, bought.token)).toBe(200);
    const stored = await RefundModel.findOne({ outRefundNo: full.body.outRefundNo }).lean();
    expect(stored?.state).toBe('closed');
  });

  it('rejects more than the amount not yet refunded', async () => {
    const bought = await boughtCourse('too-much');
    const first = await refund(bought.orderId, { amountFen: 5_000, reason: '部分退款' });
    expect(first.status).toBe(201);
    const second = await refund(bought.orderId, { amountFen: 5_000, reason: '超额退款' });
    expect(second.status).toBe(409);
    expect(second.body.error.id).toBe('refund_exceeds_paid');
    expect(second.body.error.message).toContain('4900');
  });

  it('rejects a refund of an unpaid order', async () => {
    const course = await createPaidCourse('REF-UNPAID', 9900);
    const token = await server.loginAs('refund-unpaid');
    const created = await createOrder(server, token, course.courseId);
    const response = await refund(created.order.id, { amountFen: 100, reason: '测试' });
    expect(response.status).toBe(409);
    expect(response.body.error.id).toBe('order_not_paid');
  });

  it('rejects an invalid amount', async () => {
    const bought = await boughtCourse('invalid');
    const response = await refund(bought.orderId, { amountFen: 0.5, reason: '测试' });
    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
  });
});

describe('GET /api/admin/orders/reviews', () => {
  it('lists a payment of the wrong amount for the operator', async () => {
    const { orderId, outTradeNo } = await orderPaidCourse(server, 'REF-REVIEW', 'refund-review');
    await payAtSandbox(server, outTradeNo, { amountFen: 1 });

    const response = await server.request<PaymentReviewListResponse>(
      'GET',
      '/api/admin/orders/reviews',
      { token: operator },
    );
    expect(response.status).toBe(200);
    const item = response.body.items.find((review) => review.outTradeNo === outTradeNo);
    expect(item?.reason).toBe('amount_mismatch');
    expect(item?.paidFen).toBe(1);
    expect(item?.orderAmountFen).toBe(9900);
    expect(item?.orderId).toBe(orderId);
  });

  it('rejects a manager without the operator role', async () => {
    const response = await server.request('GET', '/api/admin/orders/reviews', {
      token: headOfficeManager,
    });
    expect(response.status).toBe(403);
  });
});
