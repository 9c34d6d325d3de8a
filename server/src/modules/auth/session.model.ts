import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A login session. Only the SHA-256 of the bearer token is stored, so a database read does not
 * yield usable tokens. Expired sessions are deleted by a cleanup job because FerretDB v1 has no TTL
 * indexes.
 */
const sessionSchema = new Schema(
  {
    tokenHash: { type: String, required: true },
    learnerId: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'sessions' },
);

sessionSchema.index({ tokenHash: 1 }, { unique: true });
sessionSchema.index({ expiresAt: 1 });

export type Session = InferSchemaType<typeof sessionSchema>;
export const SessionModel = model('Session', sessionSchema);
