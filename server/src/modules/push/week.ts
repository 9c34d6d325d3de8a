// ISO weeks and the weekly schedule in a configured time zone. A run is named by the ISO 8601
// week of its scheduled time, such as `2026-W49`.
import cron from 'node-cron';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function localTime(instant: Date, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** Offset of the zone from UTC at `instant`, in milliseconds. */
function offsetMs(instant: Date, timeZone: string): number {
  const local = localTime(instant, timeZone);
  const asUtc = Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour,
    local.minute,
    local.second,
  );
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** Returns the instant of a wall-clock time in the zone, taking the earlier one in a DST overlap. */
function zonedTime(year: number, month: number, day: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day);
  // Two passes settle the offset when the first guess falls on the other side of a DST change.
  let guess = wall - offsetMs(new Date(wall), timeZone);
  guess = wall - offsetMs(new Date(guess), timeZone);
  return new Date(guess);
}

/** ISO weekday of a calendar date: 1 for Monday to 7 for Sunday. */
function isoWeekday(year: number, month: number, day: number): number {
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return weekday === 0 ? 7 : weekday;
}

/** Returns the ISO 8601 week that contains `instant` in the time zone, such as `2026-W49`. */
export function isoWeekKey(instant: Date, timeZone: string): string {
  const local = localTime(instant, timeZone);
  const date = Date.UTC(local.year, local.month - 1, local.day);
  // The ISO year and week are those of the week's Thursday.
  const thursday = new Date(date + (4 - isoWeekday(local.year, local.month, local.day)) * DAY_MS);
  const isoYear = thursday.getUTCFullYear();
  const dayOfYear = (thursday.getTime() - Date.UTC(isoYear, 0, 1)) / DAY_MS;
  const week = Math.floor(dayOfYear / 7) + 1;
  return `${isoYear}-W${String(week).padStart(2, '0')}`;
}

/** Returns the instant at which the ISO week containing `instant` starts: Monday 00:00 in the zone. */
export function weekStart(instant: Date, timeZone: string): Date {
  const local = localTime(instant, timeZone);
  const monday = new Date(
    Date.UTC(local.year, local.month - 1, local.day) -
      (isoWeekday(local.year, local.month, local.day) - 1) * DAY_MS,
  );
  return zonedTime(
    monday.getUTCFullYear(),
    monday.getUTCMonth() + 1,
    monday.getUTCDate(),
    timeZone,
  );
}

/**
 * Returns the first time in the ISO week of `instant`, at or before `instant`, that the cron
 * expression matches in the time zone, or null when it has not matched yet this week. A server
 * that was down at that time uses it to start the missed run.
 */
export function scheduledTimeThisWeek(
  expression: string,
  timeZone: string,
  instant: Date,
): Date | null {
  // createTask only builds the matcher and registers it; the task is never started, and
  // destroy() removes it from node-cron's registry again.
  const task = cron.createTask(expression, () => undefined, { timezone: timeZone });
  try {
    // A six-field expression can name seconds; the earliest second of a matching minute counts.
    const firstSecond = Math.min(...cron.parse(expression).second);
    const start = weekStart(instant, timeZone).getTime();
    for (let minute = start; minute <= instant.getTime(); minute += MINUTE_MS) {
      const candidate = new Date(minute + firstSecond * 1000);
      if (candidate.getTime() > instant.getTime()) break;
      if (task.match(candidate)) return candidate;
    }
    return null;
  } finally {
    void task.destroy();
  }
}
