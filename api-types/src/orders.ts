// Paid courses: orders paid through WeChat Pay (JSAPI in the mini-program) and refunds.
// Amounts are integers in fen (1/100 yuan), as WeChat Pay counts them.

/** `pending` until WeChat Pay reports the payment; `closed` after it expired unpaid. */
export type OrderState = 'pending' | 'paid' | 'closed';

export interface OrderView {
  id: string;
  courseId: string;
  courseTitle: string;
  amountFen: number;
  state: OrderState;
  createdAt: string;
  /** After this time WeChat Pay no longer accepts payment and the order is closed. */
  expiresAt: string;
  paidAt: string | null;
  /** Sum of the refunds WeChat Pay has completed, in fen. */
  refundedFen: number;
}

export interface CreateOrderRequest {
  courseId: string;
}

/**
 * Parameters of `wx.requestPayment` (`Taro.requestPayment`), signed by the server with the
 * merchant key. `package` is `prepay_id=...`.
 */
export interface JsapiPaymentParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

export interface CreateOrderResponse {
  order: OrderView;
  payment: JsapiPaymentParams;
  /** True when an unpaid order of the same learner and course was returned instead of a new one. */
  reused: boolean;
}

/** Response of the development-only route that has the WeChat sandbox pay an order. */
export interface DevPayOrderResponse {
  accepted: true;
}

export type RefundState = 'requested' | 'processing' | 'success' | 'closed' | 'abnormal';

/** Body of `POST /api/admin/orders/:id/refunds`. */
export interface CreateRefundRequest {
  /** Between 1 and the paid amount not yet refunded, in fen. */
  amountFen: number;
  /** Shown to the payer in WeChat; at most 80 characters. */
  reason: string;
}

export interface RefundView {
  id: string;
  orderId: string;
  outRefundNo: string;
  amountFen: number;
  reason: string;
  state: RefundState;
  requestedAt: string;
  completedAt: string | null;
}

/** Reason a payment was recorded without granting the course, or needs an operator's look. */
export type PaymentReviewReason =
  | 'amount_mismatch'
  | 'app_id_mismatch'
  | 'mch_id_mismatch'
  | 'unknown_order'
  | 'duplicate_purchase';

export interface PaymentReviewView {
  transactionId: string;
  outTradeNo: string;
  /** Null when the order number is not one of ours. */
  orderId: string | null;
  reason: PaymentReviewReason;
  paidFen: number;
  /** The order's amount; null when the order is unknown. */
  orderAmountFen: number | null;
  receivedAt: string;
}

export interface PaymentReviewListResponse {
  items: PaymentReviewView[];
}
