/**
 * Crediting of one learning session from its heartbeats. Pure functions: the credit is
 * recomputed from the stored heartbeats whenever it is needed, so it never depends on how often
 * or in which order the client called the server.
 *
 * Client contract (the mini-program player must follow it for exact credit):
 * - The start call records the server time `startedAt`. Right after it returns, the client sends
 *   heartbeat seq 1, then one heartbeat every `heartbeatIntervalMs` while the lesson is open and
 *   visible, with seq increasing by 1 and `clientMs` read from a monotonic clock.
 * - Heartbeats that fail to send are queued and sent later in order. While the queue is not
 *   empty, new heartbeats join its end, because a seq received after a higher one is rejected.
 *   The server stamps one `receivedAt` on every heartbeat of a batch. Seq numbers are never
 *   reused.
 * - On hide the client sends (or queues) a heartbeat with `hidden: true`. On show it sends one at
 *   once with `resumed: true`. Either flag alone keeps the hidden time out of the credit. Without
 *   both, the gap still credits at most `heartbeatIntervalMs + heartbeatToleranceMs`.
 * - Video: a heartbeat with `paused: true` on pause and one without it on play, and one on every
 *   rate change. On a seek, one heartbeat just before it and one just after it, so that played
 *   seconds on either side of the seek are kept.
 * - Document: a heartbeat on every page change, so every page seen is recorded. Article: the
 *   position is the share of the text that has been on screen, viewport included.
 * - The end call carries a last heartbeat. The ledger sets `endedAt` once, from the first end
 *   call, so a repeated end call adds nothing.
 *
 * The ledger must keep every heartbeat it received for a session, rejected ones included (at
 * least the first copy of each seq), because acceptance depends on what arrived before.
 */
import { assertValidRules, DEFAULT_CREDIT_RULES, maxGapCreditMs } from './credit-rules.js';
import type { CreditRules } from './credit-rules.js';
import { mergeRanges, sumLengths } from './intervals.js';
import type { NumberRange } from './intervals.js';
import { normalizePosition, videoCreditCapMs } from './lesson-facts.js';
import type { LessonFacts } from './lesson-facts.js';
import { mediaSubRange, playedMediaRange } from './video-coverage.js';

/** A learning session as recorded by the start and end calls. Times are epoch ms. */
export interface SessionInput {
  sessionId: string;
  lesson: LessonFacts;
  /** Server time of the start call. */
  startedAt: number;
  /**
   * Server time of the first end call, or null while the session is open. Heartbeats received
   * after it are rejected. It must never move once set.
   */
  endedAt?: number | null;
}

/** A heartbeat as received: the client's fields plus the server's `receivedAt` stamp. */
export interface HeartbeatInput {
  sessionId: string;
  /** 1, 2, … in the order the client produced the heartbeats. */
  seq: number;
  /** Client monotonic clock in ms. Only differences between heartbeats matter. */
  clientMs: number;
  /** Server time when the request carrying this heartbeat arrived, epoch ms. */
  receivedAt: number;
  /** Video second, document page (1-based) or article share on screen (0 to 1). */
  position?: number | null;
  /** Video playback rate, 1 when missing. */
  playbackRate?: number;
  /** Video player paused as of this heartbeat: the following gap credits nothing. */
  paused?: boolean;
  /** App went to the background right after this heartbeat: the following gap credits nothing. */
  hidden?: boolean;
  /** First heartbeat after the app came back: the preceding gap credits nothing. */
  resumed?: boolean;
}

/** A heartbeat that counts, with its place on the server timeline. */
export interface AcceptedHeartbeat {
  seq: number;
  clientMs: number;
  receivedAt: number;
  /**
   * Server time the heartbeat was produced, estimated as `startedAt + (clientMs - clientMs of
   * the first accepted heartbeat)`, never later than `receivedAt` and never earlier than
   * `receivedAt - maxQueueDelayMs` or the estimate for the previous heartbeat.
   */
  serverTimeMs: number;
  /** Position normalized for the lesson type, or null when missing or unusable. */
  position: number | null;
  playbackRate: number;
  paused: boolean;
  hidden: boolean;
  resumed: boolean;
}

export type RejectionReason =
  /** Missing or malformed field: seq not a positive integer, non-finite time, rate not > 0. */
  | 'invalid'
  /** The heartbeat belongs to another session. */
  | 'wrong_session'
  /** The seq was already received. The first copy decides, whether accepted or rejected. */
  | 'duplicate'
  /** A higher seq of the session was already accepted. */
  | 'late'
  /** `clientMs` is lower than that of the previous accepted heartbeat. */
  | 'clock_backwards'
  /** The client claims more time since its first heartbeat than the server saw since start. */
  | 'ahead_of_server_clock'
  /** Received before the session start. */
  | 'before_start'
  /** Received after the session ended. */
  | 'after_end';

export interface RejectedHeartbeat {
  /** Index of the heartbeat in the input array, to find the stored record. */
  index: number;
  seq: number;
  receivedAt: number;
  reason: RejectionReason;
}

/** Learning time credited to a session, on the server timeline, with its evidence. */
export interface CreditedInterval {
  sessionId: string;
  lessonId: string;
  /** Server time, epoch ms, half-open `[startMs, endMs)`. */
  startMs: number;
  endMs: number;
  /** The accepted heartbeats that bound the gap this time was credited from. */
  fromSeq: number;
  toSeq: number;
  fromReceivedAt: number;
  toReceivedAt: number;
  fromPosition: number | null;
  toPosition: number | null;
  /** Media seconds counted as watched during this interval (video lessons only). */
  watched: NumberRange | null;
}

export type UncreditedReason =
  | 'hidden'
  | 'resumed'
  | 'paused'
  /** The gap was longer than `heartbeatIntervalMs + heartbeatToleranceMs`. */
  | 'over_cap'
  /** The client's clock ran ahead of the server's, within the allowed skew. */
  | 'server_clock'
  /** The video lesson reached its cap of duration times `videoCreditFactor`. */
  | 'video_cap';

/** Client time between two accepted heartbeats that was not credited, and why. */
export interface UncreditedGap {
  fromSeq: number;
  toSeq: number;
  uncreditedMs: number;
  reason: UncreditedReason;
}

/** A session's contribution to lesson completion and resume. */
export interface SessionProgress {
  /** Distinct media seconds watched, merged and sorted (video lessons only). */
  watchedRanges: NumberRange[];
  /** Pages reported by accepted heartbeats, sorted (document lessons only). */
  pagesSeen: number[];
  /** Highest share of the article on screen, or null for other lessons and without a position. */
  maxScrollRatio: number | null;
  /** Position of the last accepted heartbeat that had one, for resuming. */
  lastPosition: number | null;
}

export interface SessionCredit {
  sessionId: string;
  lessonId: string;
  /** Accepted heartbeats in seq order. */
  accepted: AcceptedHeartbeat[];
  /** Rejected heartbeats in the order they were examined. */
  rejected: RejectedHeartbeat[];
  /** Disjoint credited intervals in time order. */
  intervals: CreditedInterval[];
  uncredited: UncreditedGap[];
  /** Sum of the intervals, never more than `receivedAt` of the last accepted minus `startedAt`. */
  creditedMs: number;
  progress: SessionProgress;
}

/**
 * Credits one session from every heartbeat received for it, including duplicates and rejected
 * ones, so that the first copy of each seq decides.
 *
 * Heartbeats are examined in order of `receivedAt`, then seq, then input order, which sorts a
 * replayed batch by seq. The gap between consecutive accepted heartbeats credits the difference
 * of their `clientMs`, at most `heartbeatIntervalMs + heartbeatToleranceMs`, and at most the
 * server time between their estimated production times. The credited part starts at the earlier
 * heartbeat. A video lesson credits at most its duration times `videoCreditFactor`, earliest
 * time first. The result depends only on the inputs, so ending a session twice credits it once.
 * Throws an Error when the session or the rules are invalid.
 */
export function creditSession(
  session: SessionInput,
  heartbeats: readonly HeartbeatInput[],
  rules: CreditRules = DEFAULT_CREDIT_RULES,
): SessionCredit {
  assertValidRules(rules);
  assertValidSession(session);

  const { accepted, rejected } = acceptHeartbeats(session, heartbeats, rules);
  const gaps = creditGaps(session, accepted, rules);
  const capped = applyVideoCap(session.lesson, gaps.intervals, rules);
  const uncredited = [...gaps.uncredited, ...capped.uncredited];

  return {
    sessionId: session.sessionId,
    lessonId: session.lesson.lessonId,
    accepted,
    rejected,
    intervals: capped.intervals,
    uncredited,
    creditedMs: sumLengths(
      capped.intervals.map((item) => ({ start: item.startMs, end: item.endMs })),
    ),
    progress: sessionProgress(session.lesson, accepted, capped.intervals),
  };
}

function assertValidSession(session: SessionInput): void {
  if (!Number.isFinite(session.startedAt)) {
    throw new Error(`invalid session ${session.sessionId}: startedAt ${session.startedAt}`);
  }
  const endedAt = session.endedAt;
  if (endedAt !== null && endedAt !== undefined && !(endedAt >= session.startedAt)) {
    throw new Error(
      `invalid session ${session.sessionId}: endedAt ${endedAt} is before startedAt ${session.startedAt}`,
    );
  }
}

function isValidSeq(seq: unknown): seq is number {
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1;
}

function hasValidFields(heartbeat: HeartbeatInput): boolean {
  const rate = heartbeat.playbackRate;
  const rateValid = rate === undefined || (Number.isFinite(rate) && rate > 0);
  return Number.isFinite(heartbeat.clientMs) && rateValid;
}

/** Decides which heartbeats count, in the examination order described on `creditSession`. */
function acceptHeartbeats(
  session: SessionInput,
  heartbeats: readonly HeartbeatInput[],
  rules: CreditRules,
): { accepted: AcceptedHeartbeat[]; rejected: RejectedHeartbeat[] } {
  const rejected: RejectedHeartbeat[] = [];
  const reject = (index: number, heartbeat: HeartbeatInput, reason: RejectionReason): void => {
    rejected.push({ index, seq: heartbeat.seq, receivedAt: heartbeat.receivedAt, reason });
  };

  // Without a valid seq and receivedAt a heartbeat cannot even be ordered.
  const ordered: number[] = [];
  heartbeats.forEach((heartbeat, index) => {
    if (isValidSeq(heartbeat.seq) && Number.isFinite(heartbeat.receivedAt)) {
      ordered.push(index);
    } else {
      reject(index, heartbeat, 'invalid');
    }
  });
  ordered.sort((a, b) => {
    const first = heartbeats[a]!;
    const second = heartbeats[b]!;
    return first.receivedAt - second.receivedAt || first.seq - second.seq || a - b;
  });

  const seenSeqs = new Set<number>();
  const accepted: AcceptedHeartbeat[] = [];
  const endedAt = session.endedAt ?? null;
  let clockOffsetMs: number | null = null;

  for (const index of ordered) {
    const heartbeat = heartbeats[index]!;
    if (heartbeat.sessionId !== session.sessionId) {
      reject(index, heartbeat, 'wrong_session');
      continue;
    }
    if (seenSeqs.has(heartbeat.seq)) {
      reject(index, heartbeat, 'duplicate');
      continue;
    }
    // From here on the seq is spent. A later copy is a duplicate even if this one is rejected,
    // so resending a heartbeat can never turn a rejection into credit.
    seenSeqs.add(heartbeat.seq);

    const previous = accepted.at(-1);
    const anchorClientMs = accepted[0]?.clientMs ?? heartbeat.clientMs;
    let reason: RejectionReason | null = null;
    if (!hasValidFields(heartbeat)) reason = 'invalid';
    else if (heartbeat.receivedAt < session.startedAt) reason = 'before_start';
    else if (endedAt !== null && heartbeat.receivedAt > endedAt) reason = 'after_end';
    else if (previous && heartbeat.seq < previous.seq) reason = 'late';
    else if (previous && heartbeat.clientMs < previous.clientMs) reason = 'clock_backwards';
    else if (
      heartbeat.clientMs - anchorClientMs >
      heartbeat.receivedAt - session.startedAt + rules.clockSkewMs
    ) {
      reason = 'ahead_of_server_clock';
    }
    if (reason !== null) {
      reject(index, heartbeat, reason);
      continue;
    }

    // Server time = client time + offset. The offset starts by mapping the first heartbeat to
    // the session start. It only grows, so that no heartbeat is placed more than
    // `maxQueueDelayMs` before its receipt and a client clock that under-reports elapsed time
    // cannot move credit back into idle time, where it would overlap no other session.
    const floorOffsetMs = heartbeat.receivedAt - heartbeat.clientMs - rules.maxQueueDelayMs;
    clockOffsetMs = Math.max(clockOffsetMs ?? session.startedAt - anchorClientMs, floorOffsetMs);
    accepted.push({
      seq: heartbeat.seq,
      clientMs: heartbeat.clientMs,
      receivedAt: heartbeat.receivedAt,
      serverTimeMs: Math.min(heartbeat.clientMs + clockOffsetMs, heartbeat.receivedAt),
      position: normalizePosition(session.lesson, heartbeat.position),
      playbackRate: heartbeat.playbackRate ?? 1,
      paused: heartbeat.paused === true,
      hidden: heartbeat.hidden === true,
      resumed: heartbeat.resumed === true,
    });
  }
  return { accepted, rejected };
}

/**
 * Credits each gap between consecutive accepted heartbeats. Accepted heartbeats have rising seq,
 * `clientMs`, `receivedAt` and therefore `serverTimeMs`, so the intervals come out disjoint and
 * in time order.
 */
function creditGaps(
  session: SessionInput,
  accepted: readonly AcceptedHeartbeat[],
  rules: CreditRules,
): { intervals: CreditedInterval[]; uncredited: UncreditedGap[] } {
  const intervals: CreditedInterval[] = [];
  const uncredited: UncreditedGap[] = [];
  const isVideo = session.lesson.type === 'video';

  for (let i = 1; i < accepted.length; i++) {
    const from = accepted[i - 1]!;
    const to = accepted[i]!;
    const elapsedMs = to.clientMs - from.clientMs;
    const gap = { fromSeq: from.seq, toSeq: to.seq };

    let skipReason: UncreditedReason | null = null;
    if (from.hidden) skipReason = 'hidden';
    else if (to.resumed) skipReason = 'resumed';
    else if (isVideo && from.paused) skipReason = 'paused';
    if (skipReason !== null) {
      if (elapsedMs > 0) uncredited.push({ ...gap, uncreditedMs: elapsedMs, reason: skipReason });
      continue;
    }

    const allowedMs = Math.min(elapsedMs, maxGapCreditMs(rules));
    const creditedMs = Math.min(allowedMs, to.serverTimeMs - from.serverTimeMs);
    if (creditedMs < elapsedMs) {
      const reason = allowedMs < elapsedMs ? 'over_cap' : 'server_clock';
      uncredited.push({ ...gap, uncreditedMs: elapsedMs - creditedMs, reason });
    }
    if (creditedMs <= 0) continue;

    intervals.push({
      sessionId: session.sessionId,
      lessonId: session.lesson.lessonId,
      startMs: from.serverTimeMs,
      endMs: from.serverTimeMs + creditedMs,
      ...gap,
      fromReceivedAt: from.receivedAt,
      toReceivedAt: to.receivedAt,
      fromPosition: from.position,
      toPosition: to.position,
      watched: isVideo ? playedMediaRange(from, to, creditedMs, rules) : null,
    });
  }
  return { intervals, uncredited };
}

/** Cuts a video session's credit at the lesson cap, keeping the earliest time. */
function applyVideoCap(
  lesson: LessonFacts,
  intervals: readonly CreditedInterval[],
  rules: CreditRules,
): { intervals: CreditedInterval[]; uncredited: UncreditedGap[] } {
  const capMs = videoCreditCapMs(lesson, rules);
  if (capMs === null) return { intervals: [...intervals], uncredited: [] };

  const kept: CreditedInterval[] = [];
  const uncredited: UncreditedGap[] = [];
  let remainingMs = capMs;
  for (const interval of intervals) {
    const lengthMs = interval.endMs - interval.startMs;
    const keptMs = Math.min(lengthMs, remainingMs);
    remainingMs -= keptMs;
    if (keptMs < lengthMs) {
      uncredited.push({
        fromSeq: interval.fromSeq,
        toSeq: interval.toSeq,
        uncreditedMs: lengthMs - keptMs,
        reason: 'video_cap',
      });
    }
    if (keptMs <= 0) continue;

    const endMs = interval.startMs + keptMs;
    const watched = mediaSubRange(
      interval.watched,
      interval.startMs,
      interval.endMs,
      interval.startMs,
      endMs,
    );
    kept.push({ ...interval, endMs, watched });
  }
  return { intervals: kept, uncredited };
}

function sessionProgress(
  lesson: LessonFacts,
  accepted: readonly AcceptedHeartbeat[],
  intervals: readonly CreditedInterval[],
): SessionProgress {
  const positions = accepted
    .map((heartbeat) => heartbeat.position)
    .filter((position): position is number => position !== null);

  const watched = intervals
    .map((interval) => interval.watched)
    .filter((range): range is NumberRange => range !== null);

  return {
    watchedRanges: lesson.type === 'video' ? mergeRanges(watched) : [],
    pagesSeen: lesson.type === 'document' ? [...new Set(positions)].sort((a, b) => a - b) : [],
    maxScrollRatio: lesson.type === 'article' && positions.length > 0 ? maxOf(positions) : null,
    lastPosition: positions.at(-1) ?? null,
  };
}

/** Returns the largest value without spreading the array into arguments, which long arrays overflow. */
function maxOf(values: readonly number[]): number {
  return values.reduce((max, value) => Math.max(max, value), -Infinity);
}
