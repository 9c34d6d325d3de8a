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
