// Binds chat senders (bot contacts, official-account followers) to learners. The learner creates
// a one-time code in the mini-program and sends it in the chat, which proves that the sender and
// the signed-in learner are the same person. Nothing else (nickname, timing) is used to guess.
import { randomInt } from 'node:crypto';
import type { AssistantChannel } from '@wxlearn/api-types';
import type { Types } from 'mongoose';
import { isDuplicateKeyError } from '../../db/errors.js';
import { trusted } from '../../db/trusted.js';
import type { Logger } from '../../logger.js';
import { hashSecret } from '../auth/tokens.js';
import { FollowerModel } from '../official-account/follower.model.js';
import {
  ChatBindingCodeModel,
  ChatBindingCodeUseModel,
  ChatIdentityModel,
} from './chat-identity.model.js';
import { SlidingWindowRateLimiter } from './rate-limiter.js';

/** How long a binding code stays valid, in ms. */
export const CHAT_BINDING_CODE_TTL_MS = 10 * 60_000;

/** Wrong or expired codes a sender may send per CHAT_BINDING_FAILURE_WINDOW_MS. */
export const CHAT_BINDING_MAX_FAILURES = 5;
export const CHAT_BINDING_FAILURE_WINDOW_MS = 10 * 60_000;

const CODE_DIGITS = 8;

// 绑定 12345678, 绑定：12345678, bind 12345678, or the eight digits alone.
const BINDING_MESSAGE = /^(?:绑定|bind)?\s*[:：]?\s*(\d{8})$/iu;

export const CHAT_BOUND_TEXT =
  '绑定成功！现在可以直接问我"我今年还差多少学时"、"我有哪些必修课没学完"、"我上次考试的成绩"。';
export const CHAT_BINDING_INVALID_TEXT =
  '绑定码无效或已过期，请在企业学堂小程序"我的"页面重新获取绑定码后再发送。';
export const CHAT_BINDING_LIMITED_TEXT = '绑定码输错次数太多，请 10 分钟后再试。';
export const CHAT_BINDING_IN_GROUP_TEXT =
  '该绑定码已作废，请在小程序"我的"页面重新生成，并私聊发送给我。绑定码请不要发到群里。';

/**
 * Failed binding attempts per sender on this server copy. NOTE: it lives in memory, so with N
 * copies a sender can try N times as many codes. Eight-digit codes that live 10 minutes still keep
 * guessing impractical.
 */
const failureLimiter = new SlidingWindowRateLimiter({
  limit: CHAT_BINDING_MAX_FAILURES,
  windowMs: CHAT_BINDING_FAILURE_WINDOW_MS,
  maxKeys: 100_000,
});

/** Maximum length, in characters, of a message checked for a binding code. */
const MAX_BINDING_MESSAGE_CHARS = 64;

/** Returns the binding code of a chat message that consists of one, or null. */
export function parseBindingCode(text: string): string | null {
  // BINDING_MESSAGE backtracks over runs of spaces, so long messages are not matched at all.
  if (text.length > MAX_BINDING_MESSAGE_CHARS) return null;
  return BINDING_MESSAGE.exec(text.normalize('NFKC').trim())?.[1] ?? null;
}

// Eight digits that are not part of a longer number: a code quoted in a longer message.
const CODE_IN_TEXT = /(?<!\d)\d{8}(?!\d)/gu;
// Digits split by spaces, dashes or dots (1234 5678, 1234-5678): a code typed in groups.
const SPACED_DIGITS = /(?<!\d)\d(?:[\s.-]*\d){7,15}(?![\d])/gu;
const DIGIT_SEPARATORS = /[\s.-]+/gu;

/**
 * Maximum number of codes looked up per group message. Each lookup is one indexed read, and
 * employee numbers are eight digits too, so a message may list several before the code.
 */
const MAX_CODES_PER_MESSAGE = 20;

/** Returns the eight-digit numbers of a message, written whole or split by separators, in order. */
export function codesInText(text: string): string[] {
  const normalised = text.normalize('NFKC');
  const codes = new Set<string>();
  for (const match of normalised.matchAll(CODE_IN_TEXT)) codes.add(match[0]);
  for (const match of normalised.matchAll(SPACED_DIGITS)) {
    const digits = match[0].replace(DIGIT_SEPARATORS, '');
    if (digits.length === 8) codes.add(digits);
  }
  return [...codes].slice(0, MAX_CODES_PER_MESSAGE);
}

/**
 * Revokes each live binding code quoted in a group chat message (我的绑定码是 12345678), looking
 * at the first MAX_CODES_PER_MESSAGE eight-digit numbers. Returns true when one was revoked.
 */
export async function revokeCodesInGroupMessage(
  channel: AssistantChannel,
  senderId: string,
  text: string,
  now: Date,
  logger: Logger,
): Promise<boolean> {
  const codes = codesInText(text);
  let revoked = false;
  for (const code of codes) {
    if ((await revokeChatBindingCode(channel, senderId, code, now, logger)) === 'revoked') {
      revoked = true;
    }
  }
  return revoked;
}

/** Outcome of revoking a code: `revoked`, or `not_live` for a wrong, expired or used code. */
export type RevokeChatCodeResult = 'revoked' | 'not_live';

/**
 * Revokes a binding code that was seen in a group chat, where other members can read it. The
 * revocation claims the code's use record, the same unique insert a redemption makes, so a sender
 * who redeems the code at the same time either wins before it or finds the code invalid.
 */
export async function revokeChatBindingCode(
  channel: AssistantChannel,
  senderId: string,
  code: string,
  now: Date,
  logger: Logger,
): Promise<RevokeChatCodeResult> {
  const codeHash = hashSecret(code);
  const live = await ChatBindingCodeModel.findOne({
    codeHash,
    usedAt: null,
    expiresAt: trusted({ $gt: now }),
  }).lean();
  if (!live) {
    logger.info({ channel, senderId }, 'chat binding code seen in a group is not live');
    return 'not_live';
  }
  try {
    await ChatBindingCodeUseModel.create({ codeHash, channel, senderId, usedAt: now });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    logger.warn(
      { channel, senderId, learnerId: live.learnerId },
      'chat binding code seen in a group was redeemed first',
    );
    return 'not_live';
  }
  await ChatBindingCodeModel.deleteOne({ codeHash });
  logger.info(
    { channel, senderId, learnerId: live.learnerId },
    'chat binding code seen in a group revoked',
  );
  return 'revoked';
}

/**
 * Creates a binding code for the learner and deletes their earlier codes and every expired code.
 * Returns the code, which is stored only as its hash.
 */
export async function createChatBindingCode(
  learnerId: Types.ObjectId,
  now: Date,
): Promise<{ code: string; expiresAt: Date }> {
  await ChatBindingCodeModel.deleteMany({ learnerId });
  await ChatBindingCodeModel.deleteMany({ expiresAt: trusted({ $lte: now }) });
  const expiresAt = new Date(now.getTime() + CHAT_BINDING_CODE_TTL_MS);
  // A new code can collide with another learner's live code; a fresh draw settles it.
  for (let attempt = 1; ; attempt += 1) {
    const code = String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');
    try {
      await ChatBindingCodeModel.create({
        codeHash: hashSecret(code),
        learnerId,
        createdAt: now,
        expiresAt,
      });
      return { code, expiresAt };
    } catch (error) {
      if (!isDuplicateKeyError(error) || attempt >= 5) throw error;
    }
  }
}

export type RedeemChatCodeResult =
  { kind: 'bound'; learnerId: Types.ObjectId } | { kind: 'invalid' } | { kind: 'rate_limited' };

/**
 * Binds the sender to the learner of a valid, unused code, replacing an earlier binding of this
 * sender. The first sender to use a code gets it. A sender gets CHAT_BINDING_MAX_FAILURES wrong
 * codes per window, then `rate_limited`.
 */
export async function redeemChatBindingCode(
  channel: AssistantChannel,
  senderId: string,
  code: string,
  now: Date,
  logger: Logger,
): Promise<RedeemChatCodeResult> {
  const limiterKey = `${channel}:${senderId}`;
  if (!failureLimiter.allows(limiterKey, now.getTime())) return { kind: 'rate_limited' };

  const codeHash = hashSecret(code);
  const valid = await ChatBindingCodeModel.findOne({
    codeHash,
    usedAt: null,
    expiresAt: trusted({ $gt: now }),
  }).lean();
  // The code is claimed by a unique insert, so of two senders redeeming it at once one wins.
  let stored = valid;
  if (valid) {
    try {
      await ChatBindingCodeUseModel.create({ codeHash, channel, senderId, usedAt: now });
      await ChatBindingCodeModel.updateOne({ codeHash }, { $set: { usedAt: now } });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      stored = null;
    }
  }
  if (!stored) {
    failureLimiter.take(limiterKey, now.getTime());
    logger.info({ channel, senderId }, 'chat binding code invalid');
    return { kind: 'invalid' };
  }

  const identity = { learnerId: stored.learnerId, boundAt: now };
  try {
    await ChatIdentityModel.updateOne({ channel, senderId }, { $set: identity }, { upsert: true });
  } catch (error) {
    // A concurrent upsert of the same sender inserted first: overwrite it.
    if (!isDuplicateKeyError(error)) throw error;
    await ChatIdentityModel.updateOne({ channel, senderId }, { $set: identity });
  }
  logger.info({ channel, senderId, learnerId: stored.learnerId }, 'chat sender bound to learner');
  return { kind: 'bound', learnerId: stored.learnerId };
}

/**
 * Returns the learner a chat sender is bound to, or null. An official-account follower joined to
 * a learner (by unionid or binding QR code) counts as bound; a binding code covers the rest.
 */
export async function resolveChatLearner(
  channel: AssistantChannel,
  senderId: string,
): Promise<Types.ObjectId | null> {
  if (channel === 'official_account') {
    const follower = await FollowerModel.findOne({ openid: senderId }, { learnerId: 1 }).lean();
    if (follower?.learnerId) return follower.learnerId;
  }
  const identity = await ChatIdentityModel.findOne({ channel, senderId }, { learnerId: 1 }).lean();
  return identity?.learnerId ?? null;
}
