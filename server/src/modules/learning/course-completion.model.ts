import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

/**
 * A learner's completion of a course, insert-only: the unique (learnerId, courseId) index keeps
 * the first one, so a course credits its official hours (学时) once. The hours are copied from
 * the course at completion, so later changes to the course do not rewrite past years.
 */
const courseCompletionSchema = new Schema(
  {
    learnerId: { type: Schema.Types.ObjectId, required: true },
    courseId: { type: Schema.Types.ObjectId, required: true },
    completedAt: { type: Date, required: true },
    /** Calendar year of `completedAt` in Asia/Shanghai, the year the hours count for. */
    year: { type: Number, required: true },
    /** Official hours credited, from the course's `creditHours`; 0 when it had none. */
    creditHours: { type: Number, required: true },
    /** Whether the course had `creditHours` set at completion. */
    hoursSet: { type: Boolean, required: true },
  },
  { collection: 'courseCompletions' },
);

courseCompletionSchema.index({ learnerId: 1, courseId: 1 }, { unique: true });
courseCompletionSchema.index({ learnerId: 1, year: 1 });

export type CourseCompletion = InferSchemaType<typeof courseCompletionSchema> & {
  _id: Types.ObjectId;
};
export const CourseCompletionModel = model('CourseCompletion', courseCompletionSchema);
