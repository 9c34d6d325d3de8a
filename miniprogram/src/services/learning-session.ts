import type {
  HeartbeatBatchResponse,
  HeartbeatPayload,
  LearningSessionView,
} from '@wxlearn/api-types';

import type { Api } from './api';
import { debugLog } from './debug';
import { ApiError, userMessageOf } from './errors';
import {
  listStoredQueueSessions,
  openHeartbeatQueue,
  taroStorage,
  type HeartbeatQueue,
  type KeyValueStorage,
} from './heartbeat-queue';
import { createMonotonicClock, type MonotonicClock } from './monotonic-clock';

/** The API calls a learning session makes. */
export type LearningApi = Pick<
  Api,
  'startLearningSession' | 'sendHeartbeats' | 'endLearningSession'
>;

/** Flags and fields a caller adds to one heartbeat, such as `paused` or `playbackRate`. */
export type HeartbeatExtras = Omit<HeartbeatPayload, 'seq' | 'clientMs'>;

/** State of a media player that every heartbeat carries, periodic ones included. */
export type PlayerFields = Pick<HeartbeatPayload, 'paused' | 'playbackRate'>;

export interface LearningSessionState {
  /** The server's session, once the start call has succeeded. */
  session: LearningSessionView | null;
  /**
   * Heartbeats kept in the offline queue after a failed send, 0 while sending works. A heartbeat
   * that is merely in flight does not count, so the UI does not flicker on every tick.
   */
  unsavedCount: number;
  /**
   * Chinese message for the learner when the server turned away heartbeats for good (a device
   * clock that jumped, for instance), so that lost progress is never silent; null otherwise.
   */
  rejectedMessage: string | null;
}

export interface LearningSessionOptions {
  lessonId: string;
  api: LearningApi;
  /** Current position in the lesson (video second, document page or article share), or null. */
  getPosition: () => number | null;
  /**
   * Player state added to every heartbeat (video lessons), so that periodic heartbeats during a
   * pause keep `paused: true`. Fields given to `beat()` take precedence.
   */
  getPlayerFields?: () => PlayerFields;
  onChange?: (state: LearningSessionState) => void;
  clock?: MonotonicClock;
  storage?: KeyValueStorage;
  /** Client session id, generated once per opening of the lesson when not given. */
  clientSessionId?: string;
}

export interface LearningSession {
  readonly state: LearningSessionState;
  /** Starts the server session, sends heartbeat seq 1 and starts the heartbeat timer. */
  start(): Promise<LearningSessionView>;
  /**
   * Sends a heartbeat now, for example just before and just after a seek. Does nothing before the
   * start call has succeeded, because seq 1 must follow it.
   */
  beat(extras?: HeartbeatExtras): void;
  /** Sends a heartbeat with `hidden: true` and stops the timer (app or page hidden). */
  hide(): void;
  /** Sends a heartbeat with `resumed: true` at once and restarts the timer. */
  show(): void;
  /** Sends the queued heartbeats, in seq order and in batches of at most 200. */
  flush(): Promise<void>;
  /** Stops the timer and sends the final heartbeat with the end call. */
  end(): Promise<void>;
}

function randomClientSessionId(): string {
  const random = Math.random().toString(36).slice(2, 12);
  return `${Date.now().toString(36)}-${random}`;
}

/** True for a client error after which resending the same batch cannot succeed. */
function isPermanentRejection(error: unknown): error is ApiError {
  return (
    error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 401
  );
}

/** Seqs that a heartbeat or end response settles, accepted or rejected alike. */
function settledSeqs(response: HeartbeatBatchResponse): number[] {
  return [...response.acceptedSeqs, ...response.rejected.map((item) => item.seq)];
}

/**
 * Creates the heartbeat producer of one opening of a lesson. Each heartbeat goes into a queue
 * persisted in storage before it is sent. It leaves the queue only when the server lists its seq
 * as accepted or rejected, or when a 4xx other than 401 drops its batch. A failed send is
 * therefore retried, in seq order, on the next tick or `flush()`.
 */
export function createLearningSession(options: LearningSessionOptions): LearningSession {
  const { lessonId, api, getPosition } = options;
  const clock = options.clock ?? createMonotonicClock();
  const storage = options.storage ?? taroStorage;
  const clientSessionId = options.clientSessionId ?? randomClientSessionId();

  const state: LearningSessionState = { session: null, unsavedCount: 0, rejectedMessage: null };
  let queue: HeartbeatQueue | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let startInFlight: Promise<LearningSessionView> | null = null;
  let flushInFlight: Promise<void> | null = null;
  let flushAgain = false;
  let sendFailing = false;
  let hidden = false;
  let ended = false;
  let rejectionChanged = false;

  function publish(): void {
    const unsavedCount = sendFailing && queue ? queue.size : 0;
    if (unsavedCount === state.unsavedCount && !rejectionChanged) return;
    rejectionChanged = false;
    state.unsavedCount = unsavedCount;
    options.onChange?.({ ...state });
  }

  function nextHeartbeat(extras: HeartbeatExtras = {}): HeartbeatPayload | null {
    if (!queue) return null;
    return {
      seq: queue.lastSeq + 1,
      clientMs: Math.round(clock()),
      position: getPosition(),
      ...options.getPlayerFields?.(),
      ...extras,
    };
  }

  function enqueue(extras?: HeartbeatExtras): void {
    const heartbeat = nextHeartbeat(extras);
    if (!queue || !heartbeat) return;
    queue.push(heartbeat);
    publish();
    void flush();
  }

  function startTimer(): void {
    const interval = state.session?.heartbeatIntervalMs;
    if (timer !== null || !interval || ended || hidden) return;
    timer = setInterval(() => enqueue(), interval);
  }

  function stopTimer(): void {
    if (timer === null) return;
    clearInterval(timer);
    timer = null;
  }

  /** Sends one batch. Returns false when the queue must wait for a later attempt. */
  async function sendBatch(
    sessionId: string,
    activeQueue: HeartbeatQueue,
    failures: 'mark failing' | 'ignore' = 'mark failing',
  ): Promise<boolean> {
    const batch = activeQueue.peekBatch();
    if (batch.length === 0) return false;
    try {
      const response = await api.sendHeartbeats(sessionId, batch);
      if (failures === 'mark failing') sendFailing = false;
      // A response that settles none of the batch would make the loop resend it forever.
      return activeQueue.remove(settledSeqs(response)) > 0;
    } catch (error) {
      if (isPermanentRejection(error)) {
        debugLog('heartbeat batch rejected, dropping it', {
          sessionId,
          status: error.status,
          id: error.id,
          firstSeq: batch[0]?.seq,
          lastSeq: batch.at(-1)?.seq,
        });
        activeQueue.remove(batch.map((heartbeat) => heartbeat.seq));
        state.rejectedMessage = userMessageOf(error);
        rejectionChanged = true;
        return true;
      }
      debugLog('heartbeat batch not sent, keeping it queued', {
        sessionId,
        size: activeQueue.size,
        error: String(error),
      });
      if (failures === 'mark failing') sendFailing = true;
      return false;
    }
  }

  async function drain(): Promise<void> {
    do {
      flushAgain = false;
      const sessionId = state.session?.id;
      if (!sessionId || !queue) return;
      while (await sendBatch(sessionId, queue)) {
        publish();
      }
      publish();
    } while (flushAgain && !sendFailing);
  }

  /**
   * Sends what earlier openings left queued in storage (closed while offline, or ended before their
   * queue emptied), so those heartbeats still reach their own session.
   */
  async function replayEarlierQueues(currentSessionId: string): Promise<void> {
    for (const sessionId of listStoredQueueSessions(storage)) {
      if (sessionId === currentSessionId) continue;
      const earlierQueue = openHeartbeatQueue(sessionId, storage);
      while (await sendBatch(sessionId, earlierQueue, 'ignore')) {
        // Each round removes at least one heartbeat, so the loop ends.
      }
    }
  }

  function flush(): Promise<void> {
    if (!state.session) {
      // The start call failed earlier: the same client session id makes a retry safe.
      if (ended) return Promise.resolve();
      return start().then(
        () => undefined,
        () => undefined,
      );
    }
    if (flushInFlight) {
      flushAgain = true;
      return flushInFlight;
    }
    const sessionId = state.session.id;
    flushInFlight = drain()
      .then(() => (sendFailing ? undefined : replayEarlierQueues(sessionId)))
      // Heartbeats produced during the replay would otherwise wait for the next tick.
      .then(() => (flushAgain && !sendFailing ? drain() : undefined))
      .finally(() => {
        flushInFlight = null;
      });
    return flushInFlight;
  }

  function start(): Promise<LearningSessionView> {
    if (state.session) return Promise.resolve(state.session);
    if (!startInFlight) {
      startInFlight = api
        .startLearningSession(lessonId, clientSessionId)
        .then((session) => {
          state.session = session;
          queue = openHeartbeatQueue(session.id, storage);
          options.onChange?.({ ...state });
          if (!ended && !hidden) {
            enqueue();
            startTimer();
          }
          return session;
        })
        .finally(() => {
          startInFlight = null;
        });
    }
    return startInFlight;
  }

  function beat(extras?: HeartbeatExtras): void {
    if (ended) return;
    enqueue(extras);
  }

  function hide(): void {
    if (ended || hidden) return;
    hidden = true;
    stopTimer();
    enqueue({ hidden: true });
  }

  function show(): void {
    if (ended || !hidden) return;
    hidden = false;
    enqueue({ resumed: true });
    startTimer();
  }

  async function end(): Promise<void> {
    if (ended) return;
    ended = true;
    stopTimer();
    const sessionId = state.session?.id;
    const finalHeartbeat = nextHeartbeat(hidden ? { hidden: true } : {});
    if (!sessionId || !queue || !finalHeartbeat) return;

    // The final heartbeat must follow every queued one, so the queue goes first.
    await flush();
    if (queue.size > 0) {
      // The next opening of any lesson replays this queue (replayEarlierQueues).
      // NOTE: this session then never gets its end call, so the client never sets its `endedAt`.
      queue.push(finalHeartbeat);
      publish();
      debugLog('learning session ended offline, heartbeats kept', { sessionId, size: queue.size });
      return;
    }
    try {
      const response = await api.endLearningSession(sessionId, { finalHeartbeat });
      debugLog('learning session ended', { sessionId, settled: settledSeqs(response).length });
    } catch (error) {
      if (isPermanentRejection(error)) {
        debugLog('end call rejected', { sessionId, status: error.status, id: error.id });
        return;
      }
      queue.push(finalHeartbeat);
      sendFailing = true;
      publish();
      debugLog('end call failed, final heartbeat kept', { sessionId, error: String(error) });
    }
  }

  return {
    get state() {
      return { ...state };
    },
    start,
    beat,
    hide,
    show,
    flush,
    end,
  };
}
