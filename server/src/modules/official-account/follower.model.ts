import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A WeChat user of the official account, keyed by the account's openid, with their follow state
 * and the mini-program learner they are joined to, if any.
 */
const followerSchema = new Schema(
  {
    openid: { type: String, required: true },
    // Present only when the official account is bound to an open-platform account.
    unionid: { type: String, default: null },
    following: { type: Boolean, required: true },
    subscribedAt: { type: Date, default: null },
    unsubscribedAt: { type: Date, default: null },
    /**
     * CreateTime of the last subscribe or unsubscribe applied, so an older event cannot undo it.
     * The epoch means none yet.
     */
    followStateAt: { type: Date, default: () => new Date(0) },
    /** When user/info was last asked for the unionid, or null when never. */
    profileCheckedAt: { type: Date, default: null },
    learnerId: { type: Schema.Types.ObjectId, default: null },
    /** Proof of the join: the same unionid, or a binding QR code that the learner created. */
    joinedBy: { type: String, enum: ['unionid', 'binding', null], default: null },
    joinedAt: { type: Date, default: null },
  },
  { collection: 'followers', timestamps: true },
);

followerSchema.index({ openid: 1 }, { unique: true });
// Not unique: followers without a unionid would all collide on null in MongoDB.
followerSchema.index({ unionid: 1 });
followerSchema.index({ learnerId: 1 });

export type Follower = InferSchemaType<typeof followerSchema>;
export const FollowerModel = model('Follower', followerSchema);
