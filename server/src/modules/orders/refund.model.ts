import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

/**
 * `requested`: stored, WeChat Pay has not confirmed it yet (sending is retried with the same
 * out_refund_no, which WeChat Pay refunds once). The other states are WeChat Pay's.
 */
export const REFUND_STATES = ['requested', 'processing', 'success', 'closed', 'abnormal'] as const;
export type RefundState = (typeof REFUND_STATES)[number];

/** A refund of an order, full or partial, requested by an operator. */
const refundSchema = new Schema(
  {
    /** Our refund number at WeChat Pay: the order's out_trade_no, `R` and a 1-based count. */
    outRefundNo: { type: String, required: true },
    orderId: { type: Schema.Types.ObjectId, required: true },
    outTradeNo: { type: String, required: true },
    amountFen: { type: Number, required: true },
    reason: { type: String, required: true },
    state: { type: String, enum: REFUND_STATES, required: true },
    /** WeChat Pay's refund id, once it accepted the refund. */
    refundId: { type: String, default: null },
    /** Employee number of the operator who asked for it. */
    requestedBy: { type: String, required: true },
    requestedAt: { type: Date, required: true },
    completedAt: { type: Date, default: null },
    lastQueriedAt: { type: Date, default: null },
    /** WeChat Pay's error code when it rejected the request. */
    failureCode: { type: String, default: null },
  },
  { collection: 'refunds' },
);

refundSchema.index({ outRefundNo: 1 }, { unique: true });
refundSchema.index({ orderId: 1 });
refundSchema.index({ state: 1, requestedAt: 1 });

export type Refund = InferSchemaType<typeof refundSchema> & { _id: Types.ObjectId };
export const RefundModel = model('Refund', refundSchema);
