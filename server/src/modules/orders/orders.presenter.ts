import type {
  OrderView,
  PaymentReviewReason,
  PaymentReviewView,
  RefundState,
  RefundView,
} from '@wxlearn/api-types';
import type { Order } from './order.model.js';
import type { Payment } from './payment.model.js';
import type { Refund } from './refund.model.js';

export function presentOrder(order: Order): OrderView {
  return {
    id: order._id.toString(),
    courseId: order.courseId.toString(),
    courseTitle: order.courseTitle,
    amountFen: order.amountFen,
    state: order.state,
    createdAt: order.createdAt.toISOString(),
    expiresAt: order.expiresAt.toISOString(),
    paidAt: order.paidAt?.toISOString() ?? null,
    refundedFen: order.refundedFen,
  };
}

export function presentRefund(refund: Refund): RefundView {
  return {
    id: refund._id.toString(),
    orderId: refund.orderId.toString(),
    outRefundNo: refund.outRefundNo,
    amountFen: refund.amountFen,
    reason: refund.reason,
    state: refund.state as RefundState,
    requestedAt: refund.requestedAt.toISOString(),
    completedAt: refund.completedAt?.toISOString() ?? null,
  };
}

export function presentPaymentReview(
  payment: Payment,
  order: Pick<Order, 'amountFen'> | null,
): PaymentReviewView {
  return {
    transactionId: payment.transactionId,
    outTradeNo: payment.outTradeNo,
    orderId: payment.orderId?.toString() ?? null,
    reason: payment.reviewReason as PaymentReviewReason,
    paidFen: payment.totalFen ?? 0,
    orderAmountFen: order?.amountFen ?? null,
    receivedAt: payment.receivedAt.toISOString(),
  };
}
