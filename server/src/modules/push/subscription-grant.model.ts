import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

/**
 * One message that a learner allowed with wx.requestSubscribeMessage. Each accepted template of
 * each request is one grant, and WeChat lets the mini-program send one message per grant.
 */
const subscriptionGrantSchema = new Schema(
  {
    learnerId: { type: Schema.Types.ObjectId, required: true },
    templateId: { type: String, required: true },
    /** Client-generated id of the request, so a retried POST records no second grant. */
    requestId: { type: String, required: true },
    grantedAt: { type: Date, required: true },
  },
  { collection: 'subscriptionGrants' },
);

subscriptionGrantSchema.index({ learnerId: 1, templateId: 1, requestId: 1 }, { unique: true });

export type SubscriptionGrant = InferSchemaType<typeof subscriptionGrantSchema> & {
  _id: Types.ObjectId;
};
export const SubscriptionGrantModel = model('SubscriptionGrant', subscriptionGrantSchema);

/**
 * The use of a grant by one delivery. Its `_id` is the grant's id and `deliveryId` is unique, so
 * an insert claims a grant for exactly one delivery and a delivery claims at most one grant. A
 * grant is unused while it has no use record.
 */
const subscriptionGrantUseSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    deliveryId: { type: Schema.Types.ObjectId, required: true },
    learnerId: { type: Schema.Types.ObjectId, required: true },
    templateId: { type: String, required: true },
    batch: { type: String, required: true },
    usedAt: { type: Date, required: true },
  },
  { collection: 'subscriptionGrantUses' },
);

subscriptionGrantUseSchema.index({ deliveryId: 1 }, { unique: true });
subscriptionGrantUseSchema.index({ batch: 1 });
subscriptionGrantUseSchema.index({ learnerId: 1 });

export type SubscriptionGrantUse = InferSchemaType<typeof subscriptionGrantUseSchema>;
export const SubscriptionGrantUseModel = model('SubscriptionGrantUse', subscriptionGrantUseSchema);
