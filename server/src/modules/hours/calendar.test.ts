import { describe, expect, it } from 'vitest';
import { addByYear, shanghaiDate, shanghaiYear, shanghaiYearStartMs } from './calendar.js';

describe('Asia/Shanghai calendar', () => {
  it('puts 31 December 16:00 UTC in the next year', () => {
    const instant = Date.parse('2024-12-31T16:00:00Z');
    expect(shanghaiYear(instant)).toBe(2025);
    expect(shanghaiYear(instant - 1)).toBe(2024);
    expect(shanghaiDate(instant)).toBe('2025-01-01');
    expect(shanghaiYearStartMs(2025)).toBe(instant);
  });

  it('splits an interval across new year by the time on each side', () => {
    const newYear = Date.parse('2025-01-01T00:00:00+08:00');
    const totals = new Map<number, number>();
    addByYear(totals, newYear - 90_000, newYear + 30_000);
    addByYear(totals, newYear + 60_000, newYear + 75_000);
    expect([...totals.entries()]).toEqual([
      [2024, 90_000],
      [2025, 45_000],
    ]);
  });
});
