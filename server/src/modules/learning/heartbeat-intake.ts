/**
 * The heartbeat hot path: checks a batch against what this server copy knows of its session,
 * stores it, and answers without computing credit. At 6,000 learners online this path carries
 * about 400 requests per second, so it reads nothing from the database in the steady state:
 *
 * - A learning session is immutable once started, so it is cached by id.
 * - What the checks need of a session's stored heartbeats (which seqs, the highest, the client
 *   clock of the first) is cached per session, loaded with one query the first time this copy
 *   sees the session and kept up to date by the copy's own writes. The session start primes it.
 * - Inserts of all concurrent requests go to the database together (`GroupInsert`), and each
 *   request is answered after the insert carrying its heartbeats has finished.
 *
 * The checks here turn away input that a client following the contract never sends, with a 4xx
 * that stores nothing. They are not what decides credit: `creditSession` examines every stored
 * heartbeat again when credit is computed. A cache that is behind another server copy's writes
 * can therefore only let a heartbeat be stored that crediting later rejects; the unique
 * (sessionId, seq) index still keeps the first copy of each seq.
 */
import { LRUCache } from 'lru-cache';
import type { Types } from 'mongoose';
import { GroupInsert } from '../../db/group-insert.js';
import { ApiError, notFound } from '../../errors.js';
import type { CreditRules } from './credit-rules.js';
import { HeartbeatModel, type StoredHeartbeat } from './heartbeat.model.js';
import {
  LearningSessionModel,
  SessionEndModel,
  type LearningSession,
} from './learning-session.model.js';
import type { HeartbeatBody } from './learning.schemas.js';

/** Maximum time after its start that a session can credit; later heartbeats are `after_end`. */
export const MAX_SESSION_MS = 12 * 3_600_000;

/**
 * Highest seq a session may have reached after `elapsedMs` since its start: one heartbeat per
 * second on average plus a burst allowance. A player sends one every 15 s plus one per pause,
 * seek, rate or page change, so only a client gone wrong reaches it. It bounds what one session
 * can store to about 43,000 heartbeats over its 12 hours.
 */
export function maxSeqAt(elapsedMs: number): number {
  return SEQ_BURST + Math.floor(Math.max(0, elapsedMs) / 1000);
}
const SEQ_BURST = 30;

/** What the checks know of a session's stored heartbeats and end. */
export interface SessionIntakeState {
  storedSeqs: Set<number>;
  maxSeq: number;
  /** Client clock of the highest stored seq, which a later seq must not go below. */
  maxSeqClientMs: number | null;
  /** Client clock of the lowest stored seq, the reference for the clock check. */
  reference: { seq: number; clientMs: number } | null;
  endedAt: number | null;
}

export type IntakeRejection = 'duplicate' | 'after_end';

export interface BatchPlan {
  /** Heartbeats to store, in batch order, with their index in the batch. */
  store: { index: number; beat: HeartbeatBody }[];
  rejected: { index: number; seq: number; reason: IntakeRejection }[];
}

const outOfOrder = (message: string) => new ApiError(409, 'heartbeat_out_of_order', message);

/**
 * Decides what of a batch to store. Throws a 4xx ApiError, before anything is stored, when:
 * - seqs of the batch are not strictly increasing (409 heartbeat_out_of_order),
 * - a new seq is lower than a stored one: a heartbeat arriving after later ones (409),
 * - a seq is higher than the session can have reached by now (429 too_many_heartbeats),
 * - a client clock claims more time since the session's first heartbeat than the server has
 *   seen pass since the start, beyond `clockSkewMs` (422 heartbeat_clock_ahead),
 * - a client clock reads less than that of the previous seq (422 heartbeat_clock_backwards).
 * Seqs already stored are `duplicate`; after the session's end or its maximum length, new
 * heartbeats are `after_end`. Neither is stored.
 */
export function planBatch(
  session: { startedAt: Date },
  state: SessionIntakeState,
  beats: readonly HeartbeatBody[],
  nowMs: number,
  rules: Pick<CreditRules, 'clockSkewMs'>,
): BatchPlan {
  for (let index = 1; index < beats.length; index++) {
    if (beats[index]!.seq <= beats[index - 1]!.seq) {
      throw outOfOrder(
        `heartbeats of a batch must have increasing seqs: seq ${beats[index]!.seq} follows ${beats[index - 1]!.seq}`,
      );
    }
  }

  const startedAt = session.startedAt.getTime();
  const elapsedMs = nowMs - startedAt;
  const over = elapsedMs >= MAX_SESSION_MS || (state.endedAt !== null && nowMs > state.endedAt);
  const plan: BatchPlan = { store: [], rejected: [] };
  let reference = state.reference;
  let previousClientMs = state.maxSeqClientMs;
  beats.forEach((beat, index) => {
    if (state.storedSeqs.has(beat.seq)) {
      plan.rejected.push({ index, seq: beat.seq, reason: 'duplicate' });
      return;
    }
    if (over) {
      plan.rejected.push({ index, seq: beat.seq, reason: 'after_end' });
      return;
    }
    if (beat.seq < state.maxSeq) {
      throw outOfOrder(
        `seq ${beat.seq} arrived after seq ${state.maxSeq}: send queued heartbeats in seq order`,
      );
    }
    if (beat.seq > maxSeqAt(elapsedMs)) {
      throw new ApiError(
        429,
        'too_many_heartbeats',
        `seq ${beat.seq} is more heartbeats than a session can send in ${Math.floor(elapsedMs / 1000)} s`,
      );
    }
    reference ??= { seq: beat.seq, clientMs: beat.clientMs };
    const claimedMs = beat.clientMs - reference.clientMs;
    if (claimedMs > Math.max(0, elapsedMs) + rules.clockSkewMs) {
      throw new ApiError(
        422,
        'heartbeat_clock_ahead',
        `seq ${beat.seq} claims ${claimedMs} ms since the session's first heartbeat, but only ${elapsedMs} ms passed since its start`,
      );
    }
    if (previousClientMs !== null && beat.clientMs < previousClientMs) {
      throw new ApiError(
        422,
        'heartbeat_clock_backwards',
        `seq ${beat.seq} has clientMs ${beat.clientMs}, less than ${previousClientMs} of the seq before it: send a monotonic clock`,
      );
    }
    previousClientMs = beat.clientMs;
    plan.store.push({ index, beat });
  });
  return plan;
}

const SESSION_CACHE_ENTRIES = 50_000;

export interface IntakeResult {
  session: LearningSession;
  /** Batch indexes stored as the first copy of their seq. */
  stored: number[];
  rejected: { index: number; seq: number; reason: IntakeRejection }[];
}

/** Checks and stores heartbeats; one instance per server copy. */
export class HeartbeatIntake {
  private readonly sessions = new LRUCache<string, LearningSession>({
    max: SESSION_CACHE_ENTRIES,
  });
  private readonly states = new LRUCache<string, SessionIntakeState>({
    max: SESSION_CACHE_ENTRIES,
  });
  /** Tail of each session's chain of batches, so that one copy checks a session's batches in turn. */
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly writer = new GroupInsert<StoredHeartbeat>(HeartbeatModel);

  constructor(private readonly rules: Pick<CreditRules, 'clockSkewMs'>) {}

  /** Remembers a session this copy has just created, which has no heartbeat and no end yet. */
  primeNewSession(session: LearningSession): void {
    const key = session._id.toHexString();
    this.sessions.set(key, session);
    this.states.set(key, {
      storedSeqs: new Set(),
      maxSeq: 0,
      maxSeqClientMs: null,
      reference: null,
      endedAt: null,
    });
  }

  /** Returns the learner's session, or throws 404 (also for another learner's session). */
  async ownedSession(learnerId: Types.ObjectId, sessionId: string): Promise<LearningSession> {
    let session = this.sessions.get(sessionId);
    if (!session) {
      const found = await LearningSessionModel.findById(sessionId).lean();
      if (found) {
        session = found as LearningSession;
        this.sessions.set(sessionId, session);
      }
    }
    // Another learner's session is reported as missing, so session ids reveal nothing.
    if (!session?.learnerId.equals(learnerId)) throw notFound('Learning session', sessionId);
    return session;
  }

  /** Checks and stores a batch for the session at server time `now`. */
  async receive(
    session: LearningSession,
    beats: readonly HeartbeatBody[],
    now: Date,
  ): Promise<IntakeResult> {
    return this.inTurn(session._id.toHexString(), async () => {
      const state = await this.stateOf(session);
      const plan = planBatch(session, state, beats, now.getTime(), this.rules);
      const duplicates = await this.writer.insert(
        plan.store.map(({ beat }) => heartbeatDocument(session, beat, now)),
      );
      const stored: number[] = [];
      const rejected = [...plan.rejected];
      plan.store.forEach(({ index, beat }, position) => {
        // A duplicate here was stored by another server copy this one has not heard of.
        if (duplicates.has(position)) rejected.push({ index, seq: beat.seq, reason: 'duplicate' });
        else stored.push(index);
        noteStored(state, beat);
      });
      rejected.sort((a, b) => a.index - b.index);
      return { session, stored, rejected };
    });
  }

  /** Records that the session ended at `endedAt`, as stored by the end call. */
  async noteEnded(session: LearningSession, endedAt: Date): Promise<void> {
    await this.inTurn(session._id.toHexString(), async () => {
      const state = await this.stateOf(session);
      state.endedAt = endedAt.getTime();
    });
  }

  private async stateOf(session: LearningSession): Promise<SessionIntakeState> {
    const key = session._id.toHexString();
    const cached = this.states.get(key);
    if (cached) return cached;
    const [beats, end] = await Promise.all([
      HeartbeatModel.find({ sessionId: session._id }, { seq: 1, clientMs: 1 }).lean(),
      SessionEndModel.findOne({ sessionId: session._id }).lean(),
    ]);
    const state: SessionIntakeState = {
      storedSeqs: new Set(),
      maxSeq: 0,
      maxSeqClientMs: null,
      reference: null,
      endedAt: end ? end.endedAt.getTime() : null,
    };
    for (const beat of beats) noteStored(state, beat);
    this.states.set(key, state);
    return state;
  }

  private async inTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(work, work);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

function noteStored(state: SessionIntakeState, beat: { seq: number; clientMs: number }): void {
  state.storedSeqs.add(beat.seq);
  if (beat.seq > state.maxSeq) {
    state.maxSeq = beat.seq;
    state.maxSeqClientMs = beat.clientMs;
  }
  if (!state.reference || beat.seq < state.reference.seq) {
    state.reference = { seq: beat.seq, clientMs: beat.clientMs };
  }
}

function heartbeatDocument(
  session: LearningSession,
  beat: HeartbeatBody,
  receivedAt: Date,
): StoredHeartbeat {
  return {
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
  };
}
