import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A one-time token that joins the follower who scans its QR code to the learner who created it.
 * Only the token's SHA-256 is stored; the token itself travels in the QR code's scene.
 */
const officialAccountLinkSchema = new Schema(
  {
    tokenHash: { type: String, required: true },
    learnerId: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
    usedByOpenid: { type: String, default: null },
  },
  { collection: 'officialAccountLinks' },
);

officialAccountLinkSchema.index({ tokenHash: 1 }, { unique: true });

export type OfficialAccountLink = InferSchemaType<typeof officialAccountLinkSchema>;
export const OfficialAccountLinkModel = model('OfficialAccountLink', officialAccountLinkSchema);

/**
 * The single use of a link token. The unique insert decides which follower gets a token, because
 * FerretDB does not make a conditional update of the link itself atomic.
 */
const officialAccountLinkUseSchema = new Schema(
  {
    tokenHash: { type: String, required: true },
    openid: { type: String, required: true },
    usedAt: { type: Date, required: true },
  },
  { collection: 'officialAccountLinkUses' },
);

officialAccountLinkUseSchema.index({ tokenHash: 1 }, { unique: true });

export const OfficialAccountLinkUseModel = model(
  'OfficialAccountLinkUse',
  officialAccountLinkUseSchema,
);
