import Taro from '@tarojs/taro';

const SESSION_KEY = 'wxlearn.session';

export interface StoredSession {
  token: string;
  /** ISO 8601 time after which the server rejects the token. */
  expiresAt: string;
}

/** Storage of the bearer token between requests and app launches. */
export interface SessionStore {
  load(): StoredSession | null;
  save(session: StoredSession): void;
  clear(): void;
}

function isStoredSession(value: unknown): value is StoredSession {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<StoredSession>;
  return typeof candidate.token === 'string' && typeof candidate.expiresAt === 'string';
}

/** Session store backed by Taro storage (wx storage in weapp, localStorage in H5). */
export function createTaroSessionStore(key: string = SESSION_KEY): SessionStore {
  return {
    load() {
      const value: unknown = Taro.getStorageSync(key);
      return isStoredSession(value) ? value : null;
    },
    save(session) {
      Taro.setStorageSync(key, session);
    },
    clear() {
      Taro.removeStorageSync(key);
    },
  };
}

/** True when the session's expiry has passed, or is not a valid time. */
export function isSessionExpired(session: StoredSession, now: number = Date.now()): boolean {
  const expiresAt = Date.parse(session.expiresAt);
  return Number.isNaN(expiresAt) || expiresAt <= now;
}
