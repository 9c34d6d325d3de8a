import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Spaces calls to `ratePerSecond` on average with bursts of up to `burst` calls, using the
 * generic cell rate algorithm: each `take()` reserves the next free slot and waits for it, so
 * concurrent callers are served in call order. `pauseFor` delays every new slot, after a quota
 * error that applies to the whole process.
 */
export class TokenBucket {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  /** Theoretical arrival time of the next call, in `now()` milliseconds. */
  private nextSlot = -Infinity;
  private pausedUntil = -Infinity;

  constructor(
    ratePerSecond: number,
    burst = Math.max(1, Math.round(ratePerSecond / 10)),
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0)) throw new Error(`invalid rate ${ratePerSecond}: must be above 0`);
    this.intervalMs = 1000 / ratePerSecond;
    this.toleranceMs = (Math.max(1, burst) - 1) * this.intervalMs;
  }

  /** Resolves when the caller may make one call. */
  async take(): Promise<void> {
    const waitMs = this.reserve();
    if (waitMs > 0) await sleep(waitMs);
  }

  /** Reserves a slot and returns the milliseconds until it, 0 when it is free now. */
  reserve(): number {
    const now = this.now();
    const earliest = Math.max(now, this.pausedUntil);
    const slot = Math.max(this.nextSlot, earliest);
    const allowedAt = Math.max(earliest, slot - this.toleranceMs);
    this.nextSlot = slot + this.intervalMs;
    return allowedAt - now;
  }

  /** Gives no new slot before `ms` from now. Slots already reserved keep their time. */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    this.nextSlot = Math.max(this.nextSlot, this.pausedUntil);
  }
}
