import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * Evidence of credited time: one session's credited interval between two accepted heartbeats, as
 * `creditSession` computed it, insert-only. The unique (sessionId, fromSeq) index keeps the first
 * computation of each interval.
 *
 * These records are an audit trail, not the source of totals. Totals are always recomputed from
 * the stored sessions, ends and heartbeats. Intervals of one learner's sessions may overlap (two
 * devices at once): sum their union, never their lengths, or use `creditLearner`.
 */
const creditedIntervalSchema = new Schema(
  {
    sessionId: { type: Schema.Types.ObjectId, required: true },
    learnerId: { type: Schema.Types.ObjectId, required: true },
    lessonId: { type: Schema.Types.ObjectId, required: true },
    startAt: { type: Date, required: true },
    endAt: { type: Date, required: true },
    fromSeq: { type: Number, required: true },
    toSeq: { type: Number, required: true },
    fromPosition: { type: Number, default: null },
    toPosition: { type: Number, default: null },
    /** Media seconds counted as watched, video lessons only. */
    watchedStart: { type: Number, default: null },
    watchedEnd: { type: Number, default: null },
    recordedAt: { type: Date, required: true },
  },
  { collection: 'learningCreditedIntervals' },
);

creditedIntervalSchema.index({ sessionId: 1, fromSeq: 1 }, { unique: true });
creditedIntervalSchema.index({ learnerId: 1, startAt: 1 });

export type CreditedIntervalRecord = InferSchemaType<typeof creditedIntervalSchema>;
export const CreditedIntervalModel = model('LearningCreditedInterval', creditedIntervalSchema);
