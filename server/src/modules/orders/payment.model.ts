import { Schema, model, type InferSchemaType, type Types } from 'mongoose';
import { PAYMENT_REVIEW_REASONS } from './order.model.js';

/**
 * A WeChat Pay transaction that reached this server, by notification or by query. The unique
 * index on `transactionId` applies each transaction once: WeChat Pay repeats notifications, and
 * only the copy whose insert succeeds goes on to grant the course.
 */
const paymentSchema = new Schema(
  {
    transactionId: { type: String, required: true },
    outTradeNo: { type: String, required: true },
    /** Null when the order number is not one of ours. */
    orderId: { type: Schema.Types.ObjectId, default: null },
    /** Amount of the transaction in fen, as WeChat Pay reports it. */
    totalFen: { type: Number, default: null },
    payerTotalFen: { type: Number, default: null },
    currency: { type: String, default: null },
    appId: { type: String, required: true },
    mchId: { type: String, required: true },
    payerOpenid: { type: String, default: null },
    successTime: { type: Date, default: null },
    /** Channel this server learned it from: a notification, or a query by reconciliation or a poll. */
    source: { type: String, enum: ['notification', 'query'], required: true },
    receivedAt: { type: Date, required: true },
    /** Reason the payment did not open the course or needs a look; null when it passed the checks. */
    reviewReason: { type: String, enum: PAYMENT_REVIEW_REASONS, default: null },
    /** When the order was marked paid and the course granted; null until then. */
    appliedAt: { type: Date, default: null },
  },
  { collection: 'payments' },
);

paymentSchema.index({ transactionId: 1 }, { unique: true });
paymentSchema.index({ reviewReason: 1, receivedAt: -1 });
paymentSchema.index({ appliedAt: 1, receivedAt: 1 });

export type Payment = InferSchemaType<typeof paymentSchema> & { _id: Types.ObjectId };
export const PaymentModel = model('Payment', paymentSchema);
