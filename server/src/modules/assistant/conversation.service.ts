// Replies to one chat message on the official account or the bot. Binding codes come first, then
// small talk, then the assistant (intents and FAQ). The handoff to a person follows when the asker
// requests one or gets two "don't know" replies in a row.
import type { AssistantChannel, ChannelReplyKind, CourseLink } from '@wxlearn/api-types';
import mongoose, { type Types } from 'mongoose';
import { trusted } from '../../db/trusted.js';
import type { Logger } from '../../logger.js';
import { AssistantQuestionModel } from './assistant-question.model.js';
import { replyText } from './assistant.presenter.js';
import {
  askFromChannel,
  isPersonRequest,
  markAskedForPerson,
  MAX_QUESTION_CHARS,
  questionAllowed,
  RATE_LIMITED_MESSAGE,
  takeQuestionSlot,
  type DontKnowResult,
} from './assistant.service.js';
import { FaqEntryModel } from './faq-entry.model.js';
import { MAX_SUGGESTIONS } from './faq-index.js';
import { getFaqSnapshot, type FaqAnswer } from './faq-snapshot.js';
import {
  CHAT_BINDING_IN_GROUP_TEXT,
  CHAT_BINDING_INVALID_TEXT,
  CHAT_BINDING_LIMITED_TEXT,
  CHAT_BOUND_TEXT,
  parseBindingCode,
  redeemChatBindingCode,
  resolveChatLearner,
  revokeChatBindingCode,
  revokeCodesInGroupMessage,
} from './chat-binding.service.js';
import type { HandoffReason } from './handoff.model.js';
import { parsePersonRequest, type PersonRequest } from './handoff-request.js';
import {
  followsDontKnow,
  openHandoff,
  type HandoffAsker,
  type HandoffQuestion,
} from './handoff.service.js';
import { detectSmallTalk, SMALL_TALK_REPLIES } from './intents.js';
import { RejectionNotices } from './rate-limiter.js';

export const HANDOFF_QUEUED_TEXT = '已为您转接人工客服，客服回复后会在这里通知您，请耐心等待。';
export const HANDOFF_AFTER_DONT_KNOW_TEXT =
  '这个问题我暂时回答不了，已为您转接人工客服，客服回复后会在这里通知您。';
export const HANDOFF_ALREADY_QUEUED_TEXT =
  '您的问题已在人工客服的队列中，客服回复后会在这里通知您，请耐心等待。';
export const HANDOFF_QUESTION_ADDED_TEXT =
  '您的问题已在人工客服的队列中，刚补充的问题也已转给客服，客服回复后会在这里通知您。';
/** Added to a "don't know" reply on chat channels, where a person can take over. */
export const PERSON_HINT_TEXT = '如需人工帮助，请发送"转人工"。';
/** Lead of a "don't know" reply that lists popular questions because nothing matched. */
export const NO_MATCH_TEXT =
  '抱歉，这个问题我暂时回答不了。您可以换个说法再问一次，也可以看看大家常问的问题：';
/** Lead of the same reply to a question without Chinese characters (English, pinyin). */
export const NOT_CHINESE_TEXT =
  '抱歉，我目前只能理解中文提问，请用中文再问一次。您也可以看看大家常问的问题：';

/**
 * Text sent to ask() in place of a bare request for a person that ask() does not recognise, such
 * as 麻烦帮我转一下人工客服谢谢, so that it is logged as a request and marks the previous question.
 */
const BARE_PERSON_REQUEST = '转人工';

/**
 * A rate-limited sender gets at most one "too fast" reply per this many ms, and no reply to the
 * other messages dropped in that period. It is the one-minute window of QUESTIONS_PER_MINUTE.
 */
export const RATE_LIMIT_NOTICE_PERIOD_MS = 60_000;

/**
 * Senders that were sent the rate-limit notice. NOTE: in memory like the rate limit itself, so each
 * server copy sends its own notice.
 */
const rateLimitNotices = new RejectionNotices({
  periodMs: RATE_LIMIT_NOTICE_PERIOD_MS,
  maxKeys: 100_000,
});

/** Answered questions of this many ms before now decide which entries are popular. */
export const POPULAR_PERIOD_MS = 30 * 24 * 60 * 60_000;

/** How long the popular entries are reused before they are counted again, in ms. */
const POPULAR_CACHE_MS = 10 * 60_000;

const HAS_LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const HAS_HAN = /\p{Script=Han}/u;

export interface ChannelMessage {
  channel: AssistantChannel;
  senderId: string;
  /** The group chat of the message, or null for a one-to-one chat. */
  roomId: string | null;
  text: string;
  /**
   * The learner the sender is known to be, when the channel already knows it (an official-account
   * follower joined to a learner). Otherwise the sender's chat identity is looked up.
   */
  learnerId?: Types.ObjectId | null;
}

export interface ChannelReply {
  kind: Exclude<ChannelReplyKind, 'duplicate'>;
  /** The text to send, or null when nothing should be sent (see RATE_LIMIT_NOTICE_PERIOD_MS). */
  text: string | null;
  courses: CourseLink[];
  handoffId: string | null;
}

export interface ChannelReplyOptions {
  now: Date;
  logger: Logger;
  /** Renders course links as mini-program links (official account); see ReplyTextOptions. */
  miniProgramAppId?: string;
}

async function replyToBindingCode(
  message: ChannelMessage,
  code: string,
  options: ChannelReplyOptions,
): Promise<ChannelReply> {
  const reply = (text: string): ChannelReply => ({
    kind: 'binding',
    text,
    courses: [],
    handoffId: null,
  });
  if (message.roomId !== null) {
    // Every member of the group can read the code, so it must not bind anyone.
    await revokeChatBindingCode(
      message.channel,
      message.senderId,
      code,
      options.now,
      options.logger,
    );
    return reply(CHAT_BINDING_IN_GROUP_TEXT);
  }
  const result = await redeemChatBindingCode(
    message.channel,
    message.senderId,
    code,
    options.now,
    options.logger,
  );
  if (result.kind === 'bound') return reply(CHAT_BOUND_TEXT);
  return reply(
    result.kind === 'rate_limited' ? CHAT_BINDING_LIMITED_TEXT : CHAT_BINDING_INVALID_TEXT,
  );
}

/**
 * Returns the reply to a rate-limited message: the "too fast" notice for the first one of
 * RATE_LIMIT_NOTICE_PERIOD_MS, no text for the rest. Each dropped message is logged.
 */
function rateLimitedReply(
  message: ChannelMessage,
  result: { message: string; retryAfterSeconds: number },
  options: ChannelReplyOptions,
): ChannelReply {
  const notify = rateLimitNotices.claim(
    `${message.channel}:${message.senderId}`,
    options.now.getTime(),
  );
  options.logger.info(
    {
      channel: message.channel,
      senderId: message.senderId,
      roomId: message.roomId,
      retryAfterSeconds: result.retryAfterSeconds,
      notified: notify,
    },
    'chat message dropped by rate limit',
  );
  return {
    kind: 'rate_limited',
    text: notify ? result.message : null,
    courses: [],
    handoffId: null,
  };
}

async function handOver(
  asker: HandoffAsker,
  reason: HandoffReason,
  question: HandoffQuestion,
  options: ChannelReplyOptions,
): Promise<ChannelReply> {
  const { handoff, created } = await openHandoff(
    asker,
    reason,
    question,
    options.now,
    options.logger,
  );
  let text: string;
  if (created) {
    text = reason === 'person_request' ? HANDOFF_QUEUED_TEXT : HANDOFF_AFTER_DONT_KNOW_TEXT;
  } else {
    text = 'stated' in question ? HANDOFF_QUESTION_ADDED_TEXT : HANDOFF_ALREADY_QUEUED_TEXT;
  }
  return { kind: 'handoff', text, courses: [], handoffId: handoff._id.toHexString() };
}

let popularCache:
  { database: string; revision: string; computedAt: number; entries: FaqAnswer[] } | undefined;

/**
 * Returns up to MAX_SUGGESTIONS enabled FAQ entries to suggest when a question matches none: the
 * entries answered most often in the POPULAR_PERIOD_MS before `now`, then the first entry (by
 * code) of each category, larger categories first. The result is reused for POPULAR_CACHE_MS
 * while the FAQ revision stays the same.
 */
export async function popularFaqEntries(now: Date, logger: Logger): Promise<FaqAnswer[]> {
  const snapshot = await getFaqSnapshot(logger);
  const database = mongoose.connection.name;
  if (
    popularCache !== undefined &&
    popularCache.database === database &&
    popularCache.revision === snapshot.revision &&
    Date.now() - popularCache.computedAt < POPULAR_CACHE_MS
  ) {
    return popularCache.entries;
  }

  const answered = await AssistantQuestionModel.aggregate<{ _id: Types.ObjectId; count: number }>([
    {
      $match: {
        outcome: 'answered',
        createdAt: trusted({ $gte: new Date(now.getTime() - POPULAR_PERIOD_MS), $lte: now }),
      },
    },
    { $group: { _id: '$entryId', count: { $sum: 1 } } },
    { $sort: { count: -1, _id: 1 } },
    { $limit: MAX_SUGGESTIONS * 4 },
  ]);
  const chosen = new Map<string, FaqAnswer>();
  const add = (id: string) => {
    const entry = snapshot.byId.get(id);
    if (entry && chosen.size < MAX_SUGGESTIONS) chosen.set(id, entry);
  };
  for (const group of answered) add(String(group._id));

  if (chosen.size < MAX_SUGGESTIONS) {
    const enabled = await FaqEntryModel.find({ enabled: true }, { category: 1, code: 1 })
      .sort({ code: 1 })
      .lean();
    const firstOfCategory = new Map<string, { id: string; size: number }>();
    for (const entry of enabled) {
      const first = firstOfCategory.get(entry.category);
      if (first) first.size += 1;
      else firstOfCategory.set(entry.category, { id: entry._id.toString(), size: 1 });
    }
    const bySize = [...firstOfCategory.values()].sort((a, b) => b.size - a.size);
    for (const first of bySize) add(first.id);
  }

  const entries = [...chosen.values()];
  popularCache = { database, revision: snapshot.revision, computedAt: Date.now(), entries };
  return entries;
}

/**
 * Renders a "don't know" reply that has no suggestions. A question with letters or digits gets
 * the popular entries, and a blank one gets the plain "don't know" text.
 */
async function dontKnowText(
  question: string,
  result: DontKnowResult,
  options: ChannelReplyOptions,
): Promise<string> {
  if (result.suggestions.length > 0 || !HAS_LETTER_OR_DIGIT.test(question)) {
    return replyText(result, { miniProgramAppId: options.miniProgramAppId });
  }
  const popular = await popularFaqEntries(options.now, options.logger);
  if (popular.length === 0)
    return replyText(result, { miniProgramAppId: options.miniProgramAppId });
  return [
    HAS_HAN.test(question) ? NO_MATCH_TEXT : NOT_CHINESE_TEXT,
    ...popular.map((entry, position) => `${position + 1}. ${entry.standardQuestion}`),
  ].join('\n');
}

/**
 * Returns the question ask() should get for a message. A message that requests a person with a
 * question (我要转人工，发票怎么开) is asked its question; a bare request is asked as a request.
 */
function questionToAsk(text: string, personRequest: PersonRequest | null): string {
  if (personRequest === null) return text;
  if (personRequest.question !== null) return personRequest.question;
  return isPersonRequest(text) ? text : BARE_PERSON_REQUEST;
}

/**
 * Returns the reply to small talk (谢谢, 好的, 你好), or null for any other message. Small talk
 * counts against the rate limit but is not logged as a question, so it neither breaks nor extends
 * a run of "don't know" replies that leads to a handoff.
 */
function replyToSmallTalk(
  message: ChannelMessage,
  options: ChannelReplyOptions,
): ChannelReply | null {
  const kind = detectSmallTalk(message.text);
  if (kind === null) return null;
  const limit = takeQuestionSlot(
    { channel: message.channel, senderId: message.senderId },
    options.now,
  );
  if (!limit.allowed) {
    const retryAfterSeconds = Math.ceil(limit.retryAfterMs / 1000);
    return rateLimitedReply(message, { message: RATE_LIMITED_MESSAGE, retryAfterSeconds }, options);
  }
  options.logger.info(
    { channel: message.channel, senderId: message.senderId, smallTalk: kind },
    'chat small talk answered',
  );
  return { kind: 'intent', text: SMALL_TALK_REPLIES[kind], courses: [], handoffId: null };
}

/** Returns the reply to one chat message. */
export async function replyToChannelMessage(
  message: ChannelMessage,
  options: ChannelReplyOptions,
): Promise<ChannelReply> {
  const code = parseBindingCode(message.text);
  if (code !== null) return replyToBindingCode(message, code, options);
  if (
    message.roomId !== null &&
    (await revokeCodesInGroupMessage(
      message.channel,
      message.senderId,
      message.text,
      options.now,
      options.logger,
    ))
  ) {
    return { kind: 'binding', text: CHAT_BINDING_IN_GROUP_TEXT, courses: [], handoffId: null };
  }

  // A message over the length limit or the rate limit gets its rejection from ask() without being
  // parsed or looked up, so a flood of long messages costs little.
  const overLimit =
    [...message.text.trim()].length > MAX_QUESTION_CHARS ||
    !questionAllowed({ channel: message.channel, senderId: message.senderId }, options.now);
  if (!overLimit) {
    const smallTalk = replyToSmallTalk(message, options);
    if (smallTalk !== null) return smallTalk;
  }

  const learnerId = overLimit
    ? null
    : (message.learnerId ?? (await resolveChatLearner(message.channel, message.senderId)));
  const personRequest = overLimit ? null : parsePersonRequest(message.text);
  const question = questionToAsk(message.text, personRequest);
  const result = await askFromChannel(message.channel, message.senderId, question, {
    now: options.now,
    logger: options.logger,
    learnerId,
    roomId: message.roomId,
  });
  if (result.kind === 'rate_limited') return rateLimitedReply(message, result, options);
  if (result.kind === 'too_long') {
    return { kind: result.kind, text: result.message, courses: [], handoffId: null };
  }

  const asker: HandoffAsker = {
    channel: message.channel,
    senderId: message.senderId,
    roomId: message.roomId,
    learnerId,
  };
  if (personRequest !== null && personRequest.question !== null) {
    // ask() logged the stated question as an ordinary one, so the request marks it as not helped.
    await markAskedForPerson(
      { channel: message.channel, senderId: message.senderId, roomId: message.roomId },
      options.now,
    );
    return handOver(asker, 'person_request', { stated: personRequest.question }, options);
  }
  if (personRequest !== null) {
    return handOver(asker, 'person_request', { fallback: message.text }, options);
  }
  if (result.kind === 'dont_know' && (await followsDontKnow(asker, options.now))) {
    return handOver(asker, 'repeated_dont_know', { fallback: message.text }, options);
  }

  if (result.kind === 'dont_know') {
    const text = await dontKnowText(question, result, options);
    return {
      kind: 'dont_know',
      text: `${text}\n${PERSON_HINT_TEXT}`,
      courses: [],
      handoffId: null,
    };
  }
  const text = replyText(result, { miniProgramAppId: options.miniProgramAppId });
  if (result.kind === 'intent') {
    return { kind: 'intent', text, courses: result.courses, handoffId: null };
  }
  return { kind: 'answer', text, courses: [], handoffId: null };
}

/**
 * Returns the function that replies to official-account text messages with the assistant, with
 * course links that open the mini-program. It returns null, for no reply, to the rate-limited
 * messages after the first notice.
 */
export function createOfficialAccountAnswerer(miniProgramAppId: string, logger: Logger) {
  return async (question: {
    openid: string;
    learnerId: Types.ObjectId | null;
    text: string;
  }): Promise<string | null> => {
    const reply = await replyToChannelMessage(
      {
        channel: 'official_account',
        senderId: question.openid,
        roomId: null,
        text: question.text,
        learnerId: question.learnerId,
      },
      { now: new Date(), logger, miniProgramAppId },
    );
    return reply.text;
  };
}
