import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

export const PUSH_JOB = 'weekly-push';

/**
 * One weekly push run. Inserting it under the unique (job, week) index is the claim of the week:
 * of several server copies that start the run at once, one insert succeeds and the others skip.
 * A copy that finds a run whose owner stopped sending heartbeats takes it over with the next
 * `attempt` number (see scheduler.ts).
 */
const pushRunSchema = new Schema(
  {
    job: { type: String, required: true },
    /** ISO week in PUSH_TIMEZONE, such as `2026-W49`. */
    week: { type: String, required: true },
    state: { type: String, enum: ['running', 'completed'], required: true },
    /** 1 for the first owner, one more for each takeover. */
    attempt: { type: Number, required: true },
    /** Host, process id and a random suffix of the copy that runs the current attempt. */
    owner: { type: String, required: true },
    /** Renewed by the owner while it runs; a stale value lets another copy take over. */
    heartbeatAt: { type: Date, required: true },
    startedAt: { type: Date, required: true },
    finishedAt: { type: Date, default: null },
    /** From startedAt to finishedAt, including any time between a crash and the takeover. */
    durationMs: { type: Number, default: null },
    /** Final counts (PushRunCounts), set when the run completes. */
    counts: { type: Schema.Types.Mixed, default: null },
  },
  { collection: 'pushRuns' },
);

pushRunSchema.index({ job: 1, week: 1 }, { unique: true });

export type PushRun = InferSchemaType<typeof pushRunSchema> & { _id: Types.ObjectId };
export const PushRunModel = model('PushRun', pushRunSchema);
