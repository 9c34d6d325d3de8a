import { trusted } from '../../db/trusted.js';
import { OrderModel, type Order } from './order.model.js';
import { PaymentModel, type Payment } from './payment.model.js';

/** Maximum number of flagged payments one listing returns, newest first. */
export const REVIEW_LIST_LIMIT = 200;

/** Lists payments that were flagged for review, newest first, with their orders' amounts. */
export async function listPaymentReviews(): Promise<
  { payment: Payment; order: Pick<Order, '_id' | 'amountFen'> | null }[]
> {
  const payments = await PaymentModel.find({ reviewReason: trusted({ $ne: null }) })
    .sort({ receivedAt: -1 })
    .limit(REVIEW_LIST_LIMIT)
    .lean<Payment[]>();
  const orderIds = payments.flatMap((payment) => (payment.orderId ? [payment.orderId] : []));
  const orders =
    orderIds.length === 0
      ? []
      : await OrderModel.find({ _id: trusted({ $in: orderIds }) }, { amountFen: 1 }).lean<
          Pick<Order, '_id' | 'amountFen'>[]
        >();
  const byId = new Map(orders.map((order) => [order._id.toString(), order]));
  return payments.map((payment) => ({
    payment,
    order: payment.orderId ? (byId.get(payment.orderId.toString()) ?? null) : null,
  }));
}
