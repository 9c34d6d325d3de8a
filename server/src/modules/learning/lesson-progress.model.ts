import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

/** Credited learning time of one calendar year (Asia/Shanghai). */
const yearCreditSchema = new Schema(
  {
    year: { type: Number, required: true },
    creditedMs: { type: Number, required: true },
  },
  { _id: false },
);

/**
 * A learner's progress in one lesson as last computed from the ledger (sessions, heartbeats and
 * ends). It is a derived copy kept for reading many lessons at once ("my hours", exports): every
 * write replaces it with a full recomputation, and `scripts … ledger verify` recomputes it and
 * reports any difference. `completedAt` is the first time a computation found the lesson
 * complete and is kept by later ones.
 */
const lessonProgressSchema = new Schema(
  {
    learnerId: { type: Schema.Types.ObjectId, required: true },
    lessonId: { type: Schema.Types.ObjectId, required: true },
    courseId: { type: Schema.Types.ObjectId, required: true },
    creditedMs: { type: Number, required: true },
    creditedByYear: { type: [yearCreditSchema], default: [] },
    complete: { type: Boolean, required: true },
    completedAt: { type: Date, default: null },
    lastPosition: { type: Number, default: null },
    computedAt: { type: Date, required: true },
  },
  { collection: 'lessonProgress' },
);

lessonProgressSchema.index({ learnerId: 1, lessonId: 1 }, { unique: true });
lessonProgressSchema.index({ learnerId: 1, courseId: 1 });

export type LessonProgressRecord = InferSchemaType<typeof lessonProgressSchema> & {
  _id: Types.ObjectId;
};
export const LessonProgressModel = model('LessonProgress', lessonProgressSchema);
