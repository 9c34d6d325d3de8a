// Calendar years and dates in Asia/Shanghai, where hours are counted. China has kept UTC+8 without
// daylight saving time since 1991, so a fixed offset converts exactly.

const OFFSET_MS = 8 * 3_600_000;

/** Calendar year in Asia/Shanghai of an instant given in epoch ms. */
export function shanghaiYear(epochMs: number): number {
  return new Date(epochMs + OFFSET_MS).getUTCFullYear();
}

/** Calendar date in Asia/Shanghai of an instant, `YYYY-MM-DD`. */
export function shanghaiDate(epochMs: number): string {
  return new Date(epochMs + OFFSET_MS).toISOString().slice(0, 10);
}

/** Epoch ms of 00:00 on 1 January of a year in Asia/Shanghai. */
export function shanghaiYearStartMs(year: number): number {
  return Date.UTC(year, 0, 1) - OFFSET_MS;
}

/**
 * Splits a half-open interval `[startMs, endMs)` at new year in Asia/Shanghai and adds each part's
 * length to the total of its year.
 */
export function addByYear(totals: Map<number, number>, startMs: number, endMs: number): void {
  let from = startMs;
  while (from < endMs) {
    const year = shanghaiYear(from);
    const to = Math.min(endMs, shanghaiYearStartMs(year + 1));
    totals.set(year, (totals.get(year) ?? 0) + (to - from));
    from = to;
  }
}
