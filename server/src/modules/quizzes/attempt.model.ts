import { Schema, model, type Types } from 'mongoose';

export interface AttemptQuestion {
  questionId: Types.ObjectId;
  /** Original option keys in the order this attempt shows them. */
  optionOrder: string[];
  points: number;
}

export interface Attempt {
  _id: Types.ObjectId;
  learnerId: Types.ObjectId;
  quizId: Types.ObjectId;
  attemptNo: number;
  questions: AttemptQuestion[];
  startedAt: Date;
  /** Null when the quiz has no time limit. */
  deadline: Date | null;
  state: 'in_progress' | 'submitted';
  submittedAt: Date | null;
}

const attemptQuestionSchema = new Schema<AttemptQuestion>(
  {
    questionId: { type: Schema.Types.ObjectId, required: true },
    optionOrder: { type: [String], required: true },
    points: { type: Number, required: true },
  },
  { _id: false },
);

/**
 * One learner's try at a quiz: the drawn questions and the time window. Answers live in
 * `attemptAnswers` and the grade in `attemptResults`, each its own document, so concurrent writes
 * never rewrite this one.
 *
 * `attemptNo` counts a learner's attempts at a quiz from 1, and `(learnerId, quizId, attemptNo)` is
 * unique: starting an attempt is an insert of the next number, so of two concurrent starts only one
 * gets in, and the number is also the count checked against the quiz's `maxAttempts`.
 */
const attemptSchema = new Schema<Attempt>(
  {
    learnerId: { type: Schema.Types.ObjectId, required: true },
    quizId: { type: Schema.Types.ObjectId, required: true },
    attemptNo: { type: Number, required: true },
    questions: { type: [attemptQuestionSchema], required: true },
    startedAt: { type: Date, required: true },
    deadline: { type: Date, default: null },
    state: { type: String, enum: ['in_progress', 'submitted'], required: true },
    submittedAt: { type: Date, default: null },
  },
  { collection: 'attempts' },
);

attemptSchema.index({ learnerId: 1, quizId: 1, attemptNo: 1 }, { unique: true });

export const AttemptModel = model<Attempt>('Attempt', attemptSchema);
