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

  it('holds the average rate after the burst', () => {
    const { bucket } = bucketAt(100, 10);
    const waits = Array.from({ length: 200 }, () => bucket.reserve());
    // Slot k (from 0) is free after max(0, 10k - 90) ms: the burst of 10, then one per 10 ms.
    expect(waits.filter((wait) => wait < 1000)).toHaveLength(109);
    expect(waits[150]).toBe(1410);
  });

  it('gives no slot during a pause and a burst after it', () => {
    const { bucket, advance } = bucketAt(10, 5);
    bucket.pauseFor(500);
    expect(bucket.reserve()).toBe(500);
    advance(500);
    expect(bucket.reserve()).toBe(0);
  });

  it('rejects a rate of zero', () => {
    expect(() => new TokenBucket(0)).toThrow(/invalid rate 0/);
  });
});
