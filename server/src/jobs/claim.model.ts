import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A scheduled run claimed by one server copy. Every copy runs the scheduler; the copy whose insert
 * of (job, period) succeeds does the run, the others see a duplicate key and skip it.
 */
const claimSchema = new Schema(
  {
    job: { type: String, required: true },
    /** The period the run covers, such as `2026-12-04T10:10` or `2026-W49`. */
    period: { type: String, required: true },
    claimedAt: { type: Date, required: true },
    /** Host and process id of the claiming copy, for the logs. */
    claimedBy: { type: String, required: true },
  },
  { collection: 'claims' },
);

claimSchema.index({ job: 1, period: 1 }, { unique: true });

export type Claim = InferSchemaType<typeof claimSchema>;
export const ClaimModel = model('Claim', claimSchema);
