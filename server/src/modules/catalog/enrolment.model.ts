import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

export const ENROLMENT_SOURCES = ['self', 'assigned', 'purchase', 'import'] as const;

/**
 * A learner's enrolment in a course. The unique (learnerId, courseId) index makes enrolling
 * idempotent: of two concurrent requests one insert wins and the other reads it back. A full
 * refund sets `revokedAt` instead of deleting the enrolment, and the catalog's reads leave
 * revoked ones out. Buying the course again clears it.
 */
const enrolmentSchema = new Schema(
  {
    learnerId: { type: Schema.Types.ObjectId, required: true },
    courseId: { type: Schema.Types.ObjectId, required: true },
    source: { type: String, enum: ENROLMENT_SOURCES, required: true },
    enrolledAt: { type: Date, required: true },
    /** The paid order that granted a `purchase` enrolment. */
    orderId: { type: Schema.Types.ObjectId, default: null },
    /** Time a full refund removed access; null while the enrolment is active. */
    revokedAt: { type: Date, default: null },
  },
  { collection: 'enrolments' },
);

enrolmentSchema.index({ learnerId: 1, courseId: 1 }, { unique: true });
enrolmentSchema.index({ learnerId: 1, enrolledAt: -1 });

export type Enrolment = InferSchemaType<typeof enrolmentSchema> & { _id: Types.ObjectId };
export const EnrolmentModel = model('Enrolment', enrolmentSchema);
