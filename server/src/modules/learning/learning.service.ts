/**
 * The learning ledger: sessions, heartbeats and credited time, stored insert-only.
 *
 * - A session is inserted once by the start call. Its end is a separate insert under a unique
 *   sessionId, so the first end call's time is kept and a second end call credits nothing more.
 * - Every received heartbeat is inserted with the server's `receivedAt` (one per batch) under a
 *   unique (sessionId, seq): the first copy of a seq wins, resent copies change nothing.
 * - Credit is never stored as a running total. Each call recomputes it with `creditLearner` from
 *   the stored sessions, ends and heartbeats, then inserts the session's credited intervals as
 *   evidence (see credited-interval.model.ts). Recomputing from the same records gives the
 *   same totals.
 *
 * Window of the cross-device de-duplication: a session credits at most `MAX_SESSION_MS` after
 * its start, and later heartbeats are rejected as `after_end` so that the client starts a new
 * session. Every session that can overlap session S in server time therefore started within
 * [S.startedAt - MAX_SESSION_MS, now]. That bounded query, on (learnerId, startedAt), plus every
 * session of S's lesson (for lesson progress, which spans days), is what gets credited together.
 * Old sessions of the lesson are de-duplicated against other lessons only inside that window.
 */
import type { Types } from 'mongoose';
import { isDuplicateKeyError } from '../../db/errors.js';
import { trusted } from '../../db/trusted.js';
import { notFound, validationFailed } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { LessonModel } from '../catalog/lesson.model.js';
import { DEFAULT_CREDIT_RULES } from './credit-rules.js';
import type { CreditRules } from './credit-rules.js';
import type { HeartbeatInput, RejectionReason, SessionCredit } from './crediting.js';
import { CreditedIntervalModel } from './credited-interval.model.js';
import { HeartbeatModel } from './heartbeat.model.js';
import { clipRanges, unionLength } from './intervals.js';
import { creditLearner } from './learner-credit.js';
import type { LessonCredit, SessionRecord } from './learner-credit.js';
import {
  LearningSessionModel,
  SessionEndModel,
  type LearningSession,
} from './learning-session.model.js';
import type { HeartbeatBody } from './learning.schemas.js';
import { positiveOrNull, type LessonFacts } from './lesson-facts.js';

/** Maximum time after its start that a session can credit, and the look-back of the overlap query. */
export const MAX_SESSION_MS = 12 * 3_600_000;

export interface LearningDeps {
  logger: Logger;
  now?: () => Date;
  rules?: CreditRules;
}

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

export interface SessionState {
  session: LearningSession;
  endedAt: Date | null;
}

export interface BatchOutcome {
  sessionId: string;
  acceptedSeqs: number[];
  rejected: { seq: number; reason: RejectionReason }[];
  /** This session's credit after de-duplication with the learner's overlapping sessions. */
  creditedMs: number;
  endedAt: Date | null;
  lesson: LessonProgressResult;
}

interface Recomputed {
  sessionCredit: SessionCredit;
  attributedMs: number;
  endedAt: Date | null;
  lesson: LessonProgressResult;
}

export class LearningService {
  private readonly now: () => Date;
  private readonly rules: CreditRules;

  constructor(private readonly deps: LearningDeps) {
    this.now = deps.now ?? (() => new Date());
    this.rules = deps.rules ?? DEFAULT_CREDIT_RULES;
  }

  /** Starts a session, or returns the one already started with this clientSessionId. */
  async startSession(
    learnerId: Types.ObjectId,
    lessonId: string,
    clientSessionId: string,
  ): Promise<SessionState & { resumePosition: number | null }> {
    const lesson = await LessonModel.findById(lessonId).lean();
    if (!lesson) throw notFound('Lesson', lessonId);

    let session: LearningSession;
    try {
      const created = await LearningSessionModel.create({
        learnerId,
        clientSessionId,
        lessonId: lesson._id,
        courseId: lesson.courseId,
        lesson: {
          type: lesson.type,
          durationSeconds: lesson.content.durationSeconds ?? null,
          pageCount: lesson.content.pageCount ?? null,
          wordCount: lesson.content.wordCount ?? null,
        },
        startedAt: this.now(),
      });
      session = created.toObject() as LearningSession;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const existing = await LearningSessionModel.findOne({ learnerId, clientSessionId }).lean();
      if (!existing) throw error;
      if (!existing.lessonId.equals(lesson._id)) {
        throw validationFailed(
          `clientSessionId ${clientSessionId} already belongs to a session of another lesson`,
        );
      }
      session = existing as LearningSession;
    }

    const recomputed = await this.recompute(session);
    return {
      session,
      endedAt: recomputed.endedAt,
      resumePosition: recomputed.lesson.lastPosition,
    };
  }

  /** Stores a batch of heartbeats and returns which counted and the recomputed credit. */
  async recordHeartbeats(
    learnerId: Types.ObjectId,
    sessionId: string,
    heartbeats: readonly HeartbeatBody[],
  ): Promise<BatchOutcome> {
    const session = await this.ownedSession(learnerId, sessionId);
    const inserted = await this.storeHeartbeats(session, heartbeats, this.now());
    const recomputed = await this.recompute(session);
    return this.outcome(session, heartbeats, inserted, recomputed);
  }

  /** Ends a session once: the first call's time is kept, later calls credit nothing more. */
  async endSession(
    learnerId: Types.ObjectId,
    sessionId: string,
    finalHeartbeat: HeartbeatBody | undefined,
  ): Promise<BatchOutcome> {
    const session = await this.ownedSession(learnerId, sessionId);
    const now = this.now();
    const beats = finalHeartbeat ? [finalHeartbeat] : [];
    const inserted = await this.storeHeartbeats(session, beats, now);
    try {
      await SessionEndModel.create({ sessionId: session._id, endedAt: now });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const recomputed = await this.recompute(session);
    return this.outcome(session, beats, inserted, recomputed);
  }

  /** Computes the learner's progress and resume position in a lesson over all their sessions of it. */
  async lessonProgress(learnerId: Types.ObjectId, lessonId: string): Promise<LessonProgressResult> {
    const lesson = await LessonModel.findById(lessonId).lean();
    if (!lesson) throw notFound('Lesson', lessonId);

    const latest = await LearningSessionModel.findOne({ learnerId, lessonId: lesson._id })
      .sort({ startedAt: -1 })
      .lean();
    if (!latest) return emptyProgress(lessonId, lesson.type);
    return (await this.recompute(latest as LearningSession)).lesson;
  }

  private async ownedSession(
    learnerId: Types.ObjectId,
    sessionId: string,
  ): Promise<LearningSession> {
    // Another learner's session is reported as missing, so session ids reveal nothing.
    const session = await LearningSessionModel.findOne({ _id: sessionId, learnerId }).lean();
    if (!session) throw notFound('Learning session', sessionId);
    return session as LearningSession;
  }

  /** Inserts the heartbeats and returns the batch indexes that were stored as first copies. */
  private async storeHeartbeats(
    session: LearningSession,
    heartbeats: readonly HeartbeatBody[],
    receivedAt: Date,
  ): Promise<Set<number>> {
    const inserted = new Set<number>(heartbeats.map((_, index) => index));
    if (heartbeats.length === 0) return inserted;

    const documents = heartbeats.map((beat) => ({
      sessionId: session._id,
      learnerId: session.learnerId,
      seq: beat.seq,
      clientMs: beat.clientMs,
      receivedAt,
      position: beat.position ?? null,
      playbackRate: beat.playbackRate ?? null,
      paused: beat.paused ?? false,
      hidden: beat.hidden ?? false,
      resumed: beat.resumed ?? false,
    }));
    try {
      // Unordered, so one duplicate does not stop the rest. The first copy in the batch wins.
      await HeartbeatModel.insertMany(documents, { ordered: false });
    } catch (error) {
      const writeErrors = duplicateWriteErrors(error);
      if (!writeErrors) throw error;
      for (const index of writeErrors) inserted.delete(index);
    }
    return inserted;
  }

  /** Credits the session together with every session that can overlap it, from stored records. */
  private async recompute(session: LearningSession): Promise<Recomputed> {
    const now = this.now();
    const windowStart = new Date(session.startedAt.getTime() - MAX_SESSION_MS);
    const [overlapping, sameLesson] = await Promise.all([
      LearningSessionModel.find({
        learnerId: session.learnerId,
        startedAt: trusted({ $gte: windowStart, $lte: now }),
      }).lean(),
      LearningSessionModel.find({
        learnerId: session.learnerId,
        lessonId: session.lessonId,
      }).lean(),
    ]);
    // NOTE: old sessions of this lesson outside the window are credited without the learner's
    // other lessons of their time, so a lesson studied on two devices alongside another lesson
    // long ago may count that overlap for both lessons.
    const sessions = new Map<string, LearningSession>();
    for (const item of [session, ...overlapping, ...sameLesson]) {
      sessions.set(item._id.toHexString(), item as LearningSession);
    }
    const ids = [...sessions.values()].map((item) => item._id);

    // One equality query per session: FerretDB v1 passes an equality filter on to PostgreSQL but
    // evaluates `$in` itself after reading the whole collection (166 ms against 4 ms with 3,000
    // heartbeats stored, measured with explain).
    const [endLists, beatLists] = await Promise.all([
      Promise.all(ids.map((id) => SessionEndModel.find({ sessionId: id }).lean())),
      Promise.all(ids.map((id) => HeartbeatModel.find({ sessionId: id }).lean())),
    ]);
    const ends = endLists.flat();
    const stored = beatLists.flat();
    const endOf = new Map(ends.map((end) => [end.sessionId.toHexString(), end.endedAt]));
    const beatsOf = new Map<string, HeartbeatInput[]>();
    for (const beat of stored) {
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

    const credit = creditLearner(records, this.rules);
    const sessionKey = session._id.toHexString();
    const index = records.findIndex((record) => record.session.sessionId === sessionKey);
    const sessionCredit = credit.sessions[index]!;
    let attributedMs = 0;
    for (const piece of credit.intervals) {
      if (piece.sessionId === sessionKey) attributedMs += piece.endMs - piece.startMs;
    }
    const lessonKey = session.lessonId.toHexString();
    const lessonCredit = credit.lessons.find((item) => item.lessonId === lessonKey)!;

    await this.storeEvidence(session, sessionCredit, now);
    return {
      sessionCredit,
      attributedMs,
      endedAt: endOf.get(sessionKey) ?? null,
      lesson: presentableProgress(lessonCredit),
    };
  }

  /** Inserts the session's credited intervals that are not stored yet. */
  private async storeEvidence(
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
      if (!duplicateWriteErrors(error)) throw error;
    }
  }

  private outcome(
    session: LearningSession,
    heartbeats: readonly HeartbeatBody[],
    inserted: ReadonlySet<number>,
    recomputed: Recomputed,
  ): BatchOutcome {
    const acceptedSeqs = new Set(recomputed.sessionCredit.accepted.map((beat) => beat.seq));
    const reasons = new Map<number, RejectionReason>();
    for (const item of recomputed.sessionCredit.rejected) {
      if (!reasons.has(item.seq)) reasons.set(item.seq, item.reason);
    }

    const accepted: number[] = [];
    const rejected: { seq: number; reason: RejectionReason }[] = [];
    heartbeats.forEach((beat, index) => {
      if (!inserted.has(index)) rejected.push({ seq: beat.seq, reason: 'duplicate' });
      else if (acceptedSeqs.has(beat.seq)) accepted.push(beat.seq);
      else rejected.push({ seq: beat.seq, reason: reasons.get(beat.seq) ?? 'invalid' });
    });

    const sessionId = session._id.toHexString();
    this.deps.logger.debug(
      {
        sessionId,
        accepted: accepted.length,
        rejected: rejected.length,
        creditedMs: recomputed.attributedMs,
      },
      'heartbeats recorded',
    );
    return {
      sessionId,
      acceptedSeqs: accepted,
      rejected,
      creditedMs: recomputed.attributedMs,
      endedAt: recomputed.endedAt,
      lesson: recomputed.lesson,
    };
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

function emptyProgress(lessonId: string, type: LessonFacts['type']): LessonProgressResult {
  return {
    lessonId,
    creditedMs: 0,
    complete: false,
    watchedSeconds: type === 'video' ? 0 : null,
    pagesSeen: type === 'document' ? [] : null,
    maxScrollRatio: null,
    lastPosition: null,
  };
}

/**
 * Returns the batch indexes that failed as duplicates when every write error of an unordered
 * insert is a duplicate key, or null when the error is anything else.
 */
function duplicateWriteErrors(error: unknown): number[] | null {
  const writeErrors = (error as { writeErrors?: unknown } | null)?.writeErrors;
  // An unordered insertMany reports duplicates as a bulk write error. Any other shape is
  // unexpected and re-thrown, because guessing which documents were stored could lose credit.
  if (!Array.isArray(writeErrors)) return null;
  const indexes: number[] = [];
  for (const item of writeErrors as {
    index?: unknown;
    code?: unknown;
    err?: { code?: unknown };
  }[]) {
    const code = item.code ?? item.err?.code;
    if (code !== 11000 || typeof item.index !== 'number') return null;
    indexes.push(item.index);
  }
  return indexes;
}
