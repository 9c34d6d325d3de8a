import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A group of up to a few hundred deliveries that a run inserts and sends together. It is inserted
 * `open` before its deliveries and set `done` with its counts once every delivery has a result,
 * so a resumed run finishes exactly the open batches and sums the done ones for its report.
 */
const pushBatchSchema = new Schema(
  {
    /** `<runId>:<attempt>:<seq>`, unique without an index of its own. */
    _id: { type: String, required: true },
    runId: { type: Schema.Types.ObjectId, required: true },
    week: { type: String, required: true },
    state: { type: String, enum: ['open', 'done'], required: true },
    createdAt: { type: Date, required: true },
    doneAt: { type: Date, default: null },
    /** PushRunCounts of the batch, set when it is done. */
    counts: { type: Schema.Types.Mixed, default: null },
  },
  { collection: 'pushBatches' },
);

pushBatchSchema.index({ runId: 1, state: 1 });

export type PushBatch = InferSchemaType<typeof pushBatchSchema>;
export const PushBatchModel = model('PushBatch', pushBatchSchema);
