/** Limits how many callers run a section at once; waiting callers enter in call order. */
export class Semaphore {
  private available: number;
  private readonly waiting: (() => void)[] = [];

  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) {
      throw new Error(`invalid permits ${permits}: must be a positive integer`);
    }
    this.available = permits;
  }

  /** Runs `section` once a permit is free and releases the permit when it settles. */
  async run<T>(section: () => Promise<T>): Promise<T> {
    if (this.available > 0) {
      this.available -= 1;
    } else {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await section();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.available += 1;
    }
  }
}
