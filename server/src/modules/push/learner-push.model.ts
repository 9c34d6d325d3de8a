import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

/** A learner who asked for no weekly message. Deleting the record opts them back in. */
const pushOptOutSchema = new Schema(
  {
    learnerId: { type: Schema.Types.ObjectId, required: true },
    optedOutAt: { type: Date, required: true },
  },
  { collection: 'pushOptOuts' },
);

pushOptOutSchema.index({ learnerId: 1 }, { unique: true });

export const PushOptOutModel = model('PushOptOut', pushOptOutSchema);

/**
 * The weekly message shown inside the mini-program, for learners that no WeChat channel reaches.
 * The unique deliveryId makes writing it again after a crash harmless.
 */
const inAppNoticeSchema = new Schema(
  {
    learnerId: { type: Schema.Types.ObjectId, required: true },
    deliveryId: { type: Schema.Types.ObjectId, required: true },
    week: { type: String, required: true },
    title: { type: String, required: true },
    body: { type: String, required: true },
    /** Mini-program page of the course, with the click token. */
    path: { type: String, required: true },
    courseId: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'inAppNotices' },
);

inAppNoticeSchema.index({ deliveryId: 1 }, { unique: true });
inAppNoticeSchema.index({ learnerId: 1, createdAt: -1 });

export type InAppNotice = InferSchemaType<typeof inAppNoticeSchema> & { _id: Types.ObjectId };
export const InAppNoticeModel = model('InAppNotice', inAppNoticeSchema);

/** The first open of a delivery's deep link, keyed by the delivery id. */
const pushOpenSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    learnerId: { type: Schema.Types.ObjectId, required: true },
    week: { type: String, required: true },
    courseId: { type: Schema.Types.ObjectId, required: true },
    openedAt: { type: Date, required: true },
  },
  { collection: 'pushOpens' },
);

pushOpenSchema.index({ week: 1 });

export type PushOpen = InferSchemaType<typeof pushOpenSchema>;
export const PushOpenModel = model('PushOpen', pushOpenSchema);
