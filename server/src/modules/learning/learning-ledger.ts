/**
 * Credit computed from the ledger (sessions, ends and heartbeats as stored), and the derived
 * records written from it: credited intervals as evidence, each lesson's progress, and course
 * completions with their official hours.
 *
 * Window of the cross-device de-duplication: a session credits at most `MAX_SESSION_MS` after
 * its start. Every session that can overlap session S in server time therefore started within
 * [S.startedAt - MAX_SESSION_MS, now]. That bounded query, plus every session of S's lesson (for
 * lesson progress, which spans days), is what gets credited together.
 */
import type { Types } from 'mongoose';
import { duplicateIndexes } from '../../db/group-insert.js';
import { isDuplicateKeyError } from '../../db/errors.js';
import { trusted } from '../../db/trusted.js';
import { CourseModel } from '../catalog/course.model.js';
import { LessonModel } from '../catalog/lesson.model.js';
import { addByYear, shanghaiYear } from '../hours/calendar.js';
import type { CreditRules } from './credit-rules.js';
import type { HeartbeatInput, SessionCredit } from './crediting.js';
import { CourseCompletionModel } from './course-completion.model.js';
import { CreditedIntervalModel } from './credited-interval.model.js';
import { HeartbeatModel } from './heartbeat.model.js';
import { MAX_SESSION_MS } from './heartbeat-intake.js';
import { clipRanges, unionLength } from './intervals.js';
import { creditLearner } from './learner-credit.js';
import type { LearnerCredit, LessonCredit, SessionRecord } from './learner-credit.js';
import {
  LearningSessionModel,
  SessionEndModel,
  type LearningSession,
} from './learning-session.model.js';
import { LessonProgressModel } from './lesson-progress.model.js';
import { positiveOrNull, type LessonFacts } from './lesson-facts.js';

/** A lesson's progress as the API reports it, with times in ms. */
export interface LessonProgressResult {
  lessonId: string;
  creditedMs: number;
  complete: boolean;
  watchedSeconds: number | null;
  pagesSeen: number[] | null;
  maxScrollRatio: number | null;
  lastPosition: number | null;
}

/** The credit of one session and its lesson, computed from stored records. */
export interface ComputedCredit {
  session: LearningSession;
  sessionCredit: SessionCredit;
  /** This session's credit after de-duplication with the learner's other sessions. */
  attributedMs: number;
  endedAt: Date | null;
  lesson: LessonProgressResult;
  /** The lesson's credited time per calendar year. */
  lessonByYear: Map<number, number>;
}

/** The credit of several lessons of one learner, computed together from stored records. */
interface LedgerCredit {
  credit: LearnerCredit;
  records: SessionRecord[];
  sessions: Map<string, LearningSession>;
  endOf: Map<string, Date>;
}

/**
 * Credits the focus sessions' lessons in one pass: every session of the learner that can overlap
 * one of the focus sessions (started up to `MAX_SESSION_MS` before the earliest of them), plus
 * every session of their lessons. Reads only.
 */
async function creditAround(
  learnerId: Types.ObjectId,
  focus: readonly LearningSession[],
  now: Date,
  rules: CreditRules,
  withOtherLessons = true,
): Promise<LedgerCredit> {
  const earliest = Math.min(...focus.map((item) => item.startedAt.getTime()));
  const windowStart = new Date(earliest - MAX_SESSION_MS);
  const lessonIds = new Map(focus.map((item) => [item.lessonId.toHexString(), item.lessonId]));
  const [overlapping, ...sameLesson] = await Promise.all([
    withOtherLessons
      ? LearningSessionModel.find({
          learnerId,
          startedAt: trusted({ $gte: windowStart, $lte: now }),
        }).lean()
      : Promise.resolve([]),
    ...[...lessonIds.values()].map((lessonId) =>
      LearningSessionModel.find({ learnerId, lessonId }).lean(),
    ),
  ]);
  // NOTE: old sessions of these lessons outside the window are credited without the learner's
  // other lessons of their time, so a lesson studied on two devices alongside another lesson
  // long ago may count that overlap for both lessons.
  const sessions = new Map<string, LearningSession>();
  for (const item of [...focus, ...overlapping, ...sameLesson.flat()]) {
    sessions.set(item._id.toHexString(), item as LearningSession);
  }
  const ids = [...sessions.values()].map((item) => item._id);

  // One equality query per session: FerretDB v1 passes an equality filter on to PostgreSQL but
  // evaluates `$in` itself after reading the whole collection.
  const [endLists, beatLists] = await Promise.all([
    Promise.all(ids.map((id) => SessionEndModel.find({ sessionId: id }).lean())),
    Promise.all(ids.map((id) => HeartbeatModel.find({ sessionId: id }).lean())),
  ]);
  const endOf = new Map(
    endLists.flat().map((end) => [end.sessionId.toHexString(), end.endedAt] as const),
  );
  const beatsOf = new Map<string, HeartbeatInput[]>();
  for (const beat of beatLists.flat()) {
    const key = beat.sessionId.toHexString();
    const list = beatsOf.get(key) ?? [];
    list.push(toHeartbeatInput(key, beat));
    beatsOf.set(key, list);
  }

  const records: SessionRecord[] = [...sessions.entries()]
    .sort(([, a], [, b]) => a.startedAt.getTime() - b.startedAt.getTime())
    .map(([key, item]) => {
      const startedAt = item.startedAt.getTime();
      const lastCreditable = startedAt + MAX_SESSION_MS;
      // The end call's clock may run behind the start call's when they reach different
      // server instances, and creditSession rejects an end before the start.
      const endedAt = Math.max(endOf.get(key)?.getTime() ?? lastCreditable, startedAt);
      return {
        session: {
          sessionId: key,
          lesson: lessonFacts(item),
          startedAt,
          endedAt: Math.min(endedAt, lastCreditable),
        },
        heartbeats: beatsOf.get(key) ?? [],
      };
    });
  return { credit: creditLearner(records, rules), records, sessions, endOf };
}

/** Picks one session's and its lesson's results out of a ledger computation. */
function creditOf(ledger: LedgerCredit, session: LearningSession): ComputedCredit {
  const sessionKey = session._id.toHexString();
  const lessonKey = session.lessonId.toHexString();
  const index = ledger.records.findIndex((record) => record.session.sessionId === sessionKey);
  let attributedMs = 0;
  const lessonByYear = new Map<number, number>();
  for (const piece of ledger.credit.intervals) {
    if (piece.sessionId === sessionKey) attributedMs += piece.endMs - piece.startMs;
    if (piece.lessonId === lessonKey) addByYear(lessonByYear, piece.startMs, piece.endMs);
  }
  const lessonCredit = ledger.credit.lessons.find((item) => item.lessonId === lessonKey)!;
  return {
    session,
    sessionCredit: ledger.credit.sessions[index]!,
    attributedMs,
    endedAt: ledger.endOf.get(sessionKey) ?? null,
    lesson: presentableProgress(lessonCredit),
    lessonByYear,
  };
}

/**
 * Returns where the learner stopped in the session's lesson and whether the session ended, from
 * the lesson's sessions alone: which heartbeats a session accepts does not depend on other
 * sessions, so the learner's other lessons need not be read.
 */
export async function resumeStateOf(
  session: LearningSession,
  now: Date,
  rules: CreditRules,
): Promise<{ lastPosition: number | null; endedAt: Date | null }> {
  const ledger = await creditAround(session.learnerId, [session], now, rules, false);
  const computed = creditOf(ledger, session);
  return { lastPosition: computed.lesson.lastPosition, endedAt: computed.endedAt };
}

/** Credits the session together with every session that can overlap it, reading only. */
export async function computeCredit(
  session: LearningSession,
  now: Date,
  rules: CreditRules,
): Promise<ComputedCredit> {
  return creditOf(await creditAround(session.learnerId, [session], now, rules), session);
}

/**
 * Computes the credit of the lessons of the given sessions of one learner in one pass, one
 * result per session, in the given order.
 */
export async function computeCredits(
  learnerId: Types.ObjectId,
  focus: readonly LearningSession[],
  now: Date,
  rules: CreditRules,
): Promise<ComputedCredit[]> {
  if (focus.length === 0) return [];
  const ledger = await creditAround(learnerId, focus, now, rules);
  return focus.map((session) => creditOf(ledger, session));
}

/** Computes the session's credit and writes what derives from it; returns the computation. */
export async function settleCredit(
  session: LearningSession,
  now: Date,
  rules: CreditRules,
): Promise<ComputedCredit> {
  const computed = await computeCredit(session, now, rules);
  await writeDerived(computed, now);
  return computed;
}

/**
 * Computes the credit of the lessons of the given sessions in one pass and writes what derives
 * from each; returns the number of sessions settled.
 */
export async function settleCredits(
  learnerId: Types.ObjectId,
  focus: readonly LearningSession[],
  now: Date,
  rules: CreditRules,
): Promise<number> {
  for (const computed of await computeCredits(learnerId, focus, now, rules)) {
    await writeDerived(computed, now);
  }
  return focus.length;
}

async function writeDerived(computed: ComputedCredit, now: Date): Promise<void> {
  const { session } = computed;
  await storeEvidence(session, computed.sessionCredit, now);
  const progress = await storeLessonProgress(computed, now);
  if (progress.complete) await completeCourseIfDone(session.learnerId, session.courseId, now);
}

/** The lesson-progress record a computation derives, without `completedAt`. */
export function derivedProgress(computed: ComputedCredit) {
  return {
    learnerId: computed.session.learnerId,
    lessonId: computed.session.lessonId,
    courseId: computed.session.courseId,
    creditedMs: computed.lesson.creditedMs,
    creditedByYear: [...computed.lessonByYear.entries()]
      .sort(([a], [b]) => a - b)
      .map(([year, creditedMs]) => ({ year, creditedMs })),
    complete: computed.lesson.complete,
    lastPosition: computed.lesson.lastPosition,
  };
}

/**
 * Replaces the lesson's progress record with the computation. Computations only grow (the ledger
 * is append-only), so the record keeps the first `completedAt`.
 */
async function storeLessonProgress(
  computed: ComputedCredit,
  now: Date,
): Promise<{ complete: boolean }> {
  const derived = derivedProgress(computed);
  const filter = { learnerId: derived.learnerId, lessonId: derived.lessonId };
  const existing = await LessonProgressModel.findOne(filter, { completedAt: 1 }).lean();
  const completedAt = existing?.completedAt ?? (derived.complete ? now : null);
  const update = { $set: { ...derived, completedAt, computedAt: now } };
  try {
    await LessonProgressModel.updateOne(filter, update, { upsert: true });
  } catch (error) {
    // Two first computations of the same lesson race: the loser updates the winner's record.
    if (!isDuplicateKeyError(error)) throw error;
    await LessonProgressModel.updateOne(filter, update);
  }
  return { complete: derived.complete };
}

/**
 * Inserts the course completion when every lesson of the course that is not optional is
 * complete. The unique index makes a second completion a no-op.
 */
export async function completeCourseIfDone(
  learnerId: Types.ObjectId,
  courseId: Types.ObjectId,
  now: Date,
): Promise<boolean> {
  if (await CourseCompletionModel.exists({ learnerId, courseId })) return false;
  const [lessons, progress, course] = await Promise.all([
    LessonModel.find({ courseId }, { optional: 1 }).lean(),
    LessonProgressModel.find({ learnerId, courseId }, { lessonId: 1, complete: 1 }).lean(),
    CourseModel.findById(courseId, { creditHours: 1 }).lean(),
  ]);
  const required = lessons.filter((lesson) => lesson.optional !== true);
  if (!course || required.length === 0) return false;
  const done = new Set(
    progress.filter((item) => item.complete).map((item) => item.lessonId.toHexString()),
  );
  if (!required.every((lesson) => done.has(lesson._id.toHexString()))) return false;

  const hours = positiveOrNull(course.creditHours ?? null);
  try {
    await CourseCompletionModel.create({
      learnerId,
      courseId,
      completedAt: now,
      year: shanghaiYear(now.getTime()),
      creditHours: hours ?? 0,
      hoursSet: hours !== null,
    });
    return true;
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}

/** Inserts the session's credited intervals that are not stored yet. */
async function storeEvidence(
  session: LearningSession,
  credit: SessionCredit,
  recordedAt: Date,
): Promise<void> {
  if (credit.intervals.length === 0) return;
  const stored = await CreditedIntervalModel.find({ sessionId: session._id })
    .select({ fromSeq: 1 })
    .lean();
  const known = new Set(stored.map((item) => item.fromSeq));
  const fresh = credit.intervals.filter((interval) => !known.has(interval.fromSeq));
  if (fresh.length === 0) return;
  try {
    await CreditedIntervalModel.insertMany(
      fresh.map((interval) => ({
        sessionId: session._id,
        learnerId: session.learnerId,
        lessonId: session.lessonId,
        startAt: new Date(interval.startMs),
        endAt: new Date(interval.endMs),
        fromSeq: interval.fromSeq,
        toSeq: interval.toSeq,
        fromPosition: interval.fromPosition,
        toPosition: interval.toPosition,
        watchedStart: interval.watched?.start ?? null,
        watchedEnd: interval.watched?.end ?? null,
        recordedAt,
      })),
      { ordered: false },
    );
  } catch (error) {
    // A concurrent request stored the same interval first: the first computation is kept.
    if (!duplicateIndexes(error)) throw error;
  }
}

function toHeartbeatInput(
  sessionId: string,
  beat: {
    seq: number;
    clientMs: number;
    receivedAt: Date;
    position?: number | null;
    playbackRate?: number | null;
    paused?: boolean | null;
    hidden?: boolean | null;
    resumed?: boolean | null;
  },
): HeartbeatInput {
  return {
    sessionId,
    seq: beat.seq,
    clientMs: beat.clientMs,
    receivedAt: beat.receivedAt.getTime(),
    position: beat.position ?? null,
    ...(typeof beat.playbackRate === 'number' ? { playbackRate: beat.playbackRate } : {}),
    paused: beat.paused === true,
    hidden: beat.hidden === true,
    resumed: beat.resumed === true,
  };
}

function lessonFacts(session: LearningSession): LessonFacts {
  return {
    lessonId: session.lessonId.toHexString(),
    type: session.lesson.type,
    durationSeconds: session.lesson.durationSeconds ?? null,
    pageCount: session.lesson.pageCount ?? null,
    wordCount: session.lesson.wordCount ?? null,
  };
}

function presentableProgress(credit: LessonCredit): LessonProgressResult {
  const { lesson, progress } = credit;
  let watchedSeconds: number | null = null;
  if (lesson.type === 'video') {
    const duration = positiveOrNull(lesson.durationSeconds) ?? Infinity;
    watchedSeconds = unionLength(clipRanges(progress.watchedRanges, 0, duration));
  }
  return {
    lessonId: credit.lessonId,
    creditedMs: progress.creditedMs,
    complete: credit.complete,
    watchedSeconds,
    pagesSeen: lesson.type === 'document' ? [...progress.pagesSeen] : null,
    maxScrollRatio: lesson.type === 'article' ? progress.maxScrollRatio : null,
    lastPosition: credit.lastPosition,
  };
}
