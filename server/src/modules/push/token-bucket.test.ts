import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

function bucketAt(rate: number, burst: number) {
  let now = 0;
  const bucket = new TokenBucket(rate, burst, () => now);
  return {
    bucket,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('lets a burst through at once and spaces the rest', () => {
    const { bucket } = bucketAt(10, 3);
    const waits = Array.from({ length: 5 }, () => bucket.reserve());
    expect(waits).toEqual([0, 0, 0, 100, 200]);
  });

  it('holds the average rate over a second', () => {
    const { bucket, advance } = bucketAt(100, 10);
    let allowedNow = 0;
    for (let ms = 0; ms < 1000; ms++) {
      while (bucket.reserve() <= 0) allowedNow += 1;
      advance(1);
    }
    // The last reservation of each millisecond waits, so it is counted in the next one or lost.
    expect(allowedNow).toBeGreaterThanOrEqual(100);
    expect(allowedNow).toBeLessThanOrEqual(110);
  });

  it('gives no slot during a pause', () => {
    const { bucket, advance } = bucketAt(10, 5);
    bucket.pauseFor(500);
    expect(bucket.reserve()).toBe(500);
    advance(500);
    expect(bucket.reserve()).toBeGreaterThan(0);
  });

  it('rejects a rate of zero', () => {
    expect(() => new TokenBucket(0)).toThrow(/invalid rate 0/);
  });
});
