import { Schema, model, type InferSchemaType, type Types } from 'mongoose';
import { LESSON_TYPES } from '../catalog/lesson.model.js';

/**
 * Facts of the lesson copied at the session start, so that recomputing a session's credit later
 * gives the same result even if the lesson is edited.
 */
const lessonFactsSchema = new Schema(
  {
    type: { type: String, enum: LESSON_TYPES, required: true },
    durationSeconds: { type: Number, default: null },
    pageCount: { type: Number, default: null },
    wordCount: { type: Number, default: null },
  },
  { _id: false },
);

/**
 * A learning session, written once by the start call and never updated. The unique
 * (learnerId, clientSessionId) index makes a retried start return the same session. The end of a
 * session is a separate insert-only record (`learningSessionEnds`).
 */
const learningSessionSchema = new Schema(
  {
    learnerId: { type: Schema.Types.ObjectId, required: true },
    clientSessionId: { type: String, required: true },
    lessonId: { type: Schema.Types.ObjectId, required: true },
    courseId: { type: Schema.Types.ObjectId, required: true },
    lesson: { type: lessonFactsSchema, required: true },
    /** Server time of the start call. */
    startedAt: { type: Date, required: true },
  },
  { collection: 'learningSessions' },
);

learningSessionSchema.index({ learnerId: 1, clientSessionId: 1 }, { unique: true });
learningSessionSchema.index({ learnerId: 1, startedAt: 1 });
learningSessionSchema.index({ startedAt: 1 });
learningSessionSchema.index({ learnerId: 1, lessonId: 1, startedAt: 1 });

export type LearningSession = InferSchemaType<typeof learningSessionSchema> & {
  _id: Types.ObjectId;
};
export const LearningSessionModel = model('LearningSession', learningSessionSchema);

/**
 * The end of a session. The unique sessionId index keeps the first end call's time: a second
 * end call fails to insert and reads the first one back, so `endedAt` never moves.
 */
const sessionEndSchema = new Schema(
  {
    sessionId: { type: Schema.Types.ObjectId, required: true },
    endedAt: { type: Date, required: true },
  },
  { collection: 'learningSessionEnds' },
);

sessionEndSchema.index({ sessionId: 1 }, { unique: true });

export type SessionEnd = InferSchemaType<typeof sessionEndSchema>;
export const SessionEndModel = model('LearningSessionEnd', sessionEndSchema);
