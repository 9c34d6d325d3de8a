// Hands chat questions to a person. A handoff is queued when the asker requests a person or gets
// two "don't know" replies in a row, an operator answers it through the admin API, and the answer
// is delivered: on the official account as a customer-service message inside the 48-hour window,
// on the bot through the outbox that the bot process polls and acknowledges.
import type { AssistantChannel } from '@wxlearn/api-types';
import { Types } from 'mongoose';
import { isDuplicateKeyError } from '../../db/errors.js';
import { trusted } from '../../db/trusted.js';
import { conflict, notFound, validationFailed } from '../../errors.js';
import type { Logger } from '../../logger.js';
import {
  SERVICE_WINDOW_MESSAGES,
  type CustomerServiceResult,
} from '../official-account/customer-service.js';
import { AssistantQuestionModel, type AssistantQuestion } from './assistant-question.model.js';
import { conversationFilter, PERSON_REQUEST_WINDOW_MS } from './assistant.service.js';
import { addFaqParaphrase, createFaqEntry, getFaqEntry } from './faq-admin.service.js';
import type { FaqEntry } from './faq-entry.model.js';
import { getFaqSnapshot } from './faq-snapshot.js';
import { parsePersonRequest } from './handoff-request.js';
import {
  HandoffAnswerModel,
  HandoffFaqSaveModel,
  HandoffModel,
  HandoffRedeliveryModel,
  type Handoff,
  type HandoffExchangeDoc,
  type HandoffReason,
  type HandoffStateName,
} from './handoff.model.js';

/** Exchanges before a handoff that it keeps for the operator. */
export const HANDOFF_CONTEXT_EXCHANGES = 3;

/** A second "don't know" within this many ms of the first hands the question over. */
export const REPEATED_DONT_KNOW_WINDOW_MS = 10 * 60_000;

/** Failed sends the bot may report for one answer before it is marked delivery_failed. */
export const MAX_BOT_DELIVERY_ATTEMPTS = 3;

/** Outbox items returned per poll at most. */
export const OUTBOX_BATCH = 20;

/** Times an undelivered official-account answer is sent again after the learner writes. */
export const MAX_OFFICIAL_ACCOUNT_REDELIVERIES = 3;

const REPLY_OF_OUTCOME = {
  dont_know: '（未能回答）',
  too_long: '（问题过长，未回答）',
} as const;

/** The asker of a handoff: a chat sender and the learner they are bound to, if any. */
export interface HandoffAsker {
  channel: AssistantChannel;
  senderId: string;
  roomId: string | null;
  learnerId: Types.ObjectId | null;
}

/**
 * Returns the key of the asker's queued handoff in one conversation. A private chat and each group
 * chat have their own key, so an answer never goes to a conversation other than the one its
 * question came from. Sender and room are URI-encoded, so neither can contain the `:` separator.
 */
function openKeyOf(asker: HandoffAsker): string {
  const conversation =
    asker.roomId === null ? 'private' : `room:${encodeURIComponent(asker.roomId)}`;
  return `open:${asker.channel}:${encodeURIComponent(asker.senderId)}:${conversation}`;
}

/**
 * Returns the asker's latest questions of the last PERSON_REQUEST_WINDOW_MS in the handoff's
 * conversation, newest first, leaving out requests for a person. A question asked in another
 * conversation of the same sender (privately, for a group handoff) is never included.
 */
async function recentQuestions(asker: HandoffAsker, now: Date): Promise<AssistantQuestion[]> {
  return AssistantQuestionModel.find({
    ...conversationFilter(asker),
    personRequest: false,
    createdAt: trusted({ $gte: new Date(now.getTime() - PERSON_REQUEST_WINDOW_MS), $lte: now }),
  })
    .sort({ createdAt: -1, _id: -1 })
    .limit(HANDOFF_CONTEXT_EXCHANGES)
    .lean<AssistantQuestion[]>();
}

async function exchangeOf(
  question: AssistantQuestion,
  logger: Logger,
): Promise<HandoffExchangeDoc> {
  let reply: string;
  if (question.outcome === 'answered') {
    const entry = question.entryId
      ? (await getFaqSnapshot(logger)).byId.get(question.entryId.toString())
      : undefined;
    reply = entry?.answer ?? `（FAQ 条目 ${question.entryCode ?? ''}）`;
  } else if (question.outcome === 'intent') {
    reply = `（查询了个人记录：${question.intent ?? ''}）`;
  } else {
    reply = REPLY_OF_OUTCOME[question.outcome];
  }
  return { question: question.question, reply, askedAt: question.createdAt };
}

/**
 * True when the asker's latest question and the one before it in the same conversation both got
 * "don't know", the earlier within REPEATED_DONT_KNOW_WINDOW_MS of now. Call it after the latest
 * question was logged.
 */
export async function followsDontKnow(asker: HandoffAsker, now: Date): Promise<boolean> {
  const [latest, previous] = await AssistantQuestionModel.find({
    ...conversationFilter(asker),
    createdAt: trusted({ $lte: now }),
  })
    .sort({ createdAt: -1, _id: -1 })
    .limit(2)
    .lean<AssistantQuestion[]>();
  if (!latest || !previous) return false;
  return (
    latest.outcome === 'dont_know' &&
    previous.outcome === 'dont_know' &&
    now.getTime() - previous.createdAt.getTime() <= REPEATED_DONT_KNOW_WINDOW_MS
  );
}

/**
 * The question a handoff carries: the one the learner wrote with the request for a person
 * (我要转人工，发票怎么开), or a fallback used when the asker has no recent question.
 */
export type HandoffQuestion = { stated: string } | { fallback: string };

/** Reply recorded in a queued handoff's context for a question the learner added later. */
const ADDED_WHILE_QUEUED_REPLY = '（排队期间补充的问题）';

/** Adds a question to the context of a queued handoff, so the operator sees it with the rest. */
async function addQuestionToQueued(
  handoff: Handoff,
  question: string,
  now: Date,
  logger: Logger,
): Promise<void> {
  const exchange: HandoffExchangeDoc = {
    question,
    reply: ADDED_WHILE_QUEUED_REPLY,
    askedAt: now,
  };
  await HandoffModel.updateOne(
    { _id: handoff._id, state: 'queued' },
    { $push: { context: exchange } },
  );
  logger.info({ handoffId: handoff._id }, 'question added to a queued handoff');
}

/**
 * Queues a handoff for the asker, with their last exchanges as context. The question is the
 * stated one, else their latest question of the last PERSON_REQUEST_WINDOW_MS that was not itself
 * a request for a person, else the fallback. A sender has at most one queued handoff per
 * conversation (private chat or group): while one is queued, it is returned with `created: false`,
 * and a stated question is added to its context.
 */
export async function openHandoff(
  asker: HandoffAsker,
  reason: HandoffReason,
  question: HandoffQuestion,
  now: Date,
  logger: Logger,
): Promise<{ handoff: Handoff; created: boolean }> {
  const openKey = openKeyOf(asker);
  const existing = await HandoffModel.findOne({ openKey }).lean<Handoff>();
  if (existing) {
    if ('stated' in question) await addQuestionToQueued(existing, question.stated, now, logger);
    return { handoff: existing, created: false };
  }

  const recent = await recentQuestions(asker, now);
  const context: HandoffExchangeDoc[] = [];
  for (const recentQuestion of [...recent].reverse()) {
    context.push(await exchangeOf(recentQuestion, logger));
  }
  try {
    const created = await HandoffModel.create({
      channel: asker.channel,
      senderId: asker.senderId,
      roomId: asker.roomId,
      learnerId: asker.learnerId,
      question: 'stated' in question ? question.stated : (recent[0]?.question ?? question.fallback),
      reason,
      context,
      state: 'queued',
      openKey,
      createdAt: now,
    });
    logger.info(
      { handoffId: created._id, channel: asker.channel, senderId: asker.senderId, reason },
      'handoff queued',
    );
    return { handoff: created.toObject(), created: true };
  } catch (error) {
    // A concurrent message of the same sender queued one first.
    if (!isDuplicateKeyError(error)) throw error;
    return {
      handoff: await HandoffModel.findOne({ openKey }).orFail().lean<Handoff>(),
      created: false,
    };
  }
}

/** Lists handoffs in one state, oldest first. */
export async function listHandoffs(state: HandoffStateName, limit: number): Promise<Handoff[]> {
  return HandoffModel.find({ state }).sort({ createdAt: 1, _id: 1 }).limit(limit).lean<Handoff[]>();
}

async function findHandoff(id: string): Promise<Handoff> {
  const handoff = Types.ObjectId.isValid(id)
    ? await HandoffModel.findById(id).lean<Handoff>()
    : null;
  if (!handoff) throw notFound('Handoff', id);
  return handoff;
}

/** Returns why a handoff that is not queued cannot be answered. */
function notQueuedConflict(handoff: Handoff) {
  const id = handoff._id.toHexString();
  const reasons: Record<Exclude<HandoffStateName, 'queued'>, string> = {
    answered: 'its answer waits for the bot to deliver it',
    delivered: 'its answer was delivered',
    delivery_failed:
      handoff.channel === 'official_account'
        ? 'its delivery failed, and it is sent again when the learner next writes'
        : 'its delivery failed',
  };
  const state = handoff.state === 'queued' ? 'answered' : handoff.state;
  return conflict(
    'handoff_state_conflict',
    `Handoff ${id} was answered already: ${reasons[state]}`,
  );
}

/** Returns the text that delivers an operator's answer to the learner. */
export function handoffAnswerText(handoff: Pick<Handoff, 'question' | 'answer'>): string {
  return `人工客服回复您的问题"${handoff.question}"：\n${handoff.answer ?? ''}`;
}

/** Sends a customer-service text on the official account, or null when it is not configured. */
export type OfficialAccountSender =
  ((openid: string, text: string) => Promise<CustomerServiceResult>) | null;

/**
 * Records an operator's answer to a queued handoff, then delivers it on the official account at
 * once. A bot handoff stays `answered` until the bot reports the delivery. Throws 409
 * `handoff_state_conflict` when the handoff was already answered, also to all but one of several
 * operators who answer it at the same time.
 */
export async function answerHandoff(
  id: string,
  answer: string,
  operator: string,
  now: Date,
  sendOnOfficialAccount: OfficialAccountSender,
  logger: Logger,
): Promise<Handoff> {
  const handoff = await findHandoff(id);
  if (handoff.state !== 'queued') throw notQueuedConflict(handoff);
  // The unique insert picks the one answer that wins. The handoff's state cannot pick it, because
  // FerretDB v1 does not apply a conditional update atomically.
  // NOTE: a crash between this insert and the update below leaves the handoff queued and
  // unanswerable through the API.
  try {
    await HandoffAnswerModel.create({ handoffId: handoff._id, operator, answeredAt: now });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    throw conflict(
      'handoff_state_conflict',
      `Handoff ${id} was answered already by another operator: reload the queue`,
    );
  }
  await HandoffModel.updateOne(
    { _id: handoff._id },
    {
      $set: {
        state: 'answered',
        answer,
        operator,
        answeredAt: now,
        openKey: `closed:${handoff._id.toHexString()}`,
      },
    },
  );
  logger.info({ handoffId: handoff._id, operator }, 'handoff answered');

  if (handoff.channel === 'official_account') {
    await deliverOnOfficialAccount({ ...handoff, answer }, now, sendOnOfficialAccount, logger);
  }
  return findHandoff(id);
}

/** Sends a handoff's answer as a customer-service message and returns why it failed, or null. */
async function sendAnswerOnOfficialAccount(
  handoff: Handoff,
  send: OfficialAccountSender,
): Promise<string | null> {
  if (send === null) return 'the official account is not configured on this server';
  try {
    const result = await send(handoff.senderId, handoffAnswerText(handoff));
    if (result.kind === 'sent') return null;
    if (result.kind === 'outside_window') {
      return `outside the customer-service window: ${result.reason}`;
    }
    return `WeChat rejected the message: errcode ${result.errcode}`;
  } catch (failure) {
    return `sending failed: ${failure instanceof Error ? failure.message : String(failure)}`;
  }
}

async function deliverOnOfficialAccount(
  handoff: Handoff,
  now: Date,
  send: OfficialAccountSender,
  logger: Logger,
): Promise<void> {
  const error = await sendAnswerOnOfficialAccount(handoff, send);
  const change =
    error === null
      ? { state: 'delivered' as const, deliveredAt: now }
      : { state: 'delivery_failed' as const, deliveryError: error };
  await HandoffModel.updateOne({ _id: handoff._id, state: 'answered' }, { $set: change });
  logger.info(
    { handoffId: handoff._id, state: change.state, deliveryError: error },
    'handoff answer delivery on the official account finished',
  );
}

/**
 * True for an official-account answer that missed the learner and is sent again when the learner
 * next writes, which reopens the customer-service window.
 */
export function isRedeliveryPending(
  handoff: Pick<Handoff, 'channel' | 'state' | 'redeliveryAttempts'>,
): boolean {
  return (
    handoff.channel === 'official_account' &&
    handoff.state === 'delivery_failed' &&
    // Handoffs stored before redelivery existed have no count.
    (handoff.redeliveryAttempts ?? 0) < MAX_OFFICIAL_ACCOUNT_REDELIVERIES
  );
}

/**
 * Sends again the undelivered official-account answers of a follower who has just written or
 * interacted, oldest answer first. Each try rests on a unique claim of (handoff, attempt), so of
 * several concurrent messages of the follower only one sends each answer. An answer is tried at
 * most MAX_OFFICIAL_ACCOUNT_REDELIVERIES times, and at most SERVICE_WINDOW_MESSAGES - 1 answers
 * per message, which leaves the window one message for a late reply.
 */
export async function redeliverHandoffAnswers(
  openid: string,
  now: Date,
  send: OfficialAccountSender,
  logger: Logger,
): Promise<void> {
  const failed = await HandoffModel.find({
    channel: 'official_account',
    senderId: openid,
    state: 'delivery_failed',
  })
    .sort({ answeredAt: 1, _id: 1 })
    .lean<Handoff[]>();
  const pending = failed.filter(isRedeliveryPending).slice(0, SERVICE_WINDOW_MESSAGES - 1);
  for (const handoff of pending) {
    const attempt = (handoff.redeliveryAttempts ?? 0) + 1;
    try {
      await HandoffRedeliveryModel.create({ handoffId: handoff._id, attempt, claimedAt: now });
    } catch (error) {
      // A concurrent message of the same follower claimed this attempt.
      if (!isDuplicateKeyError(error)) throw error;
      continue;
    }
    const error = await sendAnswerOnOfficialAccount(handoff, send);
    const change =
      error === null
        ? {
            state: 'delivered' as const,
            deliveredAt: now,
            deliveryError: null,
            redeliveryAttempts: attempt,
          }
        : { deliveryError: error, redeliveryAttempts: attempt };
    await HandoffModel.updateOne({ _id: handoff._id }, { $set: change });
    logger.info(
      { handoffId: handoff._id, attempt, delivered: error === null, deliveryError: error },
      'handoff answer redelivery on the official account finished',
    );
  }
}

/** Lists answered bot handoffs whose answer the bot has not sent yet, oldest answer first. */
export async function listBotOutbox(): Promise<Handoff[]> {
  return HandoffModel.find({ channel: 'bot', state: 'answered' })
    .sort({ answeredAt: 1, _id: 1 })
    .limit(OUTBOX_BATCH)
    .lean<Handoff[]>();
}

/**
 * Records the bot's report on sending an answer: `delivered`, or a failure. After
 * MAX_BOT_DELIVERY_ATTEMPTS failures the handoff becomes `delivery_failed`; before that it stays in
 * the outbox. Repeating a report of a finished delivery changes nothing.
 */
export async function acknowledgeBotDelivery(
  id: string,
  report: { delivered: boolean; error?: string },
  now: Date,
  logger: Logger,
): Promise<Handoff> {
  const handoff = await findHandoff(id);
  if (handoff.channel !== 'bot') throw notFound('Bot handoff', id);
  if (handoff.state === 'delivered' || handoff.state === 'delivery_failed') return handoff;
  if (handoff.state !== 'answered') {
    throw conflict(
      'handoff_state_conflict',
      `Handoff ${id} is queued: it has no answer to deliver`,
    );
  }

  if (report.delivered) {
    await HandoffModel.updateOne(
      { _id: handoff._id, state: 'answered' },
      { $set: { state: 'delivered', deliveredAt: now } },
    );
  } else {
    const attempts = handoff.deliveryAttempts + 1;
    const error = report.error ?? 'the bot did not say why';
    await HandoffModel.updateOne(
      { _id: handoff._id, state: 'answered' },
      {
        $set: {
          deliveryAttempts: attempts,
          deliveryError: error,
          ...(attempts >= MAX_BOT_DELIVERY_ATTEMPTS ? { state: 'delivery_failed' } : {}),
        },
      },
    );
  }
  const updated = await findHandoff(id);
  logger.info(
    { handoffId: handoff._id, state: updated.state, attempts: updated.deliveryAttempts },
    'bot delivery report recorded',
  );
  return updated;
}

export type SaveToFaqRequest =
  | {
      mode: 'new_entry';
      code: string;
      category: string;
      standardQuestion?: string;
      answer?: string;
    }
  | { mode: 'paraphrase'; entryCode: string; paraphrase?: string };

/**
 * Saves an answered handoff into the FAQ: a new enabled entry whose question and answer default
 * to the handoff's, or the handoff's question as a paraphrase of an existing enabled entry. Throws
 * 409 `handoff_state_conflict` for a handoff that has no answer yet or was saved already, and 409
 * `faq_entry_disabled` for a paraphrase of a disabled entry. A save that fails leaves the handoff
 * saveable.
 */
export async function saveHandoffToFaq(id: string, request: SaveToFaqRequest): Promise<FaqEntry> {
  const handoff = await findHandoff(id);
  if (handoff.answer === null) {
    throw conflict('handoff_state_conflict', `Handoff ${id} is queued: answer it before saving it`);
  }
  const question =
    request.mode === 'paraphrase'
      ? (request.paraphrase ?? handoff.question)
      : (request.standardQuestion ?? handoff.question);
  // A handoff opened by a bare 转人工 carries no question worth answering from the FAQ, and a
  // question that contains a request for a person would make later requests match that entry.
  if (parsePersonRequest(question) !== null) {
    throw validationFailed(
      `Handoff ${id} has a request for a person as its question: give the question to save`,
    );
  }
  if (request.mode === 'paraphrase') {
    // A disabled entry is never answered, so its new paraphrase would teach the bot nothing.
    const entry = await getFaqEntry(request.entryCode);
    if (!entry.enabled) {
      throw conflict(
        'faq_entry_disabled',
        `FAQ entry ${entry.code} is disabled, so the bot does not answer with it: enable it ` +
          `first (POST /api/admin/assistant/faq/${entry.code}/enable), then save again`,
      );
    }
  }

  // The unique mark lets one of several concurrent saves write to the FAQ.
  try {
    await HandoffFaqSaveModel.create({ handoffId: handoff._id, savedAt: new Date() });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    throw conflict(
      'handoff_state_conflict',
      `Handoff ${id} was already saved to the FAQ, or another save of it is running`,
    );
  }
  const answer = handoff.answer;
  try {
    if (request.mode === 'paraphrase') return await addFaqParaphrase(request.entryCode, question);
    return await createFaqEntry({
      code: request.code,
      category: request.category,
      standardQuestion: question,
      paraphrases: [],
      answer: request.answer ?? answer,
      enabled: true,
    });
  } catch (error) {
    // Nothing was saved (an unknown entry, a taken code): the operator may save it again.
    // NOTE: a crash before this delete leaves the handoff marked as saved.
    await HandoffFaqSaveModel.deleteOne({ handoffId: handoff._id });
    throw error;
  }
}
