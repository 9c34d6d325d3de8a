import { DEFAULT_CREDIT_RULES } from './credit-rules.js';
import type { CreditRules } from './credit-rules.js';
import { clipRanges, unionLength } from './intervals.js';
import type { NumberRange } from './intervals.js';
import { positiveOrNull } from './lesson-facts.js';
import type { LessonFacts } from './lesson-facts.js';

/** A learner's progress in one lesson, gathered over the sessions of interest. */
export interface LessonProgress {
  /** Credited learning time in the lesson, after de-duplication across devices. */
  creditedMs: number;
  /** Distinct media seconds watched (video lessons). */
  watchedRanges: readonly NumberRange[];
  /** Pages seen (document lessons). */
  pagesSeen: readonly number[];
  /** Highest share of the article on screen, 0 to 1 (article lessons). */
  maxScrollRatio: number | null;
}

/**
 * Returns the credited time in ms that a lesson requires before it can complete. A document
 * requires its page count times `documentMinSecondsPerPage`. An article requires its reading
 * time at `articleWordsPerMinute`, rounded up to a whole ms. A video requires 0, because it
 * completes by coverage. A missing page or word count gives 0.
 */
export function minimumCreditMs(
  lesson: LessonFacts,
  rules: CreditRules = DEFAULT_CREDIT_RULES,
): number {
  switch (lesson.type) {
    case 'document':
      return (positiveOrNull(lesson.pageCount) ?? 0) * rules.documentMinSecondsPerPage * 1000;
    case 'article':
      return Math.ceil(
        ((positiveOrNull(lesson.wordCount) ?? 0) / rules.articleWordsPerMinute) * 60_000,
      );
    case 'video':
      return 0;
  }
}

/**
 * Returns the share of a video's seconds, 0 to 1, covered by the watched ranges, or 0 when the
 * lesson has no positive duration.
 */
export function watchedShare(lesson: LessonFacts, watchedRanges: readonly NumberRange[]): number {
  const duration = positiveOrNull(lesson.durationSeconds);
  if (duration === null) return 0;
  return unionLength(clipRanges(watchedRanges, 0, duration)) / duration;
}

/**
 * Decides whether a lesson is complete.
 * - Video: distinct watched seconds reach `videoCompleteShare` of the duration. A video without
 *   a positive duration never completes.
 * - Document: every page from 1 to `pageCount` was seen and the credited time reaches
 *   `minimumCreditMs`. A document without a positive page count never completes.
 * - Article: the share on screen reaches `articleMinScrollRatio` and the credited time reaches
 *   `minimumCreditMs`.
 */
export function isLessonComplete(
  lesson: LessonFacts,
  progress: LessonProgress,
  rules: CreditRules = DEFAULT_CREDIT_RULES,
): boolean {
  switch (lesson.type) {
    case 'video':
      return (
        positiveOrNull(lesson.durationSeconds) !== null &&
        watchedShare(lesson, progress.watchedRanges) >= rules.videoCompleteShare
      );
    case 'document': {
      const pageCount = positiveOrNull(lesson.pageCount);
      if (pageCount === null) return false;
      const seen = new Set(progress.pagesSeen);
      for (let page = 1; page <= pageCount; page++) {
        if (!seen.has(page)) return false;
      }
      return progress.creditedMs >= minimumCreditMs(lesson, rules);
    }
    case 'article':
      return (
        (progress.maxScrollRatio ?? 0) >= rules.articleMinScrollRatio &&
        progress.creditedMs >= minimumCreditMs(lesson, rules)
      );
  }
}
