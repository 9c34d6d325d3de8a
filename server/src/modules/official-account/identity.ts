// Joins official-account followers to mini-program learners. A join happens only on proof: the
// same unionid, or a one-time binding QR code that the signed-in learner created and the follower
// scanned. Nothing else (nickname, timing) is used to guess.
import { randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import { isDuplicateKeyError } from '../../db/errors.js';
import type { Logger } from '../../logger.js';
import type { OfficialAccountClient } from '../../wechat/official-account-client.js';
import { hashSecret } from '../auth/tokens.js';
import { LearnerModel } from '../learners/learner.model.js';
import { FollowerModel } from './follower.model.js';
import {
  OfficialAccountLinkModel,
  OfficialAccountLinkUseModel,
} from './official-account-link.model.js';

/** A binding QR code and its token stay valid this long. */
export const LINK_TTL_MS = 10 * 60 * 1000;
/** Scene of a binding QR code: this prefix, then the token. */
export const BINDING_SCENE_PREFIX = 'bind_';
/** WeChat puts this before the scene in the EventKey of a subscribe through a QR code. */
const SUBSCRIBE_SCENE_PREFIX = 'qrscene_';

/** Returns the binding token in a subscribe or SCAN event's EventKey, or null. */
export function bindingTokenOf(event: string, eventKey: string | null): string | null {
  if (eventKey === null) return null;
  const scene =
    event === 'subscribe' && eventKey.startsWith(SUBSCRIBE_SCENE_PREFIX)
      ? eventKey.slice(SUBSCRIBE_SCENE_PREFIX.length)
      : eventKey;
  if (!scene.startsWith(BINDING_SCENE_PREFIX)) return null;
  const token = scene.slice(BINDING_SCENE_PREFIX.length);
  return /^[A-Za-z0-9_-]{16,43}$/.test(token) ? token : null;
}

export interface CreatedLink {
  qrUrl: string;
  expiresAt: Date;
}

/** Creates a one-time binding token for the learner and a temporary QR code that carries it. */
export async function createLink(
  client: OfficialAccountClient,
  learnerId: Types.ObjectId,
  now: Date,
): Promise<CreatedLink> {
  const token = randomBytes(16).toString('base64url');
  const expiresAt = new Date(now.getTime() + LINK_TTL_MS);
  await OfficialAccountLinkModel.create({
    tokenHash: hashSecret(token),
    learnerId,
    createdAt: now,
    expiresAt,
  });
  const qrCode = await client.createQrCode(`${BINDING_SCENE_PREFIX}${token}`, LINK_TTL_MS / 1000);
  return { qrUrl: qrCode.imageUrl, expiresAt };
}

export type RedeemResult = { kind: 'joined'; learnerId: Types.ObjectId } | { kind: 'invalid' };

/**
 * Joins the follower to the learner of a binding token. The first follower to redeem a valid token
 * gets it; the same follower redeeming it again (subscribe, then SCAN) gets the same result. An
 * explicit binding replaces a previous join of this follower.
 */
export async function redeemLink(
  token: string,
  openid: string,
  now: Date,
  logger: Logger,
): Promise<RedeemResult> {
  const tokenHash = hashSecret(token);
  const link = await OfficialAccountLinkModel.findOne({ tokenHash }).lean();
  if (!link || link.expiresAt.getTime() <= now.getTime()) return { kind: 'invalid' };

  try {
    await OfficialAccountLinkUseModel.create({ tokenHash, openid, usedAt: now });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const use = await OfficialAccountLinkUseModel.findOne({ tokenHash }).lean();
    if (use?.openid !== openid) {
      logger.warn({ openid }, 'binding token already used by another follower');
      return { kind: 'invalid' };
    }
  }

  await OfficialAccountLinkModel.updateOne(
    { tokenHash },
    { $set: { usedAt: now, usedByOpenid: openid } },
  );
  await FollowerModel.updateOne(
    { openid },
    { $set: { learnerId: link.learnerId, joinedBy: 'binding', joinedAt: now } },
  );
  logger.info({ openid, learnerId: link.learnerId }, 'follower joined to learner by binding');
  return { kind: 'joined', learnerId: link.learnerId };
}

/**
 * Joins a follower without a learner to the one learner with the same unionid. Does nothing when
 * no learner, or more than one, has it.
 */
export async function joinByUnionid(
  openid: string,
  unionid: string,
  now: Date,
  logger: Logger,
): Promise<Types.ObjectId | null> {
  const learners = await LearnerModel.find({ unionid }).select({ _id: 1 }).limit(2).lean();
  if (learners.length !== 1 || !learners[0]) {
    if (learners.length > 1)
      logger.warn({ openid }, 'unionid belongs to several learners: not joined');
    return null;
  }
  const learnerId = learners[0]._id;
  const joined = await FollowerModel.updateOne(
    { openid, learnerId: null },
    { $set: { learnerId, joinedBy: 'unionid', joinedAt: now } },
  );
  if (joined.modifiedCount === 0) return null;
  logger.info({ openid, learnerId }, 'follower joined to learner by unionid');
  return learnerId;
}

/**
 * Joins every follower with this unionid that has no learner yet to the learner. Meant for the
 * login flow, so a learner who signs in after following is joined at once.
 */
export async function joinFollowersOfLearner(
  learnerId: Types.ObjectId,
  unionid: string,
  now: Date,
): Promise<number> {
  const result = await FollowerModel.updateMany(
    { unionid, learnerId: null },
    { $set: { learnerId, joinedBy: 'unionid', joinedAt: now } },
  );
  return result.modifiedCount;
}

/**
 * Fills in the follower's unionid from user/info the first time it is needed, then joins the
 * follower by unionid if they have no learner yet. WeChat failures are logged and leave the
 * follower unjoined; a later message tries again.
 */
export async function resolveFollowerIdentity(
  client: OfficialAccountClient,
  openid: string,
  now: Date,
  logger: Logger,
): Promise<void> {
  const follower = await FollowerModel.findOne({ openid }).lean();
  if (!follower || follower.learnerId) return;

  let unionid = follower.unionid ?? null;
  if (unionid === null && !follower.profileCheckedAt) {
    try {
      const profile = await client.getFollowerProfile(openid);
      unionid = profile.unionid;
      await FollowerModel.updateOne(
        { openid },
        { $set: { unionid: profile.unionid, profileCheckedAt: now } },
      );
    } catch (error) {
      logger.warn(
        { openid, error: error instanceof Error ? error.message : String(error) },
        'follower profile lookup failed',
      );
      return;
    }
  }
  if (unionid) await joinByUnionid(openid, unionid, now, logger);
}
