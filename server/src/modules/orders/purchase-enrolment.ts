// The enrolments that purchases grant and full refunds revoke. Enrolments belong to the catalog;
// this file is the only writer of `purchase` enrolments.
import type { Types } from 'mongoose';
import { isDuplicateKeyError } from '../../db/errors.js';
import { EnrolmentModel, type Enrolment } from '../catalog/enrolment.model.js';

/**
 * `granted`: the order now opens the course. `already`: it already did (a repeated apply).
 * `duplicate`: another paid order already opens it, so this payment bought nothing.
 */
export type GrantOutcome = 'granted' | 'already' | 'duplicate';

interface PaidOrder {
  _id: Types.ObjectId;
  learnerId: Types.ObjectId;
  courseId: Types.ObjectId;
}

/**
 * Grants the course of a paid order. The unique (learnerId, courseId) index keeps one enrolment
 * per learner and course whatever the number of concurrent calls. An existing free or revoked
 * enrolment becomes the purchase.
 * NOTE: two different orders of the same course paid at the same moment may both convert an
 * existing free enrolment, because FerretDB v1.24 runs a conditional update as a read followed by
 * a write. The later one wins, and the other is not flagged as a duplicate.
 */
export async function grantPurchase(order: PaidOrder, now: Date): Promise<GrantOutcome> {
  const purchase = {
    source: 'purchase' as const,
    orderId: order._id,
    revokedAt: null,
    enrolledAt: now,
  };
  try {
    await EnrolmentModel.create({
      learnerId: order.learnerId,
      courseId: order.courseId,
      ...purchase,
    });
    return 'granted';
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }

  const existing = await EnrolmentModel.findOne({
    learnerId: order.learnerId,
    courseId: order.courseId,
  })
    .orFail()
    .lean<Enrolment>();
  if (existing.source === 'purchase' && !existing.revokedAt) {
    return existing.orderId?.equals(order._id) ? 'already' : 'duplicate';
  }
  await EnrolmentModel.updateOne({ _id: existing._id }, { $set: purchase });
  return 'granted';
}

/**
 * Removes the access that a fully refunded order granted, keeping the enrolment with `revokedAt`
 * set. An enrolment granted by a later order of the same course stays. Returns true when access
 * was removed by this call.
 */
export async function revokePurchase(order: PaidOrder, now: Date): Promise<boolean> {
  const result = await EnrolmentModel.updateOne(
    {
      learnerId: order.learnerId,
      courseId: order.courseId,
      source: 'purchase',
      orderId: order._id,
      revokedAt: null,
    },
    { $set: { revokedAt: now } },
  );
  return result.modifiedCount > 0;
}
