/**
 * Half-open range `[start, end)` on one numeric axis: server time in epoch milliseconds for
 * credited time, media seconds for watched video. A range with `end <= start` is empty.
 */
export interface NumberRange {
  start: number;
  end: number;
}

/**
 * Merges ranges into a sorted list of disjoint, non-empty ranges covering the same points.
 * Ranges that touch (`a.end === b.start`) are joined. The input is not modified.
 */
export function mergeRanges(ranges: readonly NumberRange[]): NumberRange[] {
  const sorted = ranges
    .filter((range) => range.end > range.start)
    .map((range) => ({ start: range.start, end: range.end }))
    .sort((a, b) => a.start - b.start || a.end - b.end);

  const merged: NumberRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last && range.start <= last.end) {
      last.end = Math.max(last.end, range.end);
    } else {
      merged.push(range);
    }
  }
  return merged;
}

/** Sums the lengths of ranges as given, so overlapping parts count more than once. */
export function sumLengths(ranges: readonly NumberRange[]): number {
  let total = 0;
  for (const range of ranges) {
    if (range.end > range.start) total += range.end - range.start;
  }
  return total;
}

/** Measures the union of ranges: every point counts once however many ranges cover it. */
export function unionLength(ranges: readonly NumberRange[]): number {
  return sumLengths(mergeRanges(ranges));
}

/** Measures the union of time ranges in milliseconds, like `unionLength`. */
export function unionMs(intervals: readonly NumberRange[]): number {
  return unionLength(intervals);
}

/** Cuts each range to `[min, max)` and drops the ranges left empty. */
export function clipRanges(
  ranges: readonly NumberRange[],
  min: number,
  max: number,
): NumberRange[] {
  const clipped: NumberRange[] = [];
  for (const range of ranges) {
    const start = Math.max(range.start, min);
    const end = Math.min(range.end, max);
    if (end > start) clipped.push({ start, end });
  }
  return clipped;
}
