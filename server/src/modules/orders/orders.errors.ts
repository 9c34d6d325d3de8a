import { ApiError, conflict } from '../../errors.js';

export const courseNotForSale = (courseId: string) =>
  conflict('course_not_for_sale', `Course ${courseId} is free: enrol in it instead of buying it`);

export const courseAlreadyPurchased = (courseId: string) =>
  conflict('course_already_purchased', `Course ${courseId} is already bought: open its lessons`);

export const paymentUnavailable = () =>
  new ApiError(
    503,
    'payment_unavailable',
    'WeChat Pay is not configured on this server: set the WECHAT_PAY_ variables',
  );

export const orderNotPaid = (orderId: string) =>
  conflict('order_not_paid', `Order ${orderId} is not paid, so there is nothing to refund`);

export const refundExceedsPaid = (remainingFen: number) =>
  conflict(
    'refund_exceeds_paid',
    `The refund is larger than the ${remainingFen} fen of the order not yet refunded`,
  );

export const refundPending = (outRefundNo: string) =>
  conflict(
    'refund_pending',
    `Refund ${outRefundNo} of this order is not yet confirmed by WeChat Pay: retry it with the same amount or wait`,
  );

export const wechatPayRejected = (code: string, message: string) =>
  new ApiError(502, 'wechat_unavailable', `WeChat Pay rejected the request: ${code} ${message}`);
