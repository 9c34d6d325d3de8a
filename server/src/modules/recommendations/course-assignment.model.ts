import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

/**
 * A course that employees of an org unit must complete by a date. It applies to the unit and every
 * unit below it (by the materialised org path), to every post when `post` is null or to that post
 * only. Where several assignments of one course apply to a learner, the one set on the deepest unit
 * wins, and at the same unit a post-specific one wins over one for every post.
 */
const courseAssignmentSchema = new Schema(
  {
    orgUnitCode: { type: String, required: true },
    /** Null assigns the course to every post of the subtree. */
    post: { type: String, default: null },
    courseId: { type: Schema.Types.ObjectId, required: true },
    /** Last day to complete the course, `YYYY-MM-DD` in Asia/Shanghai. */
    dueOn: { type: String, required: true },
  },
  { collection: 'courseAssignments', timestamps: true },
);

// A null post is stored as null, not left out, so that two assignments of a course to every post
// of one unit collide on MongoDB and on FerretDB alike.
courseAssignmentSchema.index({ orgUnitCode: 1, post: 1, courseId: 1 }, { unique: true });

export type CourseAssignment = InferSchemaType<typeof courseAssignmentSchema> & {
  _id: Types.ObjectId;
};
export const CourseAssignmentModel = model('CourseAssignment', courseAssignmentSchema);
