import { Schema, model, type InferSchemaType, type Types } from 'mongoose';
import { ASSISTANT_CHANNELS } from './assistant-question.model.js';

/**
 * A chat sender bound to a learner: a bot contact or an official-account follower who sent a
 * one-time binding code that the learner created in the mini-program. One learner may bind several
 * senders; a sender is bound to one learner, and binding again replaces it.
 */
const chatIdentitySchema = new Schema(
  {
    channel: { type: String, enum: ASSISTANT_CHANNELS, required: true },
    senderId: { type: String, required: true },
    learnerId: { type: Schema.Types.ObjectId, required: true },
    boundAt: { type: Date, required: true },
  },
  { collection: 'chatIdentities' },
);

chatIdentitySchema.index({ channel: 1, senderId: 1 }, { unique: true });
chatIdentitySchema.index({ learnerId: 1 });

export type ChatIdentity = InferSchemaType<typeof chatIdentitySchema> & { _id: Types.ObjectId };
export const ChatIdentityModel = model('ChatIdentity', chatIdentitySchema);

/**
 * A one-time code that binds the chat sender who sends it to the learner who created it. Only the
 * SHA-256 of the code is stored. A used or expired code stays until the learner's next code
 * replaces it or the next code of anyone finds it expired.
 */
const chatBindingCodeSchema = new Schema(
  {
    codeHash: { type: String, required: true },
    learnerId: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
  },
  { collection: 'chatBindingCodes' },
);

chatBindingCodeSchema.index({ codeHash: 1 }, { unique: true });
chatBindingCodeSchema.index({ learnerId: 1 });
chatBindingCodeSchema.index({ expiresAt: 1 });

export type ChatBindingCode = InferSchemaType<typeof chatBindingCodeSchema> & {
  _id: Types.ObjectId;
};
export const ChatBindingCodeModel = model('ChatBindingCode', chatBindingCodeSchema);

/**
 * The use of a binding code, insert-only. The unique codeHash index lets exactly one sender redeem
 * a code: FerretDB v1 does not run a conditional update atomically, so two senders could both
 * match `usedAt: null`, but only one insert of the same codeHash succeeds.
 */
const chatBindingCodeUseSchema = new Schema(
  {
    codeHash: { type: String, required: true },
    channel: { type: String, required: true },
    senderId: { type: String, required: true },
    usedAt: { type: Date, required: true },
  },
  { collection: 'chatBindingCodeUses' },
);

chatBindingCodeUseSchema.index({ codeHash: 1 }, { unique: true });

export const ChatBindingCodeUseModel = model('ChatBindingCodeUse', chatBindingCodeUseSchema);
