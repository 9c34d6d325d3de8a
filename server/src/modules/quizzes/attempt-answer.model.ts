import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * The saved choice for one question of one attempt. One document per question, upserted under the
 * unique `(attemptId, questionId)` index, so concurrent saves of different questions never
 * overwrite each other.
 */
const attemptAnswerSchema = new Schema(
  {
    attemptId: { type: Schema.Types.ObjectId, required: true },
    questionId: { type: Schema.Types.ObjectId, required: true },
    /** Original option keys, in option order; empty when a multiple-choice answer was cleared. */
    choice: { type: [String], required: true },
    savedAt: { type: Date, required: true },
  },
  { collection: 'attemptAnswers' },
);

attemptAnswerSchema.index({ attemptId: 1, questionId: 1 }, { unique: true });

export type AttemptAnswer = InferSchemaType<typeof attemptAnswerSchema>;
export const AttemptAnswerModel = model('AttemptAnswer', attemptAnswerSchema);
