import { describe, expect, it } from 'vitest';
import { isoWeekKey, scheduledTimeThisWeek, weekStart } from './week.js';

const SHANGHAI = 'Asia/Shanghai';

describe('isoWeekKey', () => {
  it.each([
    ['2026-12-04T02:00:00Z', '2026-W49'],
    // Sunday 23:59:59 in Shanghai is still week 49; a second later is Monday of week 50.
    ['2026-12-06T15:59:59Z', '2026-W49'],
    ['2026-12-06T16:00:00Z', '2026-W50'],
    // 2026 has 53 ISO weeks: 1 January 2027 is a Friday of week 2026-W53.
    ['2026-12-31T00:00:00Z', '2026-W53'],
    ['2027-01-01T00:00:00Z', '2026-W53'],
    ['2027-01-03T16:00:00Z', '2027-W01'],
    // 29 December 2025 is a Monday of week 2026-W01.
    ['2025-12-28T16:00:00Z', '2026-W01'],
  ])('names %s as %s in Asia/Shanghai', (instant, week) => {
    expect(isoWeekKey(new Date(instant), SHANGHAI)).toBe(week);
  });

  it('uses the local date of the time zone', () => {
    const instant = new Date('2026-12-06T20:00:00Z');
    expect(isoWeekKey(instant, 'UTC')).toBe('2026-W49');
    expect(isoWeekKey(instant, SHANGHAI)).toBe('2026-W50');
  });
});

describe('weekStart', () => {
  it('returns Monday 00:00 in the time zone', () => {
    expect(weekStart(new Date('2026-12-04T02:00:00Z'), SHANGHAI).toISOString()).toBe(
      '2026-11-29T16:00:00.000Z',
    );
  });

  it('uses the offset in force at the start of the week', () => {
    // Berlin leaves summer time on Sunday 25 October 2026. That Sunday is in a week that began
    // on Monday 19 October at 00:00 summer time (UTC+2).
    expect(weekStart(new Date('2026-10-25T12:00:00Z'), 'Europe/Berlin').toISOString()).toBe(
      '2026-10-18T22:00:00.000Z',
    );
  });
});

describe('scheduledTimeThisWeek', () => {
  const monday9 = '0 9 * * 1';

  it('is null before Monday 09:00', () => {
    expect(scheduledTimeThisWeek(monday9, SHANGHAI, new Date('2026-11-30T00:59:59Z'))).toBeNull();
  });

  it('is Monday 09:00 from that minute on', () => {
    expect(
      scheduledTimeThisWeek(monday9, SHANGHAI, new Date('2026-11-30T01:00:00Z'))?.toISOString(),
    ).toBe('2026-11-30T01:00:00.000Z');
  });

  it('is Monday 09:00 later in the week, for a missed run', () => {
    expect(
      scheduledTimeThisWeek(monday9, SHANGHAI, new Date('2026-12-04T02:00:00Z'))?.toISOString(),
    ).toBe('2026-11-30T01:00:00.000Z');
  });

  it('takes the seconds field of a six-field expression', () => {
    expect(
      scheduledTimeThisWeek(
        '30 15 10 * * 2',
        SHANGHAI,
        new Date('2026-12-04T02:00:00Z'),
      )?.toISOString(),
    ).toBe('2026-12-01T02:15:30.000Z');
  });

  it('ignores a time of the previous week', () => {
    // Sunday 09:00 of week 49 has passed, but on Monday of week 50 it has not come yet.
    expect(
      scheduledTimeThisWeek('0 9 * * 0', SHANGHAI, new Date('2026-12-07T00:00:00Z')),
    ).toBeNull();
  });
});
