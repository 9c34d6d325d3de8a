import { describe, expect, it } from 'vitest';
import { isLessonComplete, minimumCreditMs, watchedShare } from './completion.js';
import type { LessonProgress } from './completion.js';
import { DEFAULT_CREDIT_RULES } from './credit-rules.js';
import { articleLesson, documentLesson, videoLesson } from './heartbeat-builders.js';

const empty: LessonProgress = {
  creditedMs: 0,
  watchedRanges: [],
  pagesSeen: [],
  maxScrollRatio: null,
};

describe('isLessonComplete video', () => {
  const lesson = videoLesson('video', 600);

  it('completes at 90% of distinct seconds', () => {
    const progress = {
      ...empty,
      watchedRanges: [
        { start: 0, end: 300 },
        { start: 300, end: 540 },
      ],
    };
    expect(isLessonComplete(lesson, progress)).toBe(true);
  });

  it('does not complete below 90%', () => {
    const progress = { ...empty, watchedRanges: [{ start: 0, end: 539 }] };
    expect(isLessonComplete(lesson, progress)).toBe(false);
  });

  it('counts rewatched seconds once', () => {
    const progress = {
      ...empty,
      watchedRanges: [
        { start: 0, end: 300 },
        { start: 0, end: 300 },
      ],
    };
    expect(watchedShare(lesson, progress.watchedRanges)).toBe(0.5);
    expect(isLessonComplete(lesson, progress)).toBe(false);
  });

  it('follows a configured share', () => {
    const rules = { ...DEFAULT_CREDIT_RULES, videoCompleteShare: 0.5 };
    const progress = { ...empty, watchedRanges: [{ start: 0, end: 300 }] };
    expect(isLessonComplete(lesson, progress, rules)).toBe(true);
  });

  it('never completes without a duration', () => {
    const progress = { ...empty, watchedRanges: [{ start: 0, end: 600 }] };
    expect(isLessonComplete(videoLesson('video', 0), progress)).toBe(false);
  });
});

describe('isLessonComplete document', () => {
  const lesson = documentLesson('doc', 4);

  it('requires 10 s per page by default', () => {
    expect(minimumCreditMs(lesson)).toBe(40_000);
  });

  it('completes with every page and the minimum time', () => {
    const progress = { ...empty, creditedMs: 40_000, pagesSeen: [1, 2, 3, 4] };
    expect(isLessonComplete(lesson, progress)).toBe(true);
  });

  it('does not complete with a page missing', () => {
    const progress = { ...empty, creditedMs: 400_000, pagesSeen: [1, 2, 4] };
    expect(isLessonComplete(lesson, progress)).toBe(false);
  });

  it('does not complete below the minimum time', () => {
    const progress = { ...empty, creditedMs: 39_999, pagesSeen: [1, 2, 3, 4] };
    expect(isLessonComplete(lesson, progress)).toBe(false);
  });
});

describe('isLessonComplete article', () => {
  const lesson = articleLesson('article', 1_000);

  it('requires the reading time at 500 words per minute', () => {
    expect(minimumCreditMs(lesson)).toBe(120_000);
  });

  it('completes when read to the end for long enough', () => {
    const progress = { ...empty, creditedMs: 120_000, maxScrollRatio: 0.95 };
    expect(isLessonComplete(lesson, progress)).toBe(true);
  });

  it('does not complete when read too fast', () => {
    const progress = { ...empty, creditedMs: 105_000, maxScrollRatio: 1 };
    expect(isLessonComplete(lesson, progress)).toBe(false);
  });

  it('does not complete when not scrolled far enough', () => {
    const progress = { ...empty, creditedMs: 600_000, maxScrollRatio: 0.5 };
    expect(isLessonComplete(lesson, progress)).toBe(false);
  });
});
