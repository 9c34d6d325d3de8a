import type { Types } from 'mongoose';
import { FollowerModel } from '../official-account/follower.model.js';
import { PushOptOutModel } from './learner-push.model.js';
import { SubscriptionGrantModel, SubscriptionGrantUseModel } from './subscription-grant.model.js';

/**
 * What a run needs to know about every learner to choose a channel, loaded once at the start of
 * the run. FerretDB v1 filters `$in` queries after reading the whole collection, so looking these
 * up per batch of learners would read each collection once per batch.
 * NOTE: a follow, an opt-out or a grant recorded after the start is seen by the next run only.
 */
export interface Audience {
  /** Learners who opted out, by learner id in hex. */
  optedOut: Set<string>;
  /** Official-account openid of each learner who follows the account, by learner id in hex. */
  followers: Map<string, string>;
  /** Unused grants of the subscription template, oldest first, by learner id in hex. */
  grants: Map<string, Types.ObjectId[]>;
}

export interface AudienceOptions {
  /** False when template messages are off, so followers need not be read. */
  loadFollowers: boolean;
  /** Template whose grants are read; null when subscription messages are off. */
  subscribeTemplateId: string | null;
}

const BATCH_SIZE = 2_000;

export async function loadAudience(options: AudienceOptions): Promise<Audience> {
  const optedOut = new Set<string>();
  for await (const optOut of PushOptOutModel.find({}, { learnerId: 1, _id: 0 })
    .lean()
    .cursor({ batchSize: BATCH_SIZE })) {
    optedOut.add(optOut.learnerId.toHexString());
  }

  const followers = new Map<string, string>();
  if (options.loadFollowers) {
    const cursor = FollowerModel.find({ following: true }, { learnerId: 1, openid: 1, _id: 0 })
      .lean()
      .cursor({ batchSize: BATCH_SIZE });
    for await (const follower of cursor) {
      if (follower.learnerId) followers.set(follower.learnerId.toHexString(), follower.openid);
    }
  }

  const grants = new Map<string, Types.ObjectId[]>();
  const templateId = options.subscribeTemplateId;
  if (templateId !== null) {
    const used = new Set<string>();
    for await (const use of SubscriptionGrantUseModel.find({ templateId }, { _id: 1 })
      .lean()
      .cursor({ batchSize: BATCH_SIZE })) {
      used.add(use._id.toHexString());
    }
    const unused: { learnerId: Types.ObjectId; grantId: Types.ObjectId; grantedAt: Date }[] = [];
    for await (const grant of SubscriptionGrantModel.find(
      { templateId },
      { learnerId: 1, grantedAt: 1 },
    )
      .lean()
      .cursor({ batchSize: BATCH_SIZE })) {
      if (!used.has(grant._id.toHexString())) {
        unused.push({ learnerId: grant.learnerId, grantId: grant._id, grantedAt: grant.grantedAt });
      }
    }
    unused.sort((a, b) => a.grantedAt.getTime() - b.grantedAt.getTime());
    for (const grant of unused) {
      const key = grant.learnerId.toHexString();
      const list = grants.get(key);
      if (list === undefined) grants.set(key, [grant.grantId]);
      else list.push(grant.grantId);
    }
  }

  return { optedOut, followers, grants };
}
