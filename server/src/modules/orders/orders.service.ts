// Orders of paid courses: creating (or reusing) the learner's order with its JSAPI payment
// parameters, reading it back, and closing unpaid orders at WeChat Pay.
import type { JsapiPaymentParams } from '@wxlearn/api-types';
import { Types } from 'mongoose';
import { isDuplicateKeyError } from '../../db/errors.js';
import { notFound, wechatUnavailable } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { PayApiError, PayTransportError } from '../../wechat/pay-transport.js';
import { findActiveEnrolment, isActivePurchase } from '../catalog/course-access.js';
import { CourseModel, type Course } from '../catalog/course.model.js';
import { LearnerModel } from '../learners/learner.model.js';
import { OrderModel, type Order } from './order.model.js';
import { courseAlreadyPurchased, courseNotForSale, wechatPayRejected } from './orders.errors.js';
import type { PayContext } from './pay-context.js';
import { applyTransaction } from './payments.service.js';

/**
 * An unpaid order is reused only while this much of its lifetime is left, so that the learner
 * still has time to pay. After that a new order replaces it.
 */
export const REUSE_MIN_REMAINING_MS = 2 * 60_000;
/** A poll of an unpaid order queries WeChat Pay at most this often. */
export const POLL_QUERY_INTERVAL_MS = 5_000;
/** Concurrent requests that lose the insert of a new order read the winner's; this bounds retries. */
const CREATE_ATTEMPTS = 3;

export interface CreatedOrder {
  order: Order;
  payment: JsapiPaymentParams;
  reused: boolean;
}

/** Builds our out_trade_no from the order id: 27 characters of the 32 WeChat Pay allows. */
export function outTradeNoOf(orderId: Types.ObjectId): string {
  return `WXL${orderId.toHexString()}`;
}

/** Maps a WeChat Pay failure to an API error: 503 when unreachable, 502 when it refused. */
export function payFailure(error: unknown): unknown {
  if (error instanceof PayTransportError) {
    return wechatUnavailable('WeChat Pay could not be reached: retry later');
  }
  if (error instanceof PayApiError) return wechatPayRejected(error.code, error.detail);
  return error;
}

/**
 * Creates an order for a paid course, or returns the learner's unpaid order of it, and the signed
 * parameters for `wx.requestPayment`. The amount is the course price, never the client's.
 */
export async function createOrder(
  context: PayContext,
  learnerId: Types.ObjectId,
  courseId: string,
  log: Logger,
): Promise<CreatedOrder> {
  const course = await CourseModel.findOne(
    { _id: courseId, published: true },
    { title: 1, priceFen: 1 },
  ).lean<Pick<Course, '_id' | 'title' | 'priceFen'>>();
  if (!course) throw notFound('Course', courseId);
  const priceFen = course.priceFen;
  if (priceFen === null || priceFen === undefined) throw courseNotForSale(courseId);
  if (isActivePurchase(await findActiveEnrolment(learnerId, course._id))) {
    throw courseAlreadyPurchased(courseId);
  }

  for (let attempt = 1; ; attempt += 1) {
    const latest = await OrderModel.findOne({ learnerId, courseId: course._id })
      .sort({ seq: -1 })
      .lean<Order>();
    if (latest?.state === 'paid' && latest.refundedFen < latest.amountFen) {
      throw courseAlreadyPurchased(courseId);
    }
    if (latest && isReusable(latest, priceFen, context.now())) {
      return { ...(await placeAtWechatPay(context, latest)), reused: true };
    }
    // A flagged order was paid with the wrong amount or app and is left to an operator.
    if (latest?.state === 'pending' && latest.review === null) {
      // Expiring, or priced differently: close it so that it cannot be paid besides the new one.
      const state = await closePendingOrder(context, latest, log).catch((error: unknown) => {
        throw payFailure(error);
      });
      if (state === 'paid') throw courseAlreadyPurchased(courseId);
      if (state === 'pending') throw wechatUnavailable('The previous order is still open: retry');
    }

    try {
      const seq = (latest?.seq ?? 0) + 1;
      const order = await insertOrder(context, learnerId, { ...course, priceFen }, seq);
      log.info(
        { orderId: order._id, outTradeNo: order.outTradeNo, courseId, amountFen: order.amountFen },
        'order created',
      );
      return { ...(await placeAtWechatPay(context, order)), reused: false };
    } catch (error) {
      // A concurrent request created this seq first: use its order.
      if (!isDuplicateKeyError(error) || attempt >= CREATE_ATTEMPTS) throw error;
    }
  }
}

function isReusable(order: Order, priceFen: number, now: Date): boolean {
  return (
    order.state === 'pending' &&
    order.review === null &&
    order.amountFen === priceFen &&
    order.expiresAt.getTime() - now.getTime() >= REUSE_MIN_REMAINING_MS
  );
}

async function insertOrder(
  context: PayContext,
  learnerId: Types.ObjectId,
  course: Pick<Course, '_id' | 'title'> & { priceFen: number },
  seq: number,
): Promise<Order> {
  const learner = await LearnerModel.findById(learnerId, { openid: 1 }).orFail().lean();
  const now = context.now();
  const _id = new Types.ObjectId();
  const created = await OrderModel.create({
    _id,
    outTradeNo: outTradeNoOf(_id),
    learnerId,
    courseId: course._id,
    seq,
    courseTitle: course.title,
    amountFen: course.priceFen,
    payerOpenid: learner.openid,
    state: 'pending',
    createdAt: now,
    expiresAt: new Date(now.getTime() + context.orderCloseMinutes * 60_000),
  });
  return created.toObject<Order>();
}

/**
 * Places the JSAPI order at WeChat Pay unless it already has a prepay id, and signs the payment
 * parameters. Placing it again with the same out_trade_no and the same fields returns the same
 * prepay id, so concurrent callers agree.
 */
async function placeAtWechatPay(
  context: PayContext,
  order: Order,
): Promise<{ order: Order; payment: JsapiPaymentParams }> {
  const { client, notifyUrl } = context.pay;
  let prepayId = order.prepayId;
  if (!prepayId) {
    try {
      ({ prepayId } = await client.createJsapiOrder({
        outTradeNo: order.outTradeNo,
        description: order.courseTitle,
        amountFen: order.amountFen,
        payerOpenid: order.payerOpenid,
        expiresAt: order.expiresAt,
        notifyUrl,
      }));
    } catch (error) {
      context.logger.warn({ outTradeNo: order.outTradeNo, err: error }, 'jsapi order failed');
      throw payFailure(error);
    }
    await OrderModel.updateOne({ _id: order._id }, { $set: { prepayId } });
  }
  return {
    order: { ...order, prepayId },
    payment: client.signPaymentParams(prepayId, context.now()),
  };
}

/** Returns the learner's order, or 404 for an unknown order or another learner's. */
export async function findLearnerOrder(learnerId: Types.ObjectId, orderId: string): Promise<Order> {
  const order = await OrderModel.findOne({ _id: orderId, learnerId }).lean<Order>();
  if (!order) throw notFound('Order', orderId);
  return order;
}

/**
 * Returns the learner's order. While it is unpaid, queries WeChat Pay at most every
 * POLL_QUERY_INTERVAL_MS and applies a payment found there, so a client polling after paying
 * sees the payment even when the notification is late.
 */
export async function pollLearnerOrder(
  context: PayContext | null,
  learnerId: Types.ObjectId,
  orderId: string,
  log: Logger,
): Promise<Order> {
  const order = await findLearnerOrder(learnerId, orderId);
  if (!context || order.state !== 'pending' || order.prepayId === null || order.review) {
    return order;
  }
  const now = context.now();
  const lastQueried = order.lastQueriedAt?.getTime() ?? order.createdAt.getTime();
  if (now.getTime() - lastQueried < POLL_QUERY_INTERVAL_MS) return order;

  await OrderModel.updateOne({ _id: order._id }, { $set: { lastQueriedAt: now } });
  try {
    const transaction = await context.pay.client.queryOrder(order.outTradeNo);
    if (transaction) await applyTransaction(context, transaction, 'query', log);
  } catch (error) {
    // The poll still returns the stored order; reconciliation queries WeChat Pay again later.
    log.warn({ outTradeNo: order.outTradeNo, err: error }, 'order query failed');
    return order;
  }
  return findLearnerOrder(learnerId, orderId);
}

/**
 * Closes an unpaid order at WeChat Pay so that it can no longer be paid, and marks it closed.
 * When WeChat Pay refuses, the order is queried: a payment made meanwhile is applied, and an
 * order WeChat Pay never had is closed here only. Returns the order's state afterwards.
 * Throws PayTransportError or PayApiError when WeChat Pay fails.
 */
export async function closePendingOrder(
  context: PayContext,
  order: Order,
  log: Logger,
): Promise<Order['state']> {
  const { client } = context.pay;
  const outcome = await client.closeOrder(order.outTradeNo);
  if (outcome === 'not_closed') {
    const transaction = await client.queryOrder(order.outTradeNo);
    if (transaction && transaction.tradeState !== 'CLOSED') {
      await applyTransaction(context, transaction, 'query', log);
      const after = await OrderModel.findById(order._id, { state: 1 }).orFail().lean();
      return after.state as Order['state'];
    }
  }
  await OrderModel.updateOne(
    { _id: order._id, state: 'pending' },
    { $set: { state: 'closed', closedAt: context.now() } },
  );
  log.info({ outTradeNo: order.outTradeNo }, 'order closed');
  return 'closed';
}
