// Seeding and request generation for the heartbeat benchmark (heartbeats.ts). Learners with API
// session tokens and open video sessions are written through the server's models. An autocannon
// request entry then replays one heartbeat per request, rotating through those learners.
import type autocannon from 'autocannon';
import { Types } from 'mongoose';
import type { HeartbeatBatchRequest, HeartbeatBatchResponse } from '@wxlearn/api-types';
import { SessionModel } from '@wxlearn/server/modules/auth/session.model.js';
import { generateToken, hashSecret } from '@wxlearn/server/modules/auth/tokens.js';
import { LessonModel } from '@wxlearn/server/modules/catalog/lesson.model.js';
import { DEFAULT_CREDIT_RULES } from '@wxlearn/server/modules/learning/credit-rules.js';
import { HeartbeatModel } from '@wxlearn/server/modules/learning/heartbeat.model.js';
import { LearningSessionModel } from '@wxlearn/server/modules/learning/learning-session.model.js';
import { LearnerModel } from '@wxlearn/server/modules/learners/learner.model.js';

/** Length of the seeded video lesson, in seconds. */
export const VIDEO_SECONDS = 3_600;
/** Client heartbeat period that the replay imitates, in ms. */
export const HEARTBEAT_INTERVAL_MS = DEFAULT_CREDIT_RULES.heartbeatIntervalMs;

const SEED_CHUNK_SIZE = 1_000;
const TOKEN_LIFETIME_MS = 24 * 3_600_000;

/** Learners ready to send heartbeats. Index i of each array belongs to learner i. */
export interface SeededLearners {
  count: number;
  sessionIds: Types.ObjectId[];
  /** `Bearer <token>` header values. */
  authorizations: string[];
  /** Heartbeat paths, `/api/learning/sessions/<session id>/heartbeats`. */
  paths: string[];
}

/**
 * Inserts one video lesson and `count` learners, each with a login session (only the token's
 * SHA-256 is stored, as the server does) and an open learning session of that lesson that started
 * at `startedAt`. Uses the mongoose connection that the caller opened.
 */
export async function seedLearners(count: number, startedAt: Date): Promise<SeededLearners> {
  const now = new Date();
  const lesson = await LessonModel.create({
    courseId: new Types.ObjectId(),
    chapterId: new Types.ObjectId(),
    position: 1,
    title: 'Heartbeat benchmark video',
    type: 'video',
    content: { durationSeconds: VIDEO_SECONDS },
  });

  const seeded: SeededLearners = { count, sessionIds: [], authorizations: [], paths: [] };
  for (let first = 0; first < count; first += SEED_CHUNK_SIZE) {
    const learners = [];
    const logins = [];
    const sessions = [];
    for (let index = first; index < Math.min(first + SEED_CHUNK_SIZE, count); index++) {
      const learnerId = new Types.ObjectId();
      const sessionId = new Types.ObjectId();
      const token = generateToken();
      learners.push({ _id: learnerId, openid: `bench-learner-${index}`, lastLoginAt: now });
      logins.push({
        tokenHash: hashSecret(token),
        learnerId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS),
      });
      sessions.push({
        _id: sessionId,
        learnerId,
        clientSessionId: `bench-session-${index}`,
        lessonId: lesson._id,
        courseId: lesson.courseId,
        lesson: { type: 'video', durationSeconds: VIDEO_SECONDS, pageCount: null, wordCount: null },
        startedAt,
      });
      seeded.sessionIds.push(sessionId);
      seeded.authorizations.push(`Bearer ${token}`);
      seeded.paths.push(`/api/learning/sessions/${sessionId.toHexString()}/heartbeats`);
    }
    await Promise.all([
      LearnerModel.insertMany(learners),
      SessionModel.insertMany(logins),
      LearningSessionModel.insertMany(sessions),
    ]);
  }
  return seeded;
}

/** Counts of one replay, filled in while autocannon runs. */
export interface ReplayTally {
  /** Requests built and handed to autocannon. */
  sent: number;
  /** Responses with status 200. */
  ok: number;
  /** Responses with any other status, by status code. */
  notOk: Map<number, number>;
  /** Status and start of the body of the first response that was not 200. */
  firstNotOk: { status: number; body: string } | null;
  /** 200 responses whose `acceptedSeqs` contains the heartbeat sent (checked replays only). */
  accepted: number;
  /** 200 responses that rejected the heartbeat, by rejection reason (checked replays only). */
  rejected: Map<string, number>;
  /** 200 responses whose body is not a heartbeat batch response (checked replays only). */
  malformed: number;
  /** Requests sent to a learner whose previous heartbeat was still unanswered. */
  overlapping: number;
}

/** Per-connection state that autocannon passes from `setupRequest` to `onResponse`. */
interface ReplayContext {
  learner?: number;
  seq?: number;
}

/**
 * Replays heartbeats as online clients send them: one heartbeat per request, learners in turn,
 * each learner with its own seq (1, 2, 3, …), `clientMs = seq * 15000` and `position = seq * 15`
 * (a video playing at rate 1). A learner is skipped while its previous request is unanswered, so each
 * learner's seqs reach the server in order. Needs autocannon's `pipelining` at 1 (the default),
 * because a response is matched to its request through the connection's context.
 */
export class HeartbeatReplay {
  readonly tally: ReplayTally = {
    sent: 0,
    ok: 0,
    notOk: new Map(),
    firstNotOk: null,
    accepted: 0,
    rejected: new Map(),
    malformed: 0,
    overlapping: 0,
  };
  private readonly lastSeq: Uint32Array;
  /** Seq of the learner's unanswered request, 0 when none. */
  private readonly inFlightSeq: Uint32Array;
  private cursor = -1;

  /** With `checkBody`, every 200 response is parsed as a HeartbeatBatchResponse and checked. */
  /** With `after`, each learner's seqs continue from where that earlier replay left them. */
  constructor(
    private readonly learners: SeededLearners,
    private readonly checkBody: boolean,
    after?: HeartbeatReplay,
  ) {
    this.lastSeq = after ? Uint32Array.from(after.lastSeq) : new Uint32Array(learners.count);
    this.inFlightSeq = new Uint32Array(learners.count);
  }

  /** Returns the entry for autocannon's `requests`, which must be its only entry. */
  request(): autocannon.Request {
    return {
      method: 'POST',
      setupRequest: (request, context) => this.setupRequest(request, context as ReplayContext),
      onResponse: (status, body, context) =>
        this.recordResponse(status, body, context as ReplayContext),
    };
  }

  /** Returns the highest seq sent to any learner. */
  maxSeqSent(): number {
    return this.lastSeq.reduce((max, seq) => Math.max(max, seq), 0);
  }

  /** Returns how many learners were sent at least one heartbeat. */
  learnersReached(): number {
    return this.lastSeq.reduce((count, seq) => count + (seq > 0 ? 1 : 0), 0);
  }

  /** Returns the heartbeats sent whose responses never arrived (timed out or cut off at the end). */
  unanswered(): { sessionId: Types.ObjectId; seq: number }[] {
    const items: { sessionId: Types.ObjectId; seq: number }[] = [];
    this.inFlightSeq.forEach((seq, learner) => {
      if (seq !== 0) items.push({ sessionId: this.learners.sessionIds[learner]!, seq });
    });
    return items;
  }

  private setupRequest(request: autocannon.Request, context: ReplayContext): autocannon.Request {
    const learner = this.nextIdleLearner();
    const seq = this.lastSeq[learner]! + 1;
    this.lastSeq[learner] = seq;
    this.inFlightSeq[learner] = seq;
    context.learner = learner;
    context.seq = seq;
    this.tally.sent++;

    const batch: HeartbeatBatchRequest = {
      heartbeats: [
        {
          seq,
          clientMs: seq * HEARTBEAT_INTERVAL_MS,
          position: (seq * HEARTBEAT_INTERVAL_MS) / 1000,
          playbackRate: 1,
        },
      ],
    };
    return {
      ...request,
      path: this.learners.paths[learner],
      headers: {
        ...request.headers,
        authorization: this.learners.authorizations[learner],
        'content-type': 'application/json',
      },
      body: JSON.stringify(batch),
    };
  }

  /**
   * Returns the next learner in turn without an unanswered request. When every learner has one
   * (more requests timed out than there are spare learners), returns the next learner anyway and
   * counts the request as overlapping.
   */
  private nextIdleLearner(): number {
    const count = this.learners.count;
    for (let step = 0; step < count; step++) {
      this.cursor = (this.cursor + 1) % count;
      if (this.inFlightSeq[this.cursor] === 0) return this.cursor;
    }
    this.cursor = (this.cursor + 1) % count;
    this.tally.overlapping++;
    return this.cursor;
  }

  private recordResponse(status: number, body: string, context: ReplayContext): void {
    const { learner, seq } = context;
    if (learner === undefined || seq === undefined) return;
    if (this.inFlightSeq[learner] === seq) this.inFlightSeq[learner] = 0;

    if (status !== 200) {
      this.tally.notOk.set(status, (this.tally.notOk.get(status) ?? 0) + 1);
      this.tally.firstNotOk ??= { status, body: body.slice(0, 300) };
      return;
    }
    this.tally.ok++;
    if (!this.checkBody) return;

    let outcome: HeartbeatBatchResponse;
    try {
      outcome = JSON.parse(body) as HeartbeatBatchResponse;
    } catch {
      this.tally.malformed++;
      return;
    }
    if (!Array.isArray(outcome.acceptedSeqs) || !Array.isArray(outcome.rejected)) {
      this.tally.malformed++;
    } else if (outcome.acceptedSeqs.includes(seq)) {
      this.tally.accepted++;
    } else {
      const reason = outcome.rejected.find((item) => item.seq === seq)?.reason ?? 'missing';
      this.tally.rejected.set(reason, (this.tally.rejected.get(reason) ?? 0) + 1);
    }
  }
}

/** Counts the given heartbeats that are stored, one equality query each. */
export async function countStored(
  heartbeats: readonly { sessionId: Types.ObjectId; seq: number }[],
): Promise<number> {
  let stored = 0;
  for (const { sessionId, seq } of heartbeats) {
    stored += await HeartbeatModel.countDocuments({ sessionId, seq });
  }
  return stored;
}
