import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * One record per login code presented, keyed by its SHA-256. The unique index lets exactly one
 * request exchange a code with WeChat. A retry of the same code waits for that exchange and reuses
 * its learner instead of calling WeChat again.
 */
const loginCodeSchema = new Schema(
  {
    codeHash: { type: String, required: true },
    state: { type: String, enum: ['pending', 'succeeded', 'failed'], required: true },
    learnerId: { type: Schema.Types.ObjectId, default: null },
    failure: { type: String, enum: ['invalid_code', 'code_reused', null], default: null },
    createdAt: { type: Date, required: true },
    finishedAt: { type: Date, default: null },
  },
  { collection: 'loginCodes' },
);

loginCodeSchema.index({ codeHash: 1 }, { unique: true });
loginCodeSchema.index({ createdAt: 1 });

export type LoginCode = InferSchemaType<typeof loginCodeSchema>;
export const LoginCodeModel = model('LoginCode', loginCodeSchema);
