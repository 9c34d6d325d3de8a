// Parser for free-text study-hour estimates such as 预计学时 on course pages.
import type { HoursRange } from './types.js';

const NUMBER = String.raw`\d+(?:\.\d+)?`;
const RANGE_SEPARATOR = String.raw`\s*(?:-|–|—|~|至|到)\s*`;
const HOUR_UNIT = String.raw`(?:小时|学时|课时|hours?|hrs?|h)`;
const MINUTE_UNIT = String.raw`(?:分钟|minutes?|mins?)`;
// Units that are not a duration in hours: a number followed by one of them is not an hour count.
const OTHER_UNIT = /^\s*(?:天|日|周|星期|个月|月|年|节|讲|次|days?|weeks?|months?|years?)/i;

/**
 * Parses a study-hour estimate into an hour range. Decisions:
 * - 学时 and 课时 count as hours (the catalog uses them that way), minutes are divided by 60,
 *   and a bare number counts as hours.
 * - Bound words are dropped and the stated number becomes both min and max: "100h+",
 *   "100 学时以上", "200 小时+，上不封顶", "约 19 小时" and "少于 15 小时" give {n, n}.
 *   For hour crediting a stated figure is safer than an invented 0 or an open bound, and
 *   `hoursRaw` keeps the qualifier for display.
 * - Text in brackets is a breakdown or a remark and is ignored when a figure stands outside
 *   it: "约 140 小时（14 周 × 10 小时/周）" gives {140, 140}.
 * - Weekly terms times a number of weeks are summed: "每周 2 小时（讲座）+ 每周 4–10 小时
 *   （作业），持续 12 周" gives {(2+4)*12, (2+10)*12} = {72, 144}; "14 周 × 10 小时/周" gives 140.
 * - Returns null when the text has no number of hours ("因人而异", "12 周", empty).
 */
export function parseStudyHours(raw: string | null | undefined): HoursRange | null {
  if (raw === null || raw === undefined) {
    return null;
  }
  // NFKC turns full-width digits, brackets, '～' and '＋' into their ASCII forms.
  const normalised = raw.normalize('NFKC').trim();
  if (!/\d/.test(normalised)) {
    return null;
  }
  const outsideBrackets = normalised.replace(/\([^)]*\)|\[[^\]]*\]|【[^】]*】/g, ' ').trim();
  const text = /\d/.test(outsideBrackets)
    ? outsideBrackets
    : normalised.replace(/[()[\]【】]/g, ' ');

  return parseWeekly(text) ?? parseWeeksTimesHours(text) ?? parseRangeOrNumber(text);
}

function toHours(value: number, unit: string | undefined): number {
  if (unit !== undefined && new RegExp(`^${MINUTE_UNIT}$`, 'i').test(unit)) {
    return value / 60;
  }
  return value;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** "每周 A 小时 + 每周 B–C 小时，持续 N 周" → sum of the weekly terms times N. */
function parseWeekly(text: string): HoursRange | null {
  if (!text.includes('每周')) {
    return null;
  }
  const weeksMatch = new RegExp(`(?:持续|共|为期|连续)\\s*(${NUMBER})\\s*(?:个)?(?:周|星期)`).exec(
    text,
  );
  if (!weeksMatch) {
    return null;
  }
  const weeks = Number(weeksMatch[1]);
  const termPattern = new RegExp(
    `每周\\s*(${NUMBER})(?:${RANGE_SEPARATOR}(${NUMBER}))?\\s*(${HOUR_UNIT}|${MINUTE_UNIT})?`,
    'gi',
  );
  let min = 0;
  let max = 0;
  let terms = 0;
  for (const match of text.matchAll(termPattern)) {
    const low = toHours(Number(match[1]), match[3]);
    const high = match[2] === undefined ? low : toHours(Number(match[2]), match[3]);
    min += low;
    max += high;
    terms++;
  }
  if (terms === 0) {
    return null;
  }
  return { min: round(min * weeks), max: round(max * weeks) };
}

/** "14 周 × 10 小时/周" → 140. */
function parseWeeksTimesHours(text: string): HoursRange | null {
  const match = new RegExp(
    `(${NUMBER})\\s*(?:个)?(?:周|星期|weeks?)\\s*[×xX*]\\s*(${NUMBER})(?:${RANGE_SEPARATOR}(${NUMBER}))?\\s*${HOUR_UNIT}\\s*(?:/|每)\\s*(?:周|星期|week)`,
    'i',
  ).exec(text);
  if (!match) {
    return null;
  }
  const weeks = Number(match[1]);
  const low = Number(match[2]);
  const high = match[3] === undefined ? low : Number(match[3]);
  return { min: round(low * weeks), max: round(high * weeks) };
}

function parseRangeOrNumber(text: string): HoursRange | null {
  const range = new RegExp(
    `(${NUMBER})\\s*(${HOUR_UNIT}|${MINUTE_UNIT})?${RANGE_SEPARATOR}(${NUMBER})\\s*(${HOUR_UNIT}|${MINUTE_UNIT})?`,
    'i',
  ).exec(text);
  if (range) {
    const rest = text.slice(range.index + range[0].length);
    if (range[4] === undefined && OTHER_UNIT.test(rest)) {
      return null;
    }
    const unit = range[4] ?? range[2];
    const low = toHours(Number(range[1]), unit);
    const high = toHours(Number(range[3]), unit);
    return { min: round(Math.min(low, high)), max: round(Math.max(low, high)) };
  }
  const single = new RegExp(`(${NUMBER})\\s*(${HOUR_UNIT}|${MINUTE_UNIT})?`, 'i').exec(text);
  if (!single) {
    return null;
  }
  const rest = text.slice(single.index + single[0].length);
  if (single[2] === undefined && OTHER_UNIT.test(rest)) {
    return null;
  }
  const value = round(toHours(Number(single[1]), single[2]));
  return { min: value, max: value };
}
