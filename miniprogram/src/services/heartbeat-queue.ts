import Taro from '@tarojs/taro';
import type { HeartbeatPayload } from '@wxlearn/api-types';

/** Largest batch that `POST /api/learning/sessions/:id/heartbeats` takes. */
export const MAX_HEARTBEAT_BATCH = 200;

const KEY_PREFIX = 'wxlearn.heartbeats.';

/** Storage key of the list of session ids that have a stored queue. */
const INDEX_KEY = 'wxlearn.heartbeat-sessions';

/** Synchronous key-value storage, as `Taro.getStorageSync` and `Taro.setStorageSync` provide. */
export interface KeyValueStorage {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  remove(key: string): void;
}

/** Storage backed by Taro (wx storage in weapp, localStorage in H5). */
export const taroStorage: KeyValueStorage = {
  get: (key) => Taro.getStorageSync(key) as unknown,
  set: (key, value) => Taro.setStorageSync(key, value),
  remove: (key) => Taro.removeStorageSync(key),
};

/** Heartbeats of one learning session that the server has not acknowledged yet, in seq order. */
export interface HeartbeatQueue {
  readonly size: number;
  /** Highest seq ever queued in this session, or 0. */
  readonly lastSeq: number;
  /** Appends a heartbeat behind the pending ones. Throws when its seq is not above `lastSeq`. */
  push(heartbeat: HeartbeatPayload): void;
  /** Returns the oldest heartbeats, at most `MAX_HEARTBEAT_BATCH`, without removing them. */
  peekBatch(): HeartbeatPayload[];
  /** Removes the heartbeats with these seqs, and returns how many were removed. */
  remove(seqs: Iterable<number>): number;
}

interface StoredQueue {
  lastSeq: number;
  heartbeats: HeartbeatPayload[];
}

function isStoredQueue(value: unknown): value is StoredQueue {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<StoredQueue>;
  return typeof candidate.lastSeq === 'number' && Array.isArray(candidate.heartbeats);
}

/** Storage key of a session's queue. */
export function heartbeatQueueKey(sessionId: string): string {
  return `${KEY_PREFIX}${sessionId}`;
}

/** Returns the ids of the sessions whose queue storage still contains heartbeats. */
export function listStoredQueueSessions(storage: KeyValueStorage = taroStorage): string[] {
  const index = storage.get(INDEX_KEY);
  if (!Array.isArray(index)) return [];
  return index.filter((item): item is string => typeof item === 'string');
}

function updateIndex(storage: KeyValueStorage, sessionId: string, present: boolean): void {
  const sessions = listStoredQueueSessions(storage);
  const listed = sessions.includes(sessionId);
  if (present && !listed) storage.set(INDEX_KEY, [...sessions, sessionId]);
  if (!present && listed) {
    const rest = sessions.filter((item) => item !== sessionId);
    if (rest.length === 0) storage.remove(INDEX_KEY);
    else storage.set(INDEX_KEY, rest);
  }
}

/**
 * Opens the queue of a session, with what an earlier run left in storage. Every change is written
 * to storage at once, so heartbeats survive the app being closed while offline.
 */
export function openHeartbeatQueue(
  sessionId: string,
  storage: KeyValueStorage = taroStorage,
): HeartbeatQueue {
  const key = heartbeatQueueKey(sessionId);
  const stored = storage.get(key);
  const state: StoredQueue = isStoredQueue(stored)
    ? { lastSeq: stored.lastSeq, heartbeats: [...stored.heartbeats] }
    : { lastSeq: 0, heartbeats: [] };

  function persist(): void {
    const empty = state.heartbeats.length === 0;
    if (empty) storage.remove(key);
    else storage.set(key, state);
    updateIndex(storage, sessionId, !empty);
  }

  return {
    get size() {
      return state.heartbeats.length;
    },
    get lastSeq() {
      return state.lastSeq;
    },
    push(heartbeat) {
      if (heartbeat.seq <= state.lastSeq) {
        throw new Error(`heartbeat seq ${heartbeat.seq} is not above ${state.lastSeq}`);
      }
      state.heartbeats.push(heartbeat);
      state.lastSeq = heartbeat.seq;
      persist();
    },
    peekBatch() {
      return state.heartbeats.slice(0, MAX_HEARTBEAT_BATCH);
    },
    remove(seqs) {
      const removed = new Set(seqs);
      const before = state.heartbeats.length;
      state.heartbeats = state.heartbeats.filter((heartbeat) => !removed.has(heartbeat.seq));
      const count = before - state.heartbeats.length;
      if (count > 0) persist();
      return count;
    },
  };
}
