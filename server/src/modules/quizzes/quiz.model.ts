import { Schema, model, type Types } from 'mongoose';

/** The settings an import writes; `Quiz` adds the database's own fields. */
export interface QuizSettings {
  code: string;
  title: string;
  bank: string;
  /** Category path filter; null draws from the whole bank. */
  category: string | null;
  questionCount: number;
  /** Null means no time limit. */
  timeLimitSeconds: number | null;
  /** Minimum percentage of the maximum score that passes, 0 to 100. */
  passPercent: number;
  /** Null means unlimited attempts. */
  maxAttempts: number | null;
  /** Points for every question; null uses each question's own score, or 1 without one. */
  pointsPerQuestion: number | null;
  /**
   * Whether each attempt shows the options of choice questions in its own random order. Keep it
   * off for banks whose explanations cite option letters (such as "故选 C").
   */
  shuffleOptions: boolean;
  courseId: Types.ObjectId | null;
}

export interface Quiz extends QuizSettings {
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A quiz: a random paper of `questionCount` questions drawn from one bank, optionally limited to a
 * category and everything below it. Created by the import step (`ensureQuiz`), keyed by `code`.
 */
const quizSchema = new Schema<Quiz>(
  {
    code: { type: String, required: true },
    title: { type: String, required: true },
    bank: { type: String, required: true },
    category: { type: String, default: null },
    questionCount: { type: Number, required: true },
    timeLimitSeconds: { type: Number, default: null },
    passPercent: { type: Number, required: true },
    maxAttempts: { type: Number, default: null },
    pointsPerQuestion: { type: Number, default: null },
    shuffleOptions: { type: Boolean, default: false },
    courseId: { type: Schema.Types.ObjectId, default: null },
  },
  { collection: 'quizzes', timestamps: true },
);

quizSchema.index({ code: 1 }, { unique: true });
quizSchema.index({ courseId: 1 });

export const QuizModel = model<Quiz>('Quiz', quizSchema);
