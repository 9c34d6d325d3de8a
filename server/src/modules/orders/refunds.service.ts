// Refunds of paid orders, full or partial, requested by an operator and completed by WeChat Pay.
// A refund changes access only when WeChat Pay reports it SUCCESS: once the completed refunds of
// an order add up to its amount, the purchase enrolment is revoked.
import { isDuplicateKeyError } from '../../db/errors.js';
import { notFound } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { PayTransportError } from '../../wechat/pay-transport.js';
import type { PayRefund, RefundStatus } from '../../wechat/pay-types.js';
import { OrderModel, type Order } from './order.model.js';
import { orderNotPaid, refundExceedsPaid, refundPending } from './orders.errors.js';
import { payFailure } from './orders.service.js';
import type { PayContext } from './pay-context.js';
import { revokePurchase } from './purchase-enrolment.js';
import { RefundModel, type Refund, type RefundState } from './refund.model.js';

export interface RefundRequest {
  amountFen: number;
  reason: string;
  /** Employee number of the operator. */
  requestedBy: string;
}

/** Refund states that hold money of the order: requested, in progress, done or being fixed by hand. */
const COMMITTED_STATES: readonly RefundState[] = ['requested', 'processing', 'success', 'abnormal'];

/** The state a WeChat Pay refund status moves a refund to. */
const STATE_OF_STATUS: Record<RefundStatus, RefundState> = {
  PROCESSING: 'processing',
  SUCCESS: 'success',
  CLOSED: 'closed',
  ABNORMAL: 'abnormal',
};

/** States a refund may move to from each state; a late PROCESSING never undoes SUCCESS. */
const NEXT_STATES: Record<RefundState, readonly RefundState[]> = {
  requested: ['processing', 'success', 'closed', 'abnormal'],
  processing: ['success', 'closed', 'abnormal'],
  abnormal: ['success', 'closed'],
  success: [],
  closed: [],
};

/**
 * Requests a refund of a paid order at WeChat Pay. A refund that WeChat Pay has not confirmed
 * yet is sent again with the same out_refund_no when the operator repeats the same amount, so a
 * retried request never refunds twice.
 * NOTE: a payment flagged for the wrong amount leaves its order unpaid, so it cannot be refunded
 * here; an operator refunds it on the WeChat Pay merchant platform.
 */
export async function requestRefund(
  context: PayContext,
  orderId: string,
  request: RefundRequest,
  log: Logger,
): Promise<Refund> {
  const order = await OrderModel.findById(orderId).lean<Order>();
  if (!order) throw notFound('Order', orderId);
  if (order.state !== 'paid') throw orderNotPaid(orderId);

  const refunds = await RefundModel.find({ orderId: order._id }).lean<Refund[]>();
  const unconfirmed = refunds.find((refund) => refund.state === 'requested');
  if (unconfirmed) {
    if (unconfirmed.amountFen !== request.amountFen) throw refundPending(unconfirmed.outRefundNo);
    return sendRefund(context, order, unconfirmed, log);
  }
  const committed = refunds
    .filter((refund) => COMMITTED_STATES.includes(refund.state as RefundState))
    .reduce((sum, refund) => sum + refund.amountFen, 0);
  const remaining = order.amountFen - committed;
  if (request.amountFen > remaining) throw refundExceedsPaid(remaining);

  let refund: Refund;
  try {
    const created = await RefundModel.create({
      outRefundNo: `${order.outTradeNo}R${refunds.length + 1}`,
      orderId: order._id,
      outTradeNo: order.outTradeNo,
      amountFen: request.amountFen,
      reason: request.reason,
      state: 'requested',
      requestedBy: request.requestedBy,
      requestedAt: context.now(),
    });
    refund = created.toObject<Refund>();
  } catch (error) {
    // Another request for this order took the same refund number a moment ago.
    if (isDuplicateKeyError(error)) {
      throw refundPending(`${order.outTradeNo}R${refunds.length + 1}`);
    }
    throw error;
  }
  log.info(
    {
      orderId: order._id,
      outRefundNo: refund.outRefundNo,
      amountFen: refund.amountFen,
      requestedBy: refund.requestedBy,
    },
    'refund requested',
  );
  return sendRefund(context, order, refund, log);
}

/**
 * Sends a stored refund to WeChat Pay and applies its response. When WeChat Pay cannot be reached
 * the refund stays `requested` for the operator or reconciliation to send again.
 */
async function sendRefund(
  context: PayContext,
  order: Order,
  refund: Refund,
  log: Logger,
): Promise<Refund> {
  let result: PayRefund;
  try {
    result = await context.pay.client.createRefund({
      outTradeNo: order.outTradeNo,
      outRefundNo: refund.outRefundNo,
      refundFen: refund.amountFen,
      totalFen: order.amountFen,
      reason: refund.reason,
      notifyUrl: context.pay.refundNotifyUrl,
    });
  } catch (error) {
    if (!(error instanceof PayTransportError)) {
      const code = (error as { code?: unknown }).code;
      await RefundModel.updateOne(
        { _id: refund._id, state: 'requested' },
        { $set: { state: 'closed', failureCode: typeof code === 'string' ? code : 'UNKNOWN' } },
      );
    }
    log.warn({ outRefundNo: refund.outRefundNo, err: error }, 'refund request failed');
    throw payFailure(error);
  }
  await applyRefund(context, result, log);
  return RefundModel.findById(refund._id).orFail().lean<Refund>();
}

/**
 * Applies WeChat Pay's state of a refund, from the refund API, a refund notification or a query.
 * Repeats and late, older states change nothing. Returns false when the refund is not ours or
 * does not match what we asked for.
 */
export async function applyRefund(
  context: PayContext,
  result: PayRefund,
  log: Logger,
): Promise<boolean> {
  const fields = { outRefundNo: result.outRefundNo, status: result.status };
  const refund = await RefundModel.findOne({ outRefundNo: result.outRefundNo }).lean<Refund>();
  if (!refund || refund.outTradeNo !== result.outTradeNo) {
    log.warn(fields, 'refund result for an unknown refund ignored');
    return false;
  }
  if (result.mchId !== null && result.mchId !== context.pay.client.mchId) {
    log.warn({ ...fields, mchId: result.mchId }, 'refund result of another merchant ignored');
    return false;
  }
  if (result.refundFen !== refund.amountFen) {
    log.error(
      { ...fields, refundFen: result.refundFen, requestedFen: refund.amountFen },
      'refund result with another amount ignored',
    );
    return false;
  }

  const state = STATE_OF_STATUS[result.status];
  const from = NEXT_STATES[refund.state as RefundState];
  if (from.includes(state)) {
    const now = context.now();
    await RefundModel.updateOne(
      { _id: refund._id, state: refund.state },
      {
        $set: {
          state,
          refundId: result.refundId,
          ...(state === 'success' ? { completedAt: result.successTime ?? now } : {}),
        },
      },
    );
    log.info({ ...fields, orderId: refund.orderId }, 'refund state changed');
  }
  if (state === 'success') await settleRefundedAmount(context, refund.orderId.toString(), log);
  return true;
}

/**
 * Recomputes the refunded amount of an order from its successful refunds, and revokes the
 * course once it reaches the order's amount. Recomputing instead of adding keeps repeated and
 * concurrent notifications from counting a refund twice.
 */
async function settleRefundedAmount(
  context: PayContext,
  orderId: string,
  log: Logger,
): Promise<void> {
  const order = await OrderModel.findById(orderId).orFail().lean<Order>();
  const successful = await RefundModel.find({ orderId: order._id, state: 'success' }).lean<
    Refund[]
  >();
  const refundedFen = successful.reduce((sum, refund) => sum + refund.amountFen, 0);
  if (refundedFen !== order.refundedFen) {
    await OrderModel.updateOne({ _id: order._id }, { $set: { refundedFen } });
  }
  if (refundedFen >= order.amountFen && (await revokePurchase(order, context.now()))) {
    log.info(
      { orderId: order._id, learnerId: order.learnerId, courseId: order.courseId, refundedFen },
      'order fully refunded, course access removed',
    );
  }
}

/** Lists the refunds of an order, oldest first. */
export async function listOrderRefunds(orderId: string): Promise<Refund[]> {
  return RefundModel.find({ orderId }).sort({ requestedAt: 1 }).lean<Refund[]>();
}
