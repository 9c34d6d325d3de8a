// The weekly message to one learner, kept as append-only records: the delivery (written before
// anything is sent), one attempt per call to WeChat (written before the call) and the result
// (written after the last call). The state is the latest record: pending without attempts,
// sending while the last attempt has no response, then the result's state. Updating one record
// instead would cost a read and a write per state change on FerretDB v1, about 1 ms each, which a
// 600,000-learner run at 1,000 messages per second cannot afford (docs/decisions.md).
import { Schema, model, type Types } from 'mongoose';

export const DELIVERY_CHANNELS = ['template', 'subscription', 'in_app'] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

export const SKIP_REASONS = ['opted_out', 'no_pick'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const RESULT_STATES = ['sent', 'failed', 'skipped', 'unconfirmed'] as const;
export type ResultState = (typeof RESULT_STATES)[number];

/** One learner's message of one week. The unique (week, learnerId) index allows one per week. */
const deliverySchema = new Schema(
  {
    week: { type: String, required: true },
    learnerId: { type: Schema.Types.ObjectId, required: true },
    runId: { type: Schema.Types.ObjectId, required: true },
    batch: { type: String, required: true },
    /** Channel chosen when the delivery was planned; null when it is skipped. */
    channel: { type: String, enum: [...DELIVERY_CHANNELS, null], default: null },
    skipReason: { type: String, enum: [...SKIP_REASONS, null], default: null },
    /** Recipient: the official-account openid for a template message, else the mini-program one. */
    openid: { type: String, default: null },
    courseId: { type: Schema.Types.ObjectId, default: null },
    courseTitle: { type: String, default: null },
    pickReason: { type: String, default: null },
    /** Random token in the deep link; GET /api/push/open records the open with it. */
    clickToken: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'deliveries' },
);

deliverySchema.index({ week: 1, learnerId: 1 }, { unique: true });
deliverySchema.index({ clickToken: 1 }, { unique: true });
deliverySchema.index({ batch: 1 });

export interface Delivery {
  _id: Types.ObjectId;
  week: string;
  learnerId: Types.ObjectId;
  runId: Types.ObjectId;
  batch: string;
  channel: DeliveryChannel | null;
  skipReason: SkipReason | null;
  openid: string | null;
  courseId: Types.ObjectId | null;
  courseTitle: string | null;
  pickReason: string | null;
  clickToken: string;
  createdAt: Date;
}
export const DeliveryModel = model<Delivery>('Delivery', deliverySchema);

/**
 * One call to WeChat for a delivery, inserted before the call. Its unique `_id`
 * (`<deliveryId>:<n>`) lets one caller make call n, even when two server copies resume the same
 * batch. `notSent` is set when the call certainly sent nothing: WeChat responded with an errcode, or
 * the connection was refused. A last attempt without it may have delivered the message.
 */
const deliveryAttemptSchema = new Schema(
  {
    _id: { type: String, required: true },
    deliveryId: { type: Schema.Types.ObjectId, required: true },
    batch: { type: String, required: true },
    n: { type: Number, required: true },
    channel: { type: String, enum: ['template', 'subscription'], required: true },
    startedAt: { type: Date, required: true },
    notSent: { type: Boolean, default: false },
    errcode: { type: Number, default: null },
  },
  { collection: 'deliveryAttempts' },
);

deliveryAttemptSchema.index({ batch: 1 });

export interface DeliveryAttempt {
  _id: string;
  deliveryId: Types.ObjectId;
  batch: string;
  n: number;
  channel: 'template' | 'subscription';
  startedAt: Date;
  notSent: boolean;
  errcode: number | null;
}
export const DeliveryAttemptModel = model<DeliveryAttempt>(
  'DeliveryAttempt',
  deliveryAttemptSchema,
);

/** Final outcome of a delivery, keyed by the delivery id, so each delivery has one. */
const deliveryResultSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    week: { type: String, required: true },
    learnerId: { type: Schema.Types.ObjectId, required: true },
    batch: { type: String, required: true },
    /**
     * `unconfirmed` means a call may have reached WeChat but its response was lost, and sending
     * again could deliver a second message (docs/decisions.md).
     */
    state: { type: String, enum: RESULT_STATES, required: true },
    /** Channel that was used, or null when nothing was sent. */
    channel: { type: String, enum: [...DELIVERY_CHANNELS, null], default: null },
    errcode: { type: Number, default: null },
    /** Reason it was skipped, failed or is unconfirmed, such as `opted_out` or `subscription_refused`. */
    reason: { type: String, default: null },
    attempts: { type: Number, required: true },
    finishedAt: { type: Date, required: true },
  },
  { collection: 'deliveryResults' },
);

deliveryResultSchema.index({ batch: 1 });
deliveryResultSchema.index({ learnerId: 1 });

export interface DeliveryResult {
  _id: Types.ObjectId;
  week: string;
  learnerId: Types.ObjectId;
  batch: string;
  state: ResultState;
  channel: DeliveryChannel | null;
  errcode: number | null;
  reason: string | null;
  attempts: number;
  finishedAt: Date;
}
export const DeliveryResultModel = model<DeliveryResult>('DeliveryResult', deliveryResultSchema);
