import { Schema, model, type Types } from 'mongoose';
import type { GradedQuestion } from './grading.js';

export interface AttemptResultDoc {
  attemptId: Types.ObjectId;
  learnerId: Types.ObjectId;
  quizId: Types.ObjectId;
  submittedAt: Date;
  score: number;
  maxScore: number;
  percent: number;
  passed: boolean;
  questions: GradedQuestion[];
}

const gradedQuestionSchema = new Schema<GradedQuestion>(
  {
    questionId: { type: Schema.Types.ObjectId, required: true },
    choice: { type: [String], required: true },
    correct: { type: Boolean, required: true },
    points: { type: Number, required: true },
    earned: { type: Number, required: true },
  },
  { _id: false },
);

/**
 * The grade of a submitted attempt. `attemptId` is unique, so the first submit's insert fixes the
 * result: a repeated or concurrent submit reads that document instead of grading again.
 */
const attemptResultSchema = new Schema<AttemptResultDoc>(
  {
    attemptId: { type: Schema.Types.ObjectId, required: true },
    learnerId: { type: Schema.Types.ObjectId, required: true },
    quizId: { type: Schema.Types.ObjectId, required: true },
    submittedAt: { type: Date, required: true },
    score: { type: Number, required: true },
    maxScore: { type: Number, required: true },
    percent: { type: Number, required: true },
    passed: { type: Boolean, required: true },
    questions: { type: [gradedQuestionSchema], required: true },
  },
  { collection: 'attemptResults' },
);

attemptResultSchema.index({ attemptId: 1 }, { unique: true });
attemptResultSchema.index({ learnerId: 1, quizId: 1 });

export const AttemptResultModel = model<AttemptResultDoc>('AttemptResult', attemptResultSchema);
