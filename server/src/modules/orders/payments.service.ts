// Applying a WeChat Pay transaction to its order: the one code path for payment notifications,
// reconciliation and polls. A transaction opens the course only when it names one of our orders,
// this app and merchant, state SUCCESS and exactly the order's amount.
import { isDuplicateKeyError } from '../../db/errors.js';
import type { Logger } from '../../logger.js';
import type { PayTransaction } from '../../wechat/pay-types.js';
import { OrderModel, type Order, type PaymentReviewReason } from './order.model.js';
import type { PayContext } from './pay-context.js';
import { PaymentModel, type Payment } from './payment.model.js';
import { grantPurchase } from './purchase-enrolment.js';

/**
 * `applied`: this call marked the order paid and granted the course. `repeat`: the transaction
 * was already recorded, so nothing changed. `flagged`: recorded without granting anything, for an
 * operator to review. `not_paid`: the transaction is not a completed payment.
 */
export type ApplyOutcome = 'applied' | 'repeat' | 'flagged' | 'not_paid';

/**
 * A recorded payment whose application has not finished after this long is finished by the next
 * repeat or by reconciliation: the server copy that recorded it probably stopped half-way.
 */
export const UNFINISHED_PAYMENT_MS = 10_000;

/** Returns why a successful transaction must not open the course, or null when it may. */
export function reviewReasonOf(
  transaction: PayTransaction,
  order: Pick<Order, 'amountFen'> | null,
  expected: { appId: string; mchId: string },
): PaymentReviewReason | null {
  if (!order) return 'unknown_order';
  if (transaction.appId !== expected.appId) return 'app_id_mismatch';
  if (transaction.mchId !== expected.mchId) return 'mch_id_mismatch';
  if (transaction.totalFen !== order.amountFen || (transaction.currency ?? 'CNY') !== 'CNY') {
    return 'amount_mismatch';
  }
  return null;
}

/**
 * Applies a transaction once. The payment is inserted under the unique transactionId index
 * before anything is granted. Of any number of concurrent or repeated deliveries, only the one
 * whose insert succeeds goes on.
 */
export async function applyTransaction(
  context: PayContext,
  transaction: PayTransaction,
  source: Payment['source'],
  log: Logger,
): Promise<ApplyOutcome> {
  const fields = { outTradeNo: transaction.outTradeNo, transactionId: transaction.transactionId };
  if (transaction.tradeState !== 'SUCCESS' || !transaction.transactionId) {
    log.info({ ...fields, tradeState: transaction.tradeState, source }, 'transaction not paid');
    return 'not_paid';
  }

  const now = context.now();
  const order = await OrderModel.findOne({ outTradeNo: transaction.outTradeNo }).lean<Order>();
  const reviewReason = reviewReasonOf(transaction, order, {
    appId: context.pay.client.appId,
    mchId: context.pay.client.mchId,
  });

  let payment: Payment;
  try {
    const created = await PaymentModel.create({
      transactionId: transaction.transactionId,
      outTradeNo: transaction.outTradeNo,
      orderId: order?._id ?? null,
      totalFen: transaction.totalFen,
      payerTotalFen: transaction.payerTotalFen,
      currency: transaction.currency,
      appId: transaction.appId,
      mchId: transaction.mchId,
      payerOpenid: transaction.payerOpenid,
      successTime: transaction.successTime,
      source,
      receivedAt: now,
      reviewReason,
    });
    payment = created.toObject<Payment>();
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const existing = await PaymentModel.findOne({ transactionId: transaction.transactionId })
      .orFail()
      .lean<Payment>();
    if (isUnfinished(existing, now) && order) {
      log.warn({ ...fields, source }, 'finishing a payment whose application stopped');
      await finishPayment(context, existing, order, log);
    } else {
      log.info({ ...fields, source }, 'payment already recorded');
    }
    return 'repeat';
  }

  if (reviewReason !== null) {
    if (order) await flagOrder(order, reviewReason, transaction.transactionId, now);
    log.warn(
      {
        ...fields,
        source,
        reviewReason,
        paidFen: transaction.totalFen,
        orderAmountFen: order?.amountFen ?? null,
        appId: transaction.appId,
        mchId: transaction.mchId,
      },
      'payment flagged for review, course not granted',
    );
    return 'flagged';
  }
  return (await finishPayment(context, payment, order as Order, log)) ? 'applied' : 'flagged';
}

/** True for a payment that passed the checks but whose application did not finish in time. */
function isUnfinished(payment: Payment, now: Date): boolean {
  return (
    payment.reviewReason === null &&
    payment.appliedAt === null &&
    now.getTime() - payment.receivedAt.getTime() >= UNFINISHED_PAYMENT_MS
  );
}

/**
 * Marks the order paid and grants the course; every step is idempotent, so finishing twice
 * changes nothing. Returns false when the learner already owned the course through another
 * order: the payment is then flagged as a duplicate purchase for a refund.
 */
async function finishPayment(
  context: PayContext,
  payment: Payment,
  order: Order,
  log: Logger,
): Promise<boolean> {
  const now = context.now();
  await OrderModel.updateOne(
    { _id: order._id },
    {
      $set: {
        state: 'paid',
        paidAt: payment.successTime ?? now,
        transactionId: payment.transactionId,
        closedAt: null,
      },
    },
  );
  const grant = await grantPurchase(order, now);
  if (grant === 'duplicate') {
    await PaymentModel.updateOne(
      { _id: payment._id },
      { $set: { reviewReason: 'duplicate_purchase', appliedAt: now } },
    );
    await flagOrder(order, 'duplicate_purchase', payment.transactionId, now);
    log.warn(
      { orderId: order._id, transactionId: payment.transactionId, learnerId: order.learnerId },
      'course already bought through another order: payment flagged for a refund',
    );
    return false;
  }
  await PaymentModel.updateOne({ _id: payment._id }, { $set: { appliedAt: now } });
  log.info(
    {
      orderId: order._id,
      outTradeNo: order.outTradeNo,
      transactionId: payment.transactionId,
      learnerId: order.learnerId,
      courseId: order.courseId,
      source: payment.source,
      grant,
    },
    'payment applied, course granted',
  );
  return true;
}

async function flagOrder(
  order: Order,
  reason: PaymentReviewReason,
  transactionId: string,
  now: Date,
): Promise<void> {
  await OrderModel.updateOne(
    { _id: order._id },
    { $set: { review: { reason, transactionId, flaggedAt: now } } },
  );
}

/**
 * Finishes payments that passed the checks but whose application stopped half-way, such as when
 * a server copy stopped between recording and granting. Returns how many it finished.
 */
export async function finishStoppedPayments(
  context: PayContext,
  log: Logger,
  limit = 50,
): Promise<number> {
  const now = context.now();
  const stopped = await PaymentModel.find({ appliedAt: null, reviewReason: null })
    .sort({ receivedAt: 1 })
    .limit(limit)
    .lean<Payment[]>();
  let finished = 0;
  for (const payment of stopped) {
    if (!isUnfinished(payment, now) || !payment.orderId) continue;
    const order = await OrderModel.findById(payment.orderId).lean<Order>();
    if (!order) continue;
    await finishPayment(context, payment, order, log);
    finished += 1;
  }
  return finished;
}
