// The learner-facing operations of the weekly push: subscription grants, opt-out, in-app notices
// and the record of a message link's first open.
import type { Types } from 'mongoose';
import type { SubscribeMessageChoice } from '@wxlearn/api-types';
import { isDuplicateKeyError } from '../../db/errors.js';
import { trusted } from '../../db/trusted.js';
import { ApiError, notFound } from '../../errors.js';
import {
  DeliveryAttemptModel,
  DeliveryModel,
  DeliveryResultModel,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryResult,
} from './delivery.model.js';
import {
  InAppNoticeModel,
  PushOpenModel,
  PushOptOutModel,
  type InAppNotice,
} from './learner-push.model.js';
import { coursePagePath } from './message-content.js';
import { SubscriptionGrantModel } from './subscription-grant.model.js';

/** Grants of the subscription template that one learner may record in GRANT_WINDOW_MS. */
export const MAX_GRANTS_PER_WINDOW = 10;
export const GRANT_WINDOW_MS = 7 * 24 * 3_600_000;

/**
 * Records the grant of the push's subscription template (`templateId`) if the learner accepted it.
 * Choices for other templates in the result are ignored, because the push sends only with its own.
 * A retry with the same requestId records nothing new, because (learnerId, templateId, requestId)
 * is unique. The push sends one message a week, so more than MAX_GRANTS_PER_WINDOW grants in a
 * week are rejected with 429.
 */
export async function recordSubscriptionGrants(
  learnerId: Types.ObjectId,
  requestId: string,
  results: Record<string, SubscribeMessageChoice>,
  templateId: string | null,
  now: Date,
): Promise<number> {
  if (templateId === null || results[templateId] !== 'accept') return 0;
  const recent = await SubscriptionGrantModel.find(
    {
      learnerId,
      templateId,
      grantedAt: trusted({ $gte: new Date(now.getTime() - GRANT_WINDOW_MS) }),
    },
    { requestId: 1 },
  ).lean();
  if (
    recent.length >= MAX_GRANTS_PER_WINDOW &&
    !recent.some((grant) => grant.requestId === requestId)
  ) {
    throw new ApiError(
      429,
      'too_many_subscription_grants',
      `${recent.length} subscription grants were recorded in the last 7 days, the max allowed: ` +
        'the weekly push sends one message a week',
    );
  }
  try {
    await SubscriptionGrantModel.create({ learnerId, templateId, requestId, grantedAt: now });
    return 1;
  } catch (error) {
    if (isDuplicateKeyError(error)) return 0;
    throw error;
  }
}

export async function setPushOptOut(
  learnerId: Types.ObjectId,
  optedOut: boolean,
  now: Date,
): Promise<boolean> {
  if (!optedOut) {
    await PushOptOutModel.deleteOne({ learnerId });
    return false;
  }
  try {
    await PushOptOutModel.create({ learnerId, optedOutAt: now });
  } catch (error) {
    // A duplicate key means the learner already opted out, so the first opt-out time is kept.
    if (!isDuplicateKeyError(error)) throw error;
  }
  return true;
}

export async function isPushOptedOut(learnerId: Types.ObjectId): Promise<boolean> {
  return (await PushOptOutModel.exists({ learnerId })) !== null;
}

/** Returns the learner's newest in-app notices, newest first. */
export async function listNotices(
  learnerId: Types.ObjectId,
  limit: number,
): Promise<InAppNotice[]> {
  return InAppNoticeModel.find({ learnerId })
    .sort({ createdAt: -1 })
    .limit(limit)
    .lean<InAppNotice[]>();
}

/**
 * Records the first open of a message link and returns the course page it leads to. Later opens
 * of the same link change nothing. Throws 404 for a token that no delivery has.
 */
export async function recordOpen(
  clickToken: string,
  learnerId: Types.ObjectId,
  now: Date,
): Promise<{ path: string; courseId: Types.ObjectId; recorded: boolean }> {
  const delivery = await DeliveryModel.findOne({ clickToken }).lean<Delivery>();
  if (delivery === null || delivery.courseId === null) throw notFound('Push link', clickToken);
  const result = {
    path: `/${coursePagePath(delivery.courseId.toHexString(), clickToken)}`,
    courseId: delivery.courseId,
  };
  // A forwarded link still opens the course, but only the learner it was sent to counts as an open.
  if (!delivery.learnerId.equals(learnerId)) return { ...result, recorded: false };
  try {
    await PushOpenModel.create({
      _id: delivery._id,
      learnerId: delivery.learnerId,
      week: delivery.week,
      courseId: delivery.courseId,
      openedAt: now,
    });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  return { ...result, recorded: true };
}

/** A learner's delivery of one week with its state derived from the append-only records. */
export interface DeliveryStatus {
  delivery: Delivery;
  /** pending and sending have no result yet; the others are the result's state. */
  state: 'pending' | 'sending' | DeliveryResult['state'];
  result: DeliveryResult | null;
  attempts: DeliveryAttempt[];
}

/** Returns the learner's delivery of the week, or null when the week's run has not reached them. */
export async function findDeliveryStatus(
  week: string,
  learnerId: Types.ObjectId,
): Promise<DeliveryStatus | null> {
  const delivery = await DeliveryModel.findOne({ week, learnerId }).lean<Delivery>();
  if (delivery === null) return null;
  const [result, batchAttempts] = await Promise.all([
    DeliveryResultModel.findById(delivery._id).lean<DeliveryResult>(),
    DeliveryAttemptModel.find({ batch: delivery.batch }).lean<DeliveryAttempt[]>(),
  ]);
  const attempts = batchAttempts
    .filter((attempt) => attempt.deliveryId.equals(delivery._id))
    .sort((a, b) => a.n - b.n);
  let state: DeliveryStatus['state'];
  if (result !== null) state = result.state;
  else if (attempts.length > 0 && !attempts.at(-1)!.notSent) state = 'sending';
  else state = 'pending';
  return { delivery, state, result, attempts };
}
