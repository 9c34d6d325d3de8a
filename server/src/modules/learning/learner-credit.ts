/**
 * Crediting of all of a learner's sessions together: one credited stream at a time. When
 * sessions on several devices overlap in server time, the overlap is credited once.
 */
import { isLessonComplete } from './completion.js';
import type { LessonProgress } from './completion.js';
import { assertValidRules, DEFAULT_CREDIT_RULES } from './credit-rules.js';
import type { CreditRules } from './credit-rules.js';
import { creditSession } from './crediting.js';
import type { CreditedInterval, HeartbeatInput, SessionCredit, SessionInput } from './crediting.js';
import { mergeRanges } from './intervals.js';
import type { NumberRange } from './intervals.js';
import { videoCreditCapMs } from './lesson-facts.js';
import type { LessonFacts } from './lesson-facts.js';
import { mediaSubRange } from './video-coverage.js';

/** One session with every heartbeat received for it. */
export interface SessionRecord {
  session: SessionInput;
  heartbeats: readonly HeartbeatInput[];
}

/** A piece of credited time given to exactly one session after de-duplication. */
export interface AttributedInterval {
  sessionId: string;
  lessonId: string;
  /** Server time, epoch ms, half-open `[startMs, endMs)`. */
  startMs: number;
  endMs: number;
  /** Seq numbers of the heartbeats that bound the session interval this piece comes from. */
  fromSeq: number;
  toSeq: number;
  /** Media seconds watched during this piece, assuming even playback (video lessons only). */
  watched: NumberRange | null;
}

export interface LessonCredit {
  lessonId: string;
  /** Facts of the lesson, taken from its first session in the input. */
  lesson: LessonFacts;
  progress: LessonProgress;
  complete: boolean;
  /** Position of the lesson's most recent accepted heartbeat that had one, for resuming. */
  lastPosition: number | null;
}

export interface LearnerCredit {
  /** Each session credited on its own, in input order, before de-duplication. */
  sessions: SessionCredit[];
  /** Disjoint pieces of credited time in time order. */
  intervals: AttributedInterval[];
  /** Total credited time: the union of all sessions' credit, minus lesson caps. */
  creditedMs: number;
  /** One entry per lesson, in order of first appearance in the input. */
  lessons: LessonCredit[];
}

/**
 * Credits a learner's sessions on one server timeline, so that playing on two devices at once
 * credits the union of their time, never the sum.
 *
 * Each moment covered by several sessions goes to one session: the one started first (ties by
 * sessionId), unless its lesson has used up its video cap, in which case the next session
 * covering the moment gets it. A video lesson's cap (duration times `videoCreditFactor`)
 * applies over all the given sessions, earliest time first, so pass the sessions of the period
 * whose total you need. Watched seconds count only from the time each moment was given to, caps
 * aside, so several devices playing different parts of a video at once do not complete it faster,
 * and a video whose cap was used up by rewatching can still be completed.
 * Throws an Error when two records share a sessionId or any session or rule is invalid.
 */
export function creditLearner(
  records: readonly SessionRecord[],
  rules: CreditRules = DEFAULT_CREDIT_RULES,
): LearnerCredit {
  assertValidRules(rules);
  assertUniqueSessions(records);

  const sessions = records.map((record) => creditSession(record.session, record.heartbeats, rules));
  const lessonFacts = firstFactsPerLesson(records);
  const intervals = attributeTime(records, sessions, lessonFacts, rules, true);
  // Watched seconds come from the learner's single stream without the video caps: time past a
  // cap earns nothing, but the seconds played in it still count toward completing the video.
  const watchIntervals = attributeTime(records, sessions, lessonFacts, rules, false);

  let creditedMs = 0;
  for (const interval of intervals) creditedMs += interval.endMs - interval.startMs;

  const lessons = [...lessonFacts.values()].map((lesson) =>
    lessonCredit(lesson, records, sessions, intervals, watchIntervals, rules),
  );
  return { sessions, intervals, creditedMs, lessons };
}

function assertUniqueSessions(records: readonly SessionRecord[]): void {
  const seen = new Set<string>();
  for (const { session } of records) {
    if (seen.has(session.sessionId)) {
      throw new Error(`duplicate session ${session.sessionId} in learner records`);
    }
    seen.add(session.sessionId);
  }
}

function firstFactsPerLesson(records: readonly SessionRecord[]): Map<string, LessonFacts> {
  const facts = new Map<string, LessonFacts>();
  for (const { session } of records) {
    if (!facts.has(session.lesson.lessonId)) facts.set(session.lesson.lessonId, session.lesson);
  }
  return facts;
}

interface Candidate {
  interval: CreditedInterval;
  /** Lower is preferred: rank of the session by start time, then sessionId. */
  priority: number;
}

/**
 * Sweeps the server timeline between consecutive interval boundaries. Within each slice, the
 * covering intervals are offered the slice in priority order, each taking as much as its
 * lesson's remaining cap allows.
 */
function attributeTime(
  records: readonly SessionRecord[],
  sessions: readonly SessionCredit[],
  lessonFacts: ReadonlyMap<string, LessonFacts>,
  rules: CreditRules,
  applyCaps: boolean,
): AttributedInterval[] {
  const rankOrder = records
    .map((record, index) => ({ session: record.session, index }))
    .sort(
      (a, b) =>
        a.session.startedAt - b.session.startedAt ||
        compareStrings(a.session.sessionId, b.session.sessionId),
    );
  const priorityOf = new Map<number, number>();
  rankOrder.forEach((entry, rank) => priorityOf.set(entry.index, rank));

  const candidates: Candidate[] = sessions
    .flatMap((credit, index) =>
      credit.intervals.map((interval) => ({ interval, priority: priorityOf.get(index)! })),
    )
    .sort((a, b) => a.interval.startMs - b.interval.startMs);

  const remainingCapMs = new Map<string, number>();
  for (const [lessonId, lesson] of lessonFacts) {
    const capMs = applyCaps ? videoCreditCapMs(lesson, rules) : null;
    if (capMs !== null) remainingCapMs.set(lessonId, capMs);
  }

  const boundaries = [
    ...new Set(candidates.flatMap((c) => [c.interval.startMs, c.interval.endMs])),
  ].sort((a, b) => a - b);

  const pieces: AttributedInterval[] = [];
  const sources: CreditedInterval[] = [];
  const lastPieceOf = new Map<CreditedInterval, AttributedInterval>();
  let active: Candidate[] = [];
  let nextCandidate = 0;

  for (let k = 0; k + 1 < boundaries.length; k++) {
    const sliceStart = boundaries[k]!;
    const sliceEnd = boundaries[k + 1]!;
    active = active.filter((candidate) => candidate.interval.endMs > sliceStart);
    while (
      nextCandidate < candidates.length &&
      candidates[nextCandidate]!.interval.startMs <= sliceStart
    ) {
      active.push(candidates[nextCandidate]!);
      nextCandidate++;
    }
    active.sort((a, b) => a.priority - b.priority);

    let cursor = sliceStart;
    for (const { interval } of active) {
      if (cursor >= sliceEnd) break;
      const remaining = remainingCapMs.get(interval.lessonId) ?? Infinity;
      const takeMs = Math.min(sliceEnd - cursor, remaining);
      if (takeMs <= 0) continue;
      if (remainingCapMs.has(interval.lessonId)) {
        remainingCapMs.set(interval.lessonId, remaining - takeMs);
      }

      const last = lastPieceOf.get(interval);
      if (last && last.endMs === cursor) {
        last.endMs = cursor + takeMs;
      } else {
        const piece: AttributedInterval = {
          sessionId: interval.sessionId,
          lessonId: interval.lessonId,
          startMs: cursor,
          endMs: cursor + takeMs,
          fromSeq: interval.fromSeq,
          toSeq: interval.toSeq,
          watched: null,
        };
        pieces.push(piece);
        sources.push(interval);
        lastPieceOf.set(interval, piece);
      }
      cursor += takeMs;
    }
  }

  pieces.forEach((piece, index) => {
    const source = sources[index]!;
    piece.watched = mediaSubRange(
      source.watched,
      source.startMs,
      source.endMs,
      piece.startMs,
      piece.endMs,
    );
  });
  return pieces;
}

function lessonCredit(
  lesson: LessonFacts,
  records: readonly SessionRecord[],
  sessions: readonly SessionCredit[],
  intervals: readonly AttributedInterval[],
  watchIntervals: readonly AttributedInterval[],
  rules: CreditRules,
): LessonCredit {
  const lessonId = lesson.lessonId;
  let creditedMs = 0;
  for (const interval of intervals) {
    if (interval.lessonId === lessonId) creditedMs += interval.endMs - interval.startMs;
  }
  const watched: NumberRange[] = [];
  for (const interval of watchIntervals) {
    if (interval.lessonId === lessonId && interval.watched) watched.push(interval.watched);
  }

  const pages = new Set<number>();
  let maxScrollRatio: number | null = null;
  let lastPosition: number | null = null;
  let lastPositionAt = -Infinity;
  sessions.forEach((credit, index) => {
    if (records[index]!.session.lesson.lessonId !== lessonId) return;
    for (const page of credit.progress.pagesSeen) pages.add(page);
    const ratio = credit.progress.maxScrollRatio;
    if (ratio !== null) maxScrollRatio = Math.max(maxScrollRatio ?? 0, ratio);

    const withPosition = credit.accepted.filter((heartbeat) => heartbeat.position !== null);
    const latest = withPosition.at(-1);
    if (latest && latest.serverTimeMs >= lastPositionAt) {
      lastPositionAt = latest.serverTimeMs;
      lastPosition = latest.position;
    }
  });

  const progress: LessonProgress = {
    creditedMs,
    watchedRanges: mergeRanges(watched),
    pagesSeen: [...pages].sort((a, b) => a - b),
    maxScrollRatio,
  };
  return {
    lessonId,
    lesson,
    progress,
    complete: isLessonComplete(lesson, progress, rules),
    lastPosition,
  };
}

function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}
