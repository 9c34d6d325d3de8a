/**
 * Learning sessions: start, heartbeats, end and progress.
 *
 * - A session is inserted once by the start call. Its end is a separate insert under a unique
 *   sessionId, so the first end call's time is kept and a second end call credits nothing more.
 * - Heartbeats go through `HeartbeatIntake`: checked, stored insert-only under a unique
 *   (sessionId, seq), and answered without computing credit.
 * - Credit is never stored as a running total. The end call, the progress call and "my hours"
 *   compute it from the stored records with `creditLearner` (learning-ledger.ts); the end call
 *   and `settleRecent` also write the derived records (evidence, lesson progress, completions).
 */
import type { Types } from 'mongoose';
import { isDuplicateKeyError } from '../../db/errors.js';
import { trusted } from '../../db/trusted.js';
import { ApiError, notFound, validationFailed } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { assertLessonAccess } from '../catalog/course-access.js';
import { CourseModel } from '../catalog/course.model.js';
import { LessonModel } from '../catalog/lesson.model.js';
import { DEFAULT_CREDIT_RULES } from './credit-rules.js';
import type { CreditRules } from './credit-rules.js';
import type { RejectionReason } from './crediting.js';
import { HeartbeatIntake, MAX_SESSION_MS, type IntakeResult } from './heartbeat-intake.js';
import {
  computeCredit,
  resumeStateOf,
  settleCredit,
  settleCredits,
  type ComputedCredit,
  type LessonProgressResult,
} from './learning-ledger.js';
import {
  LearningSessionModel,
  SessionEndModel,
  type LearningSession,
} from './learning-session.model.js';
import type { HeartbeatBody } from './learning.schemas.js';
import type { LessonFacts } from './lesson-facts.js';

export { MAX_SESSION_MS } from './heartbeat-intake.js';

/**
 * Sessions a learner may start within `MAX_SESSION_MS`: far above a day of study (a lesson opened
 * every 6 minutes for 12 hours), low enough to bound the cost of computing their credit.
 */
export const MAX_SESSIONS_PER_WINDOW = 120;
export type { LessonProgressResult } from './learning-ledger.js';

export interface LearningDeps {
  logger: Logger;
  now?: () => Date;
  rules?: CreditRules;
}

export interface SessionState {
  session: LearningSession;
  endedAt: Date | null;
}

export interface BatchOutcome {
  sessionId: string;
  acceptedSeqs: number[];
  rejected: { seq: number; reason: RejectionReason }[];
}

export interface EndOutcome extends BatchOutcome {
  /** This session's credit after de-duplication with the learner's overlapping sessions. */
  creditedMs: number;
  endedAt: Date | null;
  lesson: LessonProgressResult;
}

export class LearningService {
  private readonly now: () => Date;
  private readonly rules: CreditRules;
  private readonly intake: HeartbeatIntake;

  constructor(private readonly deps: LearningDeps) {
    this.now = deps.now ?? (() => new Date());
    this.rules = deps.rules ?? DEFAULT_CREDIT_RULES;
    this.intake = new HeartbeatIntake(this.rules);
  }

  /** Starts a session, or returns the one already started with this clientSessionId. */
  async startSession(
    learnerId: Types.ObjectId,
    lessonId: string,
    clientSessionId: string,
  ): Promise<SessionState & { resumePosition: number | null }> {
    const lesson = await LessonModel.findById(lessonId).lean();
    // A lesson of an unpublished course is as invisible here as in the catalog.
    const course =
      lesson && (await CourseModel.findById(lesson.courseId, { published: 1, priceFen: 1 }).lean());
    if (!lesson || !course?.published) throw notFound('Lesson', lessonId);
    // A paid course's lessons earn time only for a learner who bought it. Heartbeats need no check
    // of their own: they belong to a session, and a session is started only here.
    await assertLessonAccess(course, learnerId);
    await this.checkSessionQuota(learnerId, clientSessionId);

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
      this.intake.primeNewSession(session);
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

    const resume = await resumeStateOf(session, this.now(), this.rules);
    return { session, endedAt: resume.endedAt, resumePosition: resume.lastPosition };
  }

  /**
   * Rejects a new session when the learner started `MAX_SESSIONS_PER_WINDOW` in the last
   * `MAX_SESSION_MS`: every credit computation reads all of them, so an unbounded number would let
   * one learner slow the server for everyone. A retried start of an existing session passes.
   */
  private async checkSessionQuota(learnerId: Types.ObjectId, clientSessionId: string) {
    const since = new Date(this.now().getTime() - MAX_SESSION_MS);
    const recent = await LearningSessionModel.find(
      { learnerId, startedAt: trusted({ $gte: since }) },
      { clientSessionId: 1 },
    ).lean();
    if (recent.length < MAX_SESSIONS_PER_WINDOW) return;
    if (recent.some((item) => item.clientSessionId === clientSessionId)) return;
    throw new ApiError(
      429,
      'too_many_sessions',
      `${recent.length} learning sessions were started in the last 12 hours, the most allowed: try again later`,
    );
  }

  /** Checks and stores a batch of heartbeats; credit is computed later, from what is stored. */
  async recordHeartbeats(
    learnerId: Types.ObjectId,
    sessionId: string,
    heartbeats: readonly HeartbeatBody[],
  ): Promise<BatchOutcome> {
    const session = await this.intake.ownedSession(learnerId, sessionId);
    const result = await this.intake.receive(session, heartbeats, this.now());
    return batchOutcome(heartbeats, result);
  }

  /**
   * Ends a session once: the first call's time is kept, later calls credit nothing more. Then
   * computes the session's credit and writes the records derived from it.
   */
  async endSession(
    learnerId: Types.ObjectId,
    sessionId: string,
    finalHeartbeat: HeartbeatBody | undefined,
  ): Promise<EndOutcome> {
    const session = await this.intake.ownedSession(learnerId, sessionId);
    const now = this.now();
    const beats = finalHeartbeat ? [finalHeartbeat] : [];
    const result = await this.intake.receive(session, beats, now);
    let endedAt = now;
    try {
      await SessionEndModel.create({ sessionId: session._id, endedAt: now });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const first = await SessionEndModel.findOne({ sessionId: session._id }).lean();
      if (first) endedAt = first.endedAt;
    }
    await this.intake.noteEnded(session, endedAt);
    const computed = await settleCredit(session, now, this.rules);
    const outcome = batchOutcome(beats, result);
    this.deps.logger.debug(
      { sessionId, creditedMs: computed.attributedMs, endedAt },
      'learning session ended',
    );
    return endOutcome(outcome, computed);
  }

  /** Computes the learner's progress and resume position in a lesson over all their sessions of it. */
  async lessonProgress(learnerId: Types.ObjectId, lessonId: string): Promise<LessonProgressResult> {
    const lesson = await LessonModel.findById(lessonId).lean();
    if (!lesson) throw notFound('Lesson', lessonId);

    const latest = await LearningSessionModel.findOne({ learnerId, lessonId: lesson._id })
      .sort({ startedAt: -1 })
      .lean();
    if (!latest) return emptyProgress(lessonId, lesson.type);
    return (await computeCredit(latest as LearningSession, this.now(), this.rules)).lesson;
  }

  /**
   * Writes the derived records of every lesson the learner studied in sessions that can still
   * earn credit (started within `MAX_SESSION_MS`), including sessions that were never ended
   * because the app was closed. Returns the number of lessons settled.
   */
  async settleRecent(learnerId: Types.ObjectId): Promise<number> {
    return settleRecentSessions(learnerId, this.now(), this.rules);
  }
}

/** See `LearningService.settleRecent`. */
export async function settleRecentSessions(
  learnerId: Types.ObjectId,
  now: Date,
  rules: CreditRules = DEFAULT_CREDIT_RULES,
): Promise<number> {
  const since = new Date(now.getTime() - MAX_SESSION_MS);
  const recent = await LearningSessionModel.find({
    learnerId,
    startedAt: trusted({ $gte: since }),
  })
    .sort({ startedAt: -1 })
    .lean();
  // The latest session of each lesson: computing it covers all the lesson's sessions.
  const latestOfLesson = new Map<string, LearningSession>();
  for (const session of recent) {
    const key = session.lessonId.toHexString();
    if (!latestOfLesson.has(key)) latestOfLesson.set(key, session as LearningSession);
  }
  return settleCredits(learnerId, [...latestOfLesson.values()], now, rules);
}

/**
 * Settles every learner with a session that can still earn credit. Returns how many learners and
 * lessons were settled.
 */
export async function settleActiveLearners(
  now: Date,
  rules: CreditRules = DEFAULT_CREDIT_RULES,
): Promise<{ learners: number; lessons: number }> {
  const since = new Date(now.getTime() - MAX_SESSION_MS);
  const sessions = await LearningSessionModel.find(
    { startedAt: trusted({ $gte: since }) },
    { learnerId: 1 },
  ).lean();
  const learners = new Map(sessions.map((item) => [item.learnerId.toHexString(), item.learnerId]));
  let lessons = 0;
  for (const learnerId of learners.values()) {
    lessons += await settleRecentSessions(learnerId, now, rules);
  }
  return { learners: learners.size, lessons };
}

function batchOutcome(heartbeats: readonly HeartbeatBody[], result: IntakeResult): BatchOutcome {
  return {
    sessionId: result.session._id.toHexString(),
    acceptedSeqs: result.stored.map((index) => heartbeats[index]!.seq),
    rejected: result.rejected.map(({ seq, reason }) => ({ seq, reason })),
  };
}

function endOutcome(outcome: BatchOutcome, computed: ComputedCredit): EndOutcome {
  return {
    ...outcome,
    creditedMs: computed.attributedMs,
    endedAt: computed.endedAt,
    lesson: computed.lesson,
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
