import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

export const ENROLMENT_SOURCES = ['self', 'assigned', 'purchase', 'import'] as const;

/**
 * A learner's enrolment in a course. The unique (learnerId, courseId) index makes enrolling
 * idempotent: of two concurrent requests one insert wins and the other reads it back.
 */
const enrolmentSchema = new Schema(
  {
    learnerId: { type: Schema.Types.ObjectId, required: true },
    courseId: { type: Schema.Types.ObjectId, required: true },
    source: { type: String, enum: ENROLMENT_SOURCES, required: true },
    enrolledAt: { type: Date, required: true },
  },
  { collection: 'enrolments' },
);

enrolmentSchema.index({ learnerId: 1, courseId: 1 }, { unique: true });
enrolmentSchema.index({ learnerId: 1, enrolledAt: -1 });

export type Enrolment = InferSchemaType<typeof enrolmentSchema> & { _id: Types.ObjectId };
export const EnrolmentModel = model('Enrolment', enrolmentSchema);
