import type { CreditRules } from './credit-rules.js';

export type LessonType = 'article' | 'document' | 'video';

/**
 * Facts about a lesson that the crediting rules need, copied from the lesson document
 * (`type` and the fields of `content`). A field that does not apply to the type may be null.
 */
export interface LessonFacts {
  lessonId: string;
  type: LessonType;
  /** Video length in seconds. */
  durationSeconds?: number | null;
  /** Number of document pages. */
  pageCount?: number | null;
  /** Article length: Chinese characters plus Latin words. */
  wordCount?: number | null;
}

/** Returns the field when it is a positive finite number, otherwise null. */
export function positiveOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}

/**
 * Normalizes a position reported by the client for the lesson type, or returns null when it
 * cannot be used. A video position is in seconds and is clamped to the duration, because the
 * stored duration and the real file may differ slightly. A document position is a 1-based page
 * number and must be a whole page that exists. An article position is the share of the text
 * that has been on screen, clamped to 1. Negative and non-finite values are unusable.
 */
export function normalizePosition(
  lesson: LessonFacts,
  position: number | null | undefined,
): number | null {
  if (typeof position !== 'number' || !Number.isFinite(position) || position < 0) return null;

  switch (lesson.type) {
    case 'video': {
      const duration = positiveOrNull(lesson.durationSeconds);
      return duration === null ? position : Math.min(position, duration);
    }
    case 'document': {
      const pageCount = positiveOrNull(lesson.pageCount);
      if (!Number.isInteger(position) || position < 1) return null;
      return pageCount !== null && position > pageCount ? null : position;
    }
    case 'article':
      return Math.min(position, 1);
  }
}

/**
 * Returns the most time one video lesson can credit, in whole ms, or null when no cap applies:
 * lessons other than videos, and videos without a positive duration.
 */
export function videoCreditCapMs(lesson: LessonFacts, rules: CreditRules): number | null {
  if (lesson.type !== 'video') return null;
  const duration = positiveOrNull(lesson.durationSeconds);
  // NOTE: a video without a stored duration is credited without a cap and can never complete.
  if (duration === null) return null;
  return Math.floor(duration * rules.videoCreditFactor * 1000);
}
