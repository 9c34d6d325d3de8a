import { Schema, model, type Types } from 'mongoose';

export type QuestionType = 'single' | 'multiple' | 'truefalse';
export type QuestionFormat = 'plain' | 'html' | 'markdown';

export interface QuestionOption {
  key: string;
  text: string;
  /** Shown for this option after submit; never sent before. */
  feedback: string | null;
  /** Partial credit in percent when the source gives it; grading ignores it (all-or-nothing). */
  weight: number | null;
}

/** The fields an import writes; `Question` adds the database's own. */
export interface QuestionContent {
  bank: string;
  externalId: string;
  type: QuestionType;
  format: QuestionFormat;
  stem: string;
  options: QuestionOption[];
  /** Keys of the correct options, in option order. Never sent to a learner before submit. */
  answer: string[];
  explanation: string | null;
  title: string | null;
  /** `/`-separated path; a quiz's category filter matches it and everything below it. */
  category: string | null;
  tags: string[];
  /** Points given by the source (分值); used when the quiz sets no points per question. */
  score: number | null;
  /** `file:line` or `file#index` of the imported record. */
  source: string;
}

export interface Question extends QuestionContent {
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
}

const optionSchema = new Schema<QuestionOption>(
  {
    key: { type: String, required: true },
    text: { type: String, required: true },
    feedback: { type: String, default: null },
    weight: { type: Number, default: null },
  },
  { _id: false },
);

/**
 * A question of a question bank, written only by the import step. `(bank, externalId)` is unique,
 * so importing a file again updates its questions instead of adding copies.
 */
const questionSchema = new Schema<Question>(
  {
    bank: { type: String, required: true },
    externalId: { type: String, required: true },
    type: { type: String, enum: ['single', 'multiple', 'truefalse'], required: true },
    format: { type: String, enum: ['plain', 'html', 'markdown'], required: true },
    stem: { type: String, required: true },
    options: { type: [optionSchema], required: true },
    answer: { type: [String], required: true },
    explanation: { type: String, default: null },
    title: { type: String, default: null },
    category: { type: String, default: null },
    tags: { type: [String], default: [] },
    score: { type: Number, default: null },
    source: { type: String, required: true },
  },
  { collection: 'questions', timestamps: true },
);

questionSchema.index({ bank: 1, externalId: 1 }, { unique: true });
questionSchema.index({ bank: 1, category: 1 });

export const QuestionModel = model<Question>('Question', questionSchema);
