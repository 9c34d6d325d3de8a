/** Outcome of one request against a rate limit. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface RateLimiterOptions {
  /** Requests allowed per key within one window. */
  limit: number;
  windowMs: number;
  /**
   * Keys remembered at most. Past it, keys idle for a whole window are dropped first, then the
   * keys used longest ago, so memory stays bounded when many askers come and go.
   */
  maxKeys: number;
}

/**
 * A sliding-window rate limiter kept in memory: a key may make `limit` requests in any period of
 * `windowMs`. Only allowed requests are recorded, so a client that keeps retrying gets through as
 * soon as its oldest request leaves the window.
 */
export class SlidingWindowRateLimiter {
  private readonly requests = new Map<string, number[]>();

  constructor(private readonly options: RateLimiterOptions) {}

  /** Records a request of `key` at `nowMs` if the limit allows it. */
  take(key: string, nowMs: number): RateDecision {
    const windowStart = nowMs - this.options.windowMs;
    const times = (this.requests.get(key) ?? []).filter((time) => time > windowStart);
    if (times.length >= this.options.limit) {
      this.requests.set(key, times);
      const oldest = times[0] ?? nowMs;
      return { allowed: false, retryAfterMs: Math.max(1, oldest + this.options.windowMs - nowMs) };
    }
    times.push(nowMs);
    // Re-inserting moves the key to the end of the map's order, which is least recently used first.
    this.requests.delete(key);
    this.requests.set(key, times);
    if (this.requests.size > this.options.maxKeys) this.evict(windowStart);
    return { allowed: true };
  }

  /** True when `key` may make another request at `nowMs`. Records nothing. */
  allows(key: string, nowMs: number): boolean {
    const windowStart = nowMs - this.options.windowMs;
    const times = this.requests.get(key) ?? [];
    return times.filter((time) => time > windowStart).length < this.options.limit;
  }

  /** Number of keys remembered. */
  get size(): number {
    return this.requests.size;
  }

  private evict(windowStart: number): void {
    for (const [key, times] of this.requests) {
      if ((times.at(-1) ?? 0) <= windowStart) this.requests.delete(key);
    }
    for (const key of this.requests.keys()) {
      if (this.requests.size <= this.options.maxKeys) break;
      this.requests.delete(key);
    }
  }
}

/**
 * Remembers, per key, until when a rejected request must get no reply, so a client that floods
 * gets one "too fast" notice per period instead of one per rejected request. Kept in memory like
 * SlidingWindowRateLimiter, and bounded the same way.
 */
export class RejectionNotices {
  private readonly silentUntil = new Map<string, number>();

  constructor(private readonly options: { periodMs: number; maxKeys: number }) {}

  /**
   * Returns true when a rejection of `key` at `nowMs` should get a notice, and
   * starts a silent period of `periodMs`. Returns false inside that period.
   */
  claim(key: string, nowMs: number): boolean {
    const until = this.silentUntil.get(key);
    if (until !== undefined && nowMs < until) return false;
    this.silentUntil.delete(key);
    this.silentUntil.set(key, nowMs + this.options.periodMs);
    if (this.silentUntil.size > this.options.maxKeys) this.evict(nowMs);
    return true;
  }

  /** Number of keys remembered. */
  get size(): number {
    return this.silentUntil.size;
  }

  private evict(nowMs: number): void {
    for (const [key, until] of this.silentUntil) {
      if (until <= nowMs) this.silentUntil.delete(key);
    }
    // Map order is claim order, so the oldest silent periods go first.
    for (const key of this.silentUntil.keys()) {
      if (this.silentUntil.size <= this.options.maxKeys) break;
      this.silentUntil.delete(key);
    }
  }
}
