import { Schema, model, type InferSchemaType } from 'mongoose';

/** A WeChat user of the mini-program, keyed by the app's openid. */
const learnerSchema = new Schema(
  {
    openid: { type: String, required: true },
    // Present only when the mini-program and the official account share an open-platform account.
    unionid: { type: String, default: null },
    nickname: { type: String, default: null },
    lastLoginAt: { type: Date, required: true },
  },
  { collection: 'learners', timestamps: true },
);

learnerSchema.index({ openid: 1 }, { unique: true });
// Not unique: documents without a unionid would all collide on null in MongoDB.
learnerSchema.index({ unionid: 1 });

export type Learner = InferSchemaType<typeof learnerSchema>;
export const LearnerModel = model('Learner', learnerSchema);
