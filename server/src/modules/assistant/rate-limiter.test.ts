import { describe, expect, it } from 'vitest';
import { RejectionNotices, SlidingWindowRateLimiter } from './rate-limiter.js';

describe('SlidingWindowRateLimiter', () => {
  it('allows the limit and rejects the next request', () => {
    const limiter = new SlidingWindowRateLimiter({ limit: 3, windowMs: 60_000, maxKeys: 10 });
    const decisions = [0, 1_000, 2_000, 3_000].map((time) => limiter.take('a', time));

    expect(decisions.slice(0, 3).every((decision) => decision.allowed)).toBe(true);
    expect(decisions[3]).toEqual({ allowed: false, retryAfterMs: 57_000 });
  });

  it('allows again once the oldest request leaves the window', () => {
    const limiter = new SlidingWindowRateLimiter({ limit: 2, windowMs: 60_000, maxKeys: 10 });
    limiter.take('a', 0);
    limiter.take('a', 30_000);

    expect(limiter.take('a', 59_999).allowed).toBe(false);
    expect(limiter.take('a', 60_000).allowed).toBe(true);
    expect(limiter.take('a', 60_001).allowed).toBe(false);
  });

  it('counts keys separately', () => {
    const limiter = new SlidingWindowRateLimiter({ limit: 1, windowMs: 60_000, maxKeys: 10 });

    expect(limiter.take('a', 0).allowed).toBe(true);
    expect(limiter.take('b', 0).allowed).toBe(true);
    expect(limiter.take('a', 1).allowed).toBe(false);
  });

  it('checks allows without recording', () => {
    const limiter = new SlidingWindowRateLimiter({ limit: 1, windowMs: 60_000, maxKeys: 10 });

    expect(limiter.allows('a', 0)).toBe(true);
    expect(limiter.allows('a', 0)).toBe(true);
    limiter.take('a', 0);
    expect(limiter.allows('a', 1)).toBe(false);
    expect(limiter.allows('a', 60_000)).toBe(true);
  });

  it('keeps at most maxKeys keys', () => {
    const limiter = new SlidingWindowRateLimiter({ limit: 1, windowMs: 1_000, maxKeys: 3 });
    for (let key = 0; key < 10; key++) limiter.take(`k${key}`, key);

    expect(limiter.size).toBe(3);
    // The most recent keys survive, so their limit still holds.
    expect(limiter.take('k9', 10).allowed).toBe(false);
  });
});

describe('RejectionNotices', () => {
  it('claims once per period', () => {
    const notices = new RejectionNotices({ periodMs: 60_000, maxKeys: 10 });

    expect(notices.claim('a', 0)).toBe(true);
    expect(notices.claim('a', 1_000)).toBe(false);
    expect(notices.claim('a', 59_999)).toBe(false);
    expect(notices.claim('a', 60_000)).toBe(true);
    expect(notices.claim('a', 60_001)).toBe(false);
  });

  it('counts keys separately', () => {
    const notices = new RejectionNotices({ periodMs: 60_000, maxKeys: 10 });

    expect(notices.claim('a', 0)).toBe(true);
    expect(notices.claim('b', 1)).toBe(true);
    expect(notices.claim('a', 2)).toBe(false);
  });

  it('keeps at most maxKeys keys', () => {
    const notices = new RejectionNotices({ periodMs: 60_000, maxKeys: 3 });
    for (let key = 0; key < 10; key++) notices.claim(`k${key}`, key);

    expect(notices.size).toBe(3);
    // The latest keys survive, so their silent period still applies.
    expect(notices.claim('k9', 10)).toBe(false);
  });
});
