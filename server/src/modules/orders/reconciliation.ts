// Reconciliation with WeChat Pay, for notifications that never arrive and calls that failed
// half-way. Run every minute by one server copy (jobs/index.ts).
import { trusted } from '../../db/trusted.js';
import type { Logger } from '../../logger.js';
import { OrderModel, type Order } from './order.model.js';
import { closePendingOrder } from './orders.service.js';
import type { PayContext } from './pay-context.js';
import { applyTransaction, finishStoppedPayments } from './payments.service.js';
import { applyRefund } from './refunds.service.js';
import { RefundModel, type Refund, type RefundState } from './refund.model.js';

/** An unpaid order is first queried this long after its creation; most payments notify sooner. */
export const RECONCILE_AFTER_MS = 2 * 60_000;
/** An unpaid order or unfinished refund is asked about again after this long. */
export const REQUERY_INTERVAL_MS = 2 * 60_000;
/** Refund states that WeChat Pay may still change. */
const OPEN_REFUND_STATES: RefundState[] = ['requested', 'processing', 'abnormal'];
/** Orders and refunds handled per run, so that one run stays short. */
const BATCH_SIZE = 50;

export interface ReconcileSummary {
  /** Orders asked about at WeChat Pay. */
  queried: number;
  /** Orders found paid and applied by this run. */
  paid: number;
  closed: number;
  /** Payments recorded earlier whose application this run finished. */
  finished: number;
  /** Refunds whose state this run refreshed or sent again. */
  refunds: number;
  failed: number;
}

/**
 * Applies what WeChat Pay reports and this server missed: payments of unpaid orders (through the
 * same code path as notifications), closes expired orders, finishes stopped payments and
 * refreshes unfinished refunds. A failure on one order is logged and the run goes on.
 */
export async function reconcilePayments(
  context: PayContext,
  log: Logger,
): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = {
    queried: 0,
    paid: 0,
    closed: 0,
    finished: 0,
    refunds: 0,
    failed: 0,
  };
  const now = context.now();

  // Flagged orders were paid wrongly and wait for an operator; nothing here changes them.
  const pending = await OrderModel.find({
    state: 'pending',
    review: null,
    createdAt: trusted({ $lte: new Date(now.getTime() - RECONCILE_AFTER_MS) }),
  })
    .sort({ createdAt: 1 })
    .limit(BATCH_SIZE)
    .lean<Order[]>();
  for (const order of pending) {
    const expired = order.expiresAt.getTime() <= now.getTime();
    const lastQueriedAt = order.lastQueriedAt?.getTime() ?? null;
    const queriedRecently =
      lastQueriedAt !== null && now.getTime() - lastQueriedAt < REQUERY_INTERVAL_MS;
    if (!expired && queriedRecently) continue;
    try {
      await reconcileOrder(context, order, expired, summary, log);
    } catch (error) {
      summary.failed += 1;
      log.warn({ outTradeNo: order.outTradeNo, err: error }, 'order reconciliation failed');
    }
  }

  summary.finished = await finishStoppedPayments(context, log);
  await reconcileRefunds(context, summary, log);
  return summary;
}

async function reconcileOrder(
  context: PayContext,
  order: Order,
  expired: boolean,
  summary: ReconcileSummary,
  log: Logger,
): Promise<void> {
  await OrderModel.updateOne({ _id: order._id }, { $set: { lastQueriedAt: context.now() } });
  summary.queried += 1;
  const transaction = await context.pay.client.queryOrder(order.outTradeNo);
  if (transaction?.tradeState === 'SUCCESS') {
    const outcome = await applyTransaction(context, transaction, 'query', log);
    if (outcome === 'applied') {
      summary.paid += 1;
      log.warn(
        { outTradeNo: order.outTradeNo, transactionId: transaction.transactionId },
        'payment found by reconciliation: its notification did not arrive',
      );
    }
    return;
  }
  if (!expired) return;
  const state = await closePendingOrder(context, order, log);
  if (state === 'closed') summary.closed += 1;
  if (state === 'paid') summary.paid += 1;
}

/**
 * Sends refunds again that WeChat Pay never confirmed (the same out_refund_no refunds once), and
 * queries those still processing.
 */
async function reconcileRefunds(
  context: PayContext,
  summary: ReconcileSummary,
  log: Logger,
): Promise<void> {
  const now = context.now();
  const before = new Date(now.getTime() - REQUERY_INTERVAL_MS);
  const open = await RefundModel.find({
    state: trusted({ $in: OPEN_REFUND_STATES }),
    requestedAt: trusted({ $lte: before }),
  })
    .sort({ requestedAt: 1 })
    .limit(BATCH_SIZE)
    .lean<Refund[]>();
  for (const refund of open) {
    const lastQueriedAt = refund.lastQueriedAt?.getTime() ?? null;
    if (lastQueriedAt !== null && lastQueriedAt > before.getTime()) continue;
    try {
      await RefundModel.updateOne({ _id: refund._id }, { $set: { lastQueriedAt: now } });
      const result = await context.pay.client.queryRefund(refund.outRefundNo);
      if (result) {
        await applyRefund(context, result, log);
      } else if (refund.state === 'requested') {
        const order = await OrderModel.findById(refund.orderId).orFail().lean<Order>();
        const sent = await context.pay.client.createRefund({
          outTradeNo: order.outTradeNo,
          outRefundNo: refund.outRefundNo,
          refundFen: refund.amountFen,
          totalFen: order.amountFen,
          reason: refund.reason,
          notifyUrl: context.pay.refundNotifyUrl,
        });
        await applyRefund(context, sent, log);
      }
      summary.refunds += 1;
    } catch (error) {
      summary.failed += 1;
      log.warn({ outRefundNo: refund.outRefundNo, err: error }, 'refund reconciliation failed');
    }
  }
}
