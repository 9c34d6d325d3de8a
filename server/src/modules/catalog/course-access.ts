// Access to the lessons of a course. Free courses are open to every signed-in learner, and a paid
// course (priceFen set) only to a learner with an active purchase enrolment.
import type { Types } from 'mongoose';
import { ApiError } from '../../errors.js';
import { EnrolmentModel, type Enrolment } from './enrolment.model.js';

/**
 * Filter of enrolments that give access. `revokedAt: null` also matches enrolments stored before
 * the field existed, on MongoDB and on FerretDB.
 */
export const ACTIVE_ENROLMENT = { revokedAt: null } as const;

export const purchaseRequired = (courseId: string) =>
  new ApiError(
    403,
    'purchase_required',
    `Course ${courseId} is a paid course: buy it with POST /api/orders to open its lessons`,
  );

/** Returns the learner's active enrolment in a course, or null. */
export async function findActiveEnrolment(
  learnerId: Types.ObjectId,
  courseId: Types.ObjectId,
): Promise<Enrolment | null> {
  return EnrolmentModel.findOne({ learnerId, courseId, ...ACTIVE_ENROLMENT }).lean<Enrolment>();
}

/** True when the enrolment is an active purchase, which opens a paid course. */
export function isActivePurchase(enrolment: Enrolment | null): boolean {
  return enrolment !== null && enrolment.source === 'purchase' && !enrolment.revokedAt;
}

/**
 * Throws 403 `purchase_required` unless the learner may open the lessons of the course.
 * The lesson route, the start of a learning session and the start of a quiz attempt check it.
 */
export async function assertLessonAccess(
  course: { _id: Types.ObjectId; priceFen?: number | null },
  learnerId: Types.ObjectId,
): Promise<void> {
  if (course.priceFen === null || course.priceFen === undefined) return;
  const enrolment = await findActiveEnrolment(learnerId, course._id);
  if (!isActivePurchase(enrolment)) throw purchaseRequired(course._id.toString());
}
