// Text and numbers shown on the 我的学时 page, kept free of Taro so that unit tests can import them.
import type { CourseHoursView, HourRecordView, MyHoursResponse } from '@wxlearn/api-types';

/** First year the year switcher offers. */
export const EARLIEST_HOURS_YEAR = 2020;

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

/** Returns the calendar year in Asia/Shanghai (UTC+8 all year since 1991) at `time`. */
export function shanghaiYear(time: Date | number | string): number {
  const millis = time instanceof Date ? time.getTime() : new Date(time).getTime();
  return new Date(millis + SHANGHAI_OFFSET_MS).getUTCFullYear();
}

/**
 * Lists the years a learner can pick, from `currentYear` down to 2020, newest first. A device
 * clock set before 2020 still gets its own year, so the list is never empty.
 */
export function selectableYears(currentYear: number): number[] {
  const years: number[] = [];
  for (let year = currentYear; year >= EARLIEST_HOURS_YEAR; year -= 1) years.push(year);
  return years.length > 0 ? years : [currentYear];
}

/** Reads a `year` page parameter, falling back to `currentYear` when it is not a selectable year. */
export function parseYearParam(value: string, currentYear: number): number {
  if (!/^\d{4}$/.test(value)) return currentYear;
  const year = Number(value);
  return selectableYears(currentYear).includes(year) ? year : currentYear;
}

/** Formats hours with one decimal, such as "12.5" or "8.0". */
export function formatHours(hours: number): string {
  return (Math.round(hours * 10) / 10).toFixed(1);
}

/**
 * Formats learning time as hours and whole minutes, such as "3小时20分", "1小时" or "45分". Seconds
 * are rounded down so that the page never shows more time than was credited.
 */
export function formatLearningTime(totalSeconds: number): string {
  const minutesTotal = Math.floor(Math.max(0, totalSeconds) / 60);
  const hours = Math.floor(minutesTotal / 60);
  const minutes = minutesTotal % 60;
  if (hours === 0) return `${minutes}分`;
  return minutes === 0 ? `${hours}小时` : `${hours}小时${minutes}分`;
}

/** Returns earned hours as a percentage of the requirement, from 0 to 100, or null without one. */
export function progressPercent(earnedHours: number, requiredHours: number | null): number | null {
  if (requiredHours === null) return null;
  if (requiredHours <= 0) return 100;
  return Math.min(100, Math.max(0, Math.round((earnedHours / requiredHours) * 100)));
}

/** Returns the text of the 要求学时 line, which also explains why a requirement is missing. */
export function requiredHoursText(hours: MyHoursResponse): string {
  if (hours.requiredHours !== null) return formatHours(hours.requiredHours);
  if (!hours.bound) return '绑定员工身份后显示';
  return '本单位未设置年度要求';
}

/** Returns the text of the 还差 line, or null when there is no requirement to compare with. */
export function missingHoursText(missingHours: number | null): string | null {
  if (missingHours === null) return null;
  if (missingHours <= 0) return '已完成';
  return `${formatHours(missingHours)} 学时`;
}

/** Describes what a course row counts toward the year's hours. */
export function courseHoursText(course: CourseHoursView, year: number): string {
  if (course.creditHours === null) return '未设置学时';
  if (!course.complete) return `完成后计 ${formatHours(course.creditHours)} 学时`;
  if (course.earnedHours > 0) return `${formatHours(course.earnedHours)} 学时`;

  // A course studied this year but completed in another year credits its hours to that year.
  const completedYear = course.completedAt === null ? null : shanghaiYear(course.completedAt);
  if (completedYear !== null && completedYear !== year) return `已计入${completedYear}年学时`;
  return `${formatHours(course.earnedHours)} 学时`;
}

/** Returns the records sorted by completion date, newest first, keeping the order of equal dates. */
export function newestFirst(records: readonly HourRecordView[]): HourRecordView[] {
  // Array.prototype.sort is stable since ES2019, and `YYYY-MM-DD` strings compare as dates do.
  return [...records].sort((a, b) => {
    if (a.completedOn === b.completedOn) return 0;
    return a.completedOn < b.completedOn ? 1 : -1;
  });
}

/** Returns the source tag of a record, which is the server's source name or a default when blank. */
export function recordSourceText(record: HourRecordView): string {
  const source = record.source.trim();
  if (source !== '') return source;
  return record.kind === 'course' ? '平台学习' : '历史记录';
}
