import type { Types } from 'mongoose';
import { PushOptOutModel } from './learner-push.model.js';
import { SubscriptionGrantModel, SubscriptionGrantUseModel } from './subscription-grant.model.js';

/**
 * Opt-outs and subscription grants, loaded once at the start of a run. FerretDB v1 filters `$in`
 * queries after reading the whole collection, so looking them up per batch of learners would read
 * each collection once per batch. Followers are not loaded: the run reads them as the source of
 * its first pass (runner.ts).
 * Opt-outs are read again during the run (refreshOptOuts), so a learner who opts out while the run
 * sends is skipped within one refresh interval. A grant recorded after the start serves the next run.
 */
export interface Audience {
  /** Learners who opted out, by learner id in hex. */
  optedOut: Set<string>;
  /** Unused grants of the subscription template, oldest first, by learner id in hex. */
  grants: Map<string, Types.ObjectId[]>;
}

const BATCH_SIZE = 2_000;

/** Loads the audience; `subscribeTemplateId` null means subscription messages are off. */
export async function loadAudience(subscribeTemplateId: string | null): Promise<Audience> {
  const [optedOut, grants] = await Promise.all([
    loadOptOuts(),
    subscribeTemplateId === null
      ? new Map<string, Types.ObjectId[]>()
      : loadGrants(subscribeTemplateId),
  ]);
  return { optedOut, grants };
}

/** Replaces the audience's opt-outs with the stored ones. */
export async function refreshOptOuts(audience: Audience): Promise<void> {
  const current = await loadOptOuts();
  audience.optedOut.clear();
  for (const learnerId of current) audience.optedOut.add(learnerId);
}

async function loadOptOuts(): Promise<Set<string>> {
  const optedOut = new Set<string>();
  const cursor = PushOptOutModel.find({}, { learnerId: 1, _id: 0 })
    .lean()
    .cursor({ batchSize: BATCH_SIZE });
  for await (const optOut of cursor) optedOut.add(optOut.learnerId.toHexString());
  return optedOut;
}

async function loadGrants(templateId: string): Promise<Map<string, Types.ObjectId[]>> {
  const used = new Set<string>();
  const uses = SubscriptionGrantUseModel.find({ templateId }, { _id: 1 })
    .lean()
    .cursor({ batchSize: BATCH_SIZE });
  for await (const use of uses) used.add(use._id.toHexString());

  const unused: { learnerId: Types.ObjectId; grantId: Types.ObjectId; grantedAt: Date }[] = [];
  const cursor = SubscriptionGrantModel.find({ templateId }, { learnerId: 1, grantedAt: 1 })
    .lean()
    .cursor({ batchSize: BATCH_SIZE });
  for await (const grant of cursor) {
    if (!used.has(grant._id.toHexString())) {
      unused.push({ learnerId: grant.learnerId, grantId: grant._id, grantedAt: grant.grantedAt });
    }
  }
  unused.sort((a, b) => a.grantedAt.getTime() - b.grantedAt.getTime());
  const grants = new Map<string, Types.ObjectId[]>();
  for (const grant of unused) {
    const key = grant.learnerId.toHexString();
    const list = grants.get(key);
    if (list === undefined) grants.set(key, [grant.grantId]);
    else list.push(grant.grantId);
  }
  return grants;
}
