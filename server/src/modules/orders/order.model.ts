import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

export const ORDER_STATES = ['pending', 'paid', 'closed'] as const;
export const PAYMENT_REVIEW_REASONS = [
  'amount_mismatch',
  'app_id_mismatch',
  'mch_id_mismatch',
  'unknown_order',
  'duplicate_purchase',
] as const;

/**
 * An order of a paid course, paid through WeChat Pay JSAPI. `pending` until a verified payment
 * of the right amount is applied; `closed` once WeChat Pay closed it unpaid. Refunds do not
 * change the state: `refundedFen` sums the completed refunds.
 */
const orderSchema = new Schema(
  {
    /** Our order number at WeChat Pay (out_trade_no): `WXL` and the order id in hex. */
    outTradeNo: { type: String, required: true },
    learnerId: { type: Schema.Types.ObjectId, required: true },
    courseId: { type: Schema.Types.ObjectId, required: true },
    /**
     * 1-based number of the order among the learner's orders of the course. The unique index on
     * (learnerId, courseId, seq) lets one of two concurrent requests create the next order.
     */
    seq: { type: Number, required: true },
    courseTitle: { type: String, required: true },
    /** The course price when the order was created, in fen. */
    amountFen: { type: Number, required: true },
    payerOpenid: { type: String, required: true },
    state: { type: String, enum: ORDER_STATES, required: true },
    /** Null until WeChat Pay accepted the JSAPI order. */
    prepayId: { type: String, default: null },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    paidAt: { type: Date, default: null },
    transactionId: { type: String, default: null },
    closedAt: { type: Date, default: null },
    /** Last time reconciliation or a poll asked WeChat Pay about the order. */
    lastQueriedAt: { type: Date, default: null },
    refundedFen: { type: Number, required: true, default: 0 },
    /** Set when a payment for the order did not pass the checks; an operator must look. */
    review: {
      type: new Schema(
        {
          reason: { type: String, enum: PAYMENT_REVIEW_REASONS, required: true },
          transactionId: { type: String, required: true },
          flaggedAt: { type: Date, required: true },
        },
        { _id: false },
      ),
      default: null,
    },
  },
  { collection: 'orders' },
);

orderSchema.index({ outTradeNo: 1 }, { unique: true });
orderSchema.index({ learnerId: 1, courseId: 1, seq: 1 }, { unique: true });
orderSchema.index({ state: 1, createdAt: 1 });

export type Order = InferSchemaType<typeof orderSchema> & { _id: Types.ObjectId };
export type PaymentReviewReason = (typeof PAYMENT_REVIEW_REASONS)[number];
export const OrderModel = model('Order', orderSchema);
