// The FAQ assistant: answers a question from the knowledge base, logs every question with what it
// replied, and reports the questions it could not answer. Used by the mini-program route with a
// signed-in learner and, through askFromChannel, by the official-account webhook and the chat bot
// with a sender id.
import type { AssistantChannel, AssistantIntent, CourseLink } from '@wxlearn/api-types';
import { Types } from 'mongoose';
import { trusted } from '../../db/trusted.js';
import type { Logger } from '../../logger.js';
import { AssistantQuestionModel, type AssistantQuestion } from './assistant-question.model.js';
import { decideAnswer, searchFaq, type FaqMatch } from './faq-index.js';
import { getFaqSnapshot } from './faq-snapshot.js';
import { questionKey } from './faq-text.js';
import { answerIntent, detectIntent } from './intents.js';
import { SlidingWindowRateLimiter, type RateDecision } from './rate-limiter.js';

/** Maximum question length in characters; a longer question gets the TOO_LONG_MESSAGE reply. */
export const MAX_QUESTION_CHARS = 200;

/** Questions allowed per asker per minute. */
export const QUESTIONS_PER_MINUTE = 20;

/**
 * How long after a question a request for a person (转人工) still marks it as not helped, in ms.
 */
export const PERSON_REQUEST_WINDOW_MS = 30 * 60_000;

export const TOO_LONG_MESSAGE =
  '您的问题有点长，请用一两句话（200字以内）描述您想问的问题，我们会尽快为您解答。';
export const RATE_LIMITED_MESSAGE = '您提问太频繁了，请稍等一分钟后再问。';

/**
 * Rate limits of the askers of this server copy. NOTE: it lives in memory, so with N
 * server copies behind a load balancer an asker can get up to N times the limit, and a restart
 * forgets it. That is acceptable for a limit that protects against floods, not for quotas.
 */
const rateLimiter = new SlidingWindowRateLimiter({
  limit: QUESTIONS_PER_MINUTE,
  windowMs: 60_000,
  maxKeys: 100_000,
});

/**
 * Who asks: a signed-in learner of the mini-program, or a sender on a chat channel with the
 * learner their chat identity is bound to (null or absent when unbound) and the group chat they
 * wrote in (null or absent for a one-to-one chat).
 */
export type Asker =
  | { channel: 'mini_program'; learnerId: Types.ObjectId }
  | {
      channel: AssistantChannel;
      senderId: string;
      learnerId?: Types.ObjectId | null;
      roomId?: string | null;
    };

export interface AnswerResult {
  kind: 'answer';
  entryId: string;
  code: string;
  question: string;
  answer: string;
  confidence: number;
}

export interface DontKnowResult {
  kind: 'dont_know';
  suggestions: { entryId: string; code: string; question: string }[];
}

/** A reply from the asker's records or from the catalog (see intents.ts). */
export interface IntentResult {
  kind: 'intent';
  intent: AssistantIntent;
  text: string;
  courses: CourseLink[];
}

/** Reply of the assistant to one question. */
export type AssistantResult =
  | AnswerResult
  | DontKnowResult
  | IntentResult
  | { kind: 'too_long'; message: string }
  | { kind: 'rate_limited'; message: string; retryAfterSeconds: number };

export interface AskOptions {
  now: Date;
  logger: Logger;
}

// A message that only asks for a person: 人工, 转人工, 人工客服, 我要找客服, 真人 …
const PERSON_REQUEST =
  /^(?:我要|我想|请|帮我|麻烦)?(?:转|找|接|联系|呼叫)?(?:人工|真人|客服)(?:客服|服务)?$/u;

/** True when the question only asks to talk to a person. */
export function isPersonRequest(question: string): boolean {
  return PERSON_REQUEST.test(questionKey(question));
}

/**
 * True when the asker's rate limit allows a question at `now`. Records nothing, so a caller can
 * skip costly parsing of a message that ask() will reject anyway.
 */
export function questionAllowed(asker: Asker, now: Date): boolean {
  return rateLimiter.allows(rateKey(asker), now.getTime());
}

/**
 * Counts one question against the asker's rate limit, as ask() does first. For a reply that is
 * chosen without calling ask(), such as small talk.
 */
export function takeQuestionSlot(asker: Asker, now: Date): RateDecision {
  return rateLimiter.take(rateKey(asker), now.getTime());
}

function rateKey(asker: Asker): string {
  return asker.channel === 'mini_program'
    ? `learner:${asker.learnerId.toString()}`
    : `${asker.channel}:${asker.senderId}`;
}

/**
 * Returns the filter on the question log for one conversation of the asker: a chat sender's
 * questions in one group chat, or in their one-to-one chat (`roomId: null`, which also matches
 * rows logged before the room was recorded).
 */
export function conversationFilter(asker: Asker) {
  return asker.channel === 'mini_program'
    ? { channel: asker.channel, learnerId: asker.learnerId }
    : { channel: asker.channel, senderId: asker.senderId, roomId: asker.roomId ?? null };
}

/**
 * Marks the asker's latest question of the last PERSON_REQUEST_WINDOW_MS in the same conversation
 * as followed by a request for a person, so the report counts it as not helped. Returns false when
 * there was no such question. ask() calls it for a bare request, and the chat conversation calls
 * it for a request that states its question (我要转人工，发票怎么开).
 */
export async function markAskedForPerson(asker: Asker, now: Date): Promise<boolean> {
  const latest = await AssistantQuestionModel.findOne({
    ...conversationFilter(asker),
    personRequest: false,
    createdAt: trusted({ $gte: new Date(now.getTime() - PERSON_REQUEST_WINDOW_MS) }),
  })
    .sort({ createdAt: -1 })
    .lean<AssistantQuestion>();
  if (!latest) return false;
  await AssistantQuestionModel.updateOne({ _id: latest._id }, { $set: { askedForPerson: true } });
  return true;
}

/** Stores one question; a failure is logged and swallowed, because the reply matters more. */
async function logQuestion(
  asker: Asker,
  fields: Omit<
    AssistantQuestion,
    | '_id'
    | 'channel'
    | 'learnerId'
    | 'senderId'
    | 'roomId'
    | 'questionKey'
    | 'askedForPerson'
    | 'createdAt'
    | 'intent'
  > & { intent?: AssistantIntent },
  options: AskOptions,
): Promise<void> {
  try {
    await AssistantQuestionModel.create({
      channel: asker.channel,
      learnerId: asker.channel === 'mini_program' ? asker.learnerId : null,
      senderId: asker.channel === 'mini_program' ? null : asker.senderId,
      roomId: asker.channel === 'mini_program' ? null : (asker.roomId ?? null),
      questionKey: questionKey(fields.question),
      askedForPerson: false,
      createdAt: options.now,
      intent: null,
      ...fields,
    });
  } catch (error) {
    options.logger.error({ err: error, channel: asker.channel }, 'assistant question not logged');
  }
}

function suggestionOf(match: FaqMatch) {
  return { entryId: match.entryId, code: match.code, question: match.question };
}

/**
 * Answers a question. In order: the asker's rate limit (QUESTIONS_PER_MINUTE, every question
 * counts), the length limit (MAX_QUESTION_CHARS), intents (the asker's hours, required courses,
 * last exam, course search), then FAQ retrieval. A question asking for a person also marks the
 * asker's previous question. Every question that passes the rate limit is logged. A blank question
 * gets "don't know" without suggestions and is not logged.
 */
export async function ask(
  asker: Asker,
  rawQuestion: string,
  options: AskOptions,
): Promise<AssistantResult> {
  const limit = rateLimiter.take(rateKey(asker), options.now.getTime());
  if (!limit.allowed) {
    const retryAfterSeconds = Math.ceil(limit.retryAfterMs / 1000);
    options.logger.debug(
      { channel: asker.channel, retryAfterSeconds },
      'assistant question rate limited',
    );
    return { kind: 'rate_limited', message: RATE_LIMITED_MESSAGE, retryAfterSeconds };
  }

  const question = rawQuestion.trim();
  if (question === '') return { kind: 'dont_know', suggestions: [] };
  const characters = [...question];
  if (characters.length > MAX_QUESTION_CHARS) {
    await logQuestion(
      asker,
      {
        question: characters.slice(0, MAX_QUESTION_CHARS).join(''),
        outcome: 'too_long',
        entryId: null,
        entryCode: null,
        confidence: null,
        suggestedCodes: [],
        personRequest: false,
      },
      options,
    );
    return { kind: 'too_long', message: TOO_LONG_MESSAGE };
  }

  const personRequest = isPersonRequest(question);
  if (personRequest) await markAskedForPerson(asker, options.now);

  const intent = personRequest ? null : detectIntent(question);
  if (intent !== null) {
    const answer = await answerIntent(
      intent,
      asker.channel === 'mini_program'
        ? { learnerId: asker.learnerId, inGroup: false }
        : { learnerId: asker.learnerId ?? null, inGroup: (asker.roomId ?? null) !== null },
      options.now,
    );
    await logQuestion(
      asker,
      {
        question,
        outcome: 'intent',
        intent: answer.intent,
        entryId: null,
        entryCode: null,
        confidence: null,
        suggestedCodes: [],
        personRequest: false,
      },
      options,
    );
    return { kind: 'intent', intent: answer.intent, text: answer.text, courses: answer.courses };
  }

  const snapshot = await getFaqSnapshot(options.logger);
  const matches = searchFaq(snapshot.index, question);
  const decision = decideAnswer(matches, snapshot.index.scoring);
  const confidence = matches[0]?.confidence ?? null;
  const entry = decision.kind === 'answer' ? snapshot.byId.get(decision.match.entryId) : undefined;

  if (decision.kind === 'answer' && entry) {
    await logQuestion(
      asker,
      {
        question,
        outcome: 'answered',
        entryId: new Types.ObjectId(entry.id),
        entryCode: entry.code,
        confidence,
        suggestedCodes: [],
        personRequest,
      },
      options,
    );
    return {
      kind: 'answer',
      entryId: entry.id,
      code: entry.code,
      question: entry.standardQuestion,
      answer: entry.answer,
      confidence: decision.match.confidence,
    };
  }

  const suggestions = decision.kind === 'dont_know' ? decision.suggestions.map(suggestionOf) : [];
  await logQuestion(
    asker,
    {
      question,
      outcome: 'dont_know',
      entryId: null,
      entryCode: null,
      confidence,
      suggestedCodes: suggestions.map((suggestion) => suggestion.code),
      personRequest,
    },
    options,
  );
  return { kind: 'dont_know', suggestions };
}

/**
 * Answers a question that arrived on a chat channel (the official account's webhook or the bot)
 * from the sender with this id, in the group chat `roomId` or, when it is null or absent, in a
 * one-to-one chat, under the same rules and rate limit as the mini-program. Personal intents are
 * answered for `learnerId`, the learner the sender is bound to, and rejected in a group.
 */
export function askFromChannel(
  channel: AssistantChannel,
  senderId: string,
  question: string,
  options: AskOptions & { learnerId?: Types.ObjectId | null; roomId?: string | null },
): Promise<AssistantResult> {
  const { learnerId = null, roomId = null, ...askOptions } = options;
  return ask({ channel, senderId, learnerId, roomId }, question, askOptions);
}

/** One line of the unanswered-question report. */
export interface UnansweredQuestion {
  /** The normalised question that groups repeats (see `questionKey`). */
  questionKey: string;
  /** The latest wording asked with this key. */
  example: string;
  /** Times asked in the period with a "don't know" reply or followed by a request for a person. */
  count: number;
  /** How many of those were followed by a request for a person. */
  askedForPersonCount: number;
  lastAskedAt: Date;
}

/**
 * Lists the most frequent questions of `[from, to)` that the assistant could not answer: replied
 * "don't know", or answered but followed by a request for a person. Most frequent first, ties in
 * key order. Uses only `$match`, `$group` with `$sum` and `$sort`, which FerretDB v1 supports.
 */
export async function listUnansweredQuestions(period: {
  from: Date;
  to: Date;
  limit?: number;
}): Promise<UnansweredQuestion[]> {
  const limit = Math.min(Math.max(period.limit ?? 20, 1), 200);
  const inPeriod = { createdAt: trusted({ $gte: period.from, $lt: period.to }) };
  const unanswered = {
    ...inPeriod,
    $or: [{ outcome: 'dont_know' as const }, { askedForPerson: true }],
  };
  const groups = await AssistantQuestionModel.aggregate<{ _id: string; count: number }>([
    { $match: unanswered },
    { $group: { _id: '$questionKey', count: { $sum: 1 } } },
    { $sort: { count: -1, _id: 1 } },
    { $limit: limit },
  ]);
  if (groups.length === 0) return [];

  const keys = groups.map((group) => group._id);
  const personCounts = await AssistantQuestionModel.aggregate<{ _id: string; count: number }>([
    { $match: { ...inPeriod, askedForPerson: true, questionKey: trusted({ $in: keys }) } },
    { $group: { _id: '$questionKey', count: { $sum: 1 } } },
  ]);
  const personCountByKey = new Map(personCounts.map((group) => [group._id, group.count]));

  return Promise.all(
    groups.map(async (group) => {
      const latest = await AssistantQuestionModel.findOne(
        { ...unanswered, questionKey: group._id },
        { question: 1, createdAt: 1 },
      )
        .sort({ createdAt: -1 })
        .lean<Pick<AssistantQuestion, 'question' | 'createdAt'>>();
      return {
        questionKey: group._id,
        example: latest?.question ?? group._id,
        count: group.count,
        askedForPersonCount: personCountByKey.get(group._id) ?? 0,
        lastAskedAt: latest?.createdAt ?? period.to,
      };
    }),
  );
}
