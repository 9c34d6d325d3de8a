import { describe, expect, it } from 'vitest';
import {
  SECOND,
  articleLesson,
  at,
  documentLesson,
  playBeats,
  session,
  videoLesson,
} from './heartbeat-builders.js';
import type { PlayOptions } from './heartbeat-builders.js';
import { DEFAULT_CREDIT_RULES } from './credit-rules.js';
import type { HeartbeatInput } from './crediting.js';
import { mergeRanges } from './intervals.js';
import { creditLearner } from './learner-credit.js';
import type { SessionRecord } from './learner-credit.js';
import type { LessonFacts } from './lesson-facts.js';

const PHONE_CLOCK_ZERO = at('07:00:00');
const PC_CLOCK_ZERO = at('09:31:12.345');

function record(
  sessionId: string,
  lesson: LessonFacts,
  fromTime: string,
  toTime: string,
  extra: Partial<PlayOptions> = {},
): SessionRecord {
  const fromMs = at(fromTime);
  return {
    session: session(sessionId, lesson, fromMs),
    heartbeats: playBeats({
      sessionId,
      fromMs,
      toMs: at(toTime),
      firstSeq: 1,
      clockZeroMs: PHONE_CLOCK_ZERO,
      ...extra,
    }),
  };
}

describe('creditLearner', () => {
  it('credits two devices playing at once as one stream', () => {
    const lesson = videoLesson('lesson-video', 1_800);
    const phone = record('a-phone', lesson, '10:00:00', '10:05:00');
    const pc = record('b-pc', lesson, '10:00:00', '10:05:00', { clockZeroMs: PC_CLOCK_ZERO });

    const credit = creditLearner([pc, phone]);

    expect(credit.sessions.map((item) => item.creditedMs)).toEqual([300 * SECOND, 300 * SECOND]);
    expect(credit.creditedMs).toBe(300 * SECOND);
    expect(credit.lessons[0]?.progress.creditedMs).toBe(300 * SECOND);
    expect(new Set(credit.intervals.map((item) => item.sessionId))).toEqual(new Set(['a-phone']));
  });

  it('credits the union of overlapping lessons', () => {
    const first = articleLesson('lesson-1', 10_000);
    const second = articleLesson('lesson-2', 10_000);
    const phone = record('phone', first, '10:00:00', '10:05:00');
    const pc = record('pc', second, '10:02:30', '10:07:30', { clockZeroMs: PC_CLOCK_ZERO });

    const credit = creditLearner([phone, pc]);

    expect(credit.creditedMs).toBe(450 * SECOND);
    expect(credit.lessons.map((item) => [item.lessonId, item.progress.creditedMs])).toEqual([
      ['lesson-1', 300 * SECOND],
      ['lesson-2', 150 * SECOND],
    ]);
  });

  it('returns disjoint intervals in time order', () => {
    const lesson = articleLesson('lesson-1', 10_000);
    const phone = record('phone', lesson, '10:00:00', '10:05:00');
    const pc = record('pc', lesson, '10:02:30', '10:07:30', { clockZeroMs: PC_CLOCK_ZERO });

    const { intervals } = creditLearner([phone, pc]);

    for (let i = 1; i < intervals.length; i++) {
      expect(intervals[i]!.startMs).toBeGreaterThanOrEqual(intervals[i - 1]!.endMs);
    }
    expect(intervals[0]?.startMs).toBe(at('10:00:00'));
    expect(intervals.at(-1)?.endMs).toBe(at('10:07:30'));
  });

  it('limits credit moved back by a slow client clock', () => {
    const lesson = articleLesson('lesson-1', 100_000);
    const phone = record('phone', lesson, '10:00:00', '11:00:00');
    // A script starts a session at 09:00, idles, then from 10:00:15 to 11:00:00 sends live
    // heartbeats whose clock claims they were produced from 09:00:15 on.
    const scriptStart = at('09:00:00');
    const scriptBeats: HeartbeatInput[] = [
      { sessionId: 'script', seq: 1, clientMs: 0, receivedAt: scriptStart },
    ];
    for (let seq = 2; seq <= 241; seq++) {
      scriptBeats.push({
        sessionId: 'script',
        seq,
        clientMs: (seq - 1) * 15 * SECOND,
        receivedAt: at('10:00:15') + (seq - 2) * 15 * SECOND,
      });
    }
    const script = { session: session('script', lesson, scriptStart), heartbeats: scriptBeats };
    const trusting = { ...DEFAULT_CREDIT_RULES, maxQueueDelayMs: 1e12 };

    const credit = creditLearner([phone, script]);
    const trustingCredit = creditLearner([phone, script], trusting);

    // 09:00:00 to 09:00:15, then 09:30:15 to 11:00:00: the script gains at most 30 min.
    expect(credit.creditedMs).toBe(5_400 * SECOND);
    expect(trustingCredit.creditedMs).toBe(7_200 * SECOND);
  });

  it('caps a video over all its sessions', () => {
    const lesson = videoLesson('lesson-video', 60);
    const morning = record('morning', lesson, '10:00:00', '10:01:00');
    const evening = record('evening', lesson, '19:00:00', '19:01:00');

    const credit = creditLearner([morning, evening]);

    expect(credit.sessions.map((item) => item.creditedMs)).toEqual([60 * SECOND, 60 * SECOND]);
    expect(credit.creditedMs).toBe(90 * SECOND);
    expect(credit.intervals.at(-1)?.endMs).toBe(at('19:00:30'));
  });

  it('gives overlap to the next session when a cap is used up', () => {
    // Cap: 41 s times 1.5 is 61.5 s, so 1.5 s are left after the first session.
    const video = videoLesson('lesson-video', 41);
    const article = articleLesson('lesson-article', 10_000);
    const first = record('first', video, '10:00:00', '10:01:00');
    const second = record('second', video, '10:00:30', '10:02:30');
    const third = record('third', article, '10:01:00', '10:03:00');

    const credit = creditLearner([first, second, third]);
    const bySession = (id: string) =>
      mergeRanges(
        credit.intervals
          .filter((item) => item.sessionId === id)
          .map((item) => ({ start: item.startMs, end: item.endMs })),
      ).map((range) => [range.start, range.end]);

    expect(bySession('first')).toEqual([[at('10:00:00'), at('10:01:00')]]);
    expect(bySession('second')).toEqual([[at('10:01:00'), at('10:01:01.500')]]);
    expect(bySession('third')).toEqual([[at('10:01:01.500'), at('10:03:00')]]);
    expect(credit.creditedMs).toBe(180 * SECOND);
    expect(credit.lessons[0]?.progress.creditedMs).toBe(61_500);
  });

  it('counts watched seconds only from credited time', () => {
    const lesson = videoLesson('lesson-video', 600);
    const start = at('10:00:00');
    const firstHalf = record('a', lesson, '10:00:00', '10:05:00', {
      positionAt: (time) => (time - start) / SECOND,
    });
    const secondHalf = record('b', lesson, '10:00:00', '10:05:00', {
      clockZeroMs: PC_CLOCK_ZERO,
      positionAt: (time) => 300 + (time - start) / SECOND,
    });

    const credit = creditLearner([firstHalf, secondHalf]);

    expect(credit.sessions[1]?.progress.watchedRanges).toEqual([{ start: 300, end: 600 }]);
    expect(credit.lessons[0]?.progress.watchedRanges).toEqual([{ start: 0, end: 300 }]);
    expect(credit.lessons[0]?.complete).toBe(false);
  });

  it('completes a video whose cap rewatching used up', () => {
    // Cap: 60 s times 1.5 is 90 s, used up by watching 0–30 s three times.
    const lesson = videoLesson('lesson-video', 60);
    const firstHalf = (id: string, from: string, to: string) =>
      record(id, lesson, from, to, { positionAt: (time) => (time - at(from)) / SECOND });
    const rewatches = [
      firstHalf('r1', '10:00:00', '10:00:30'),
      firstHalf('r2', '10:10:00', '10:10:30'),
      firstHalf('r3', '10:20:00', '10:20:30'),
    ];
    const secondHalf = record('rest', lesson, '10:30:00', '10:30:30', {
      positionAt: (time) => 30 + (time - at('10:30:00')) / SECOND,
    });

    const credit = creditLearner([...rewatches, secondHalf]);

    expect(credit.lessons[0]?.progress.creditedMs).toBe(90 * SECOND);
    expect(credit.lessons[0]?.progress.watchedRanges).toEqual([{ start: 0, end: 60 }]);
    expect(credit.lessons[0]?.complete).toBe(true);
  });

  it('completes a document with all pages and the minimum time', () => {
    const lesson = documentLesson('lesson-doc', 3);
    const reading = record('reading', lesson, '10:00:00', '10:00:30');
    reading.heartbeats.forEach((beat, index) => {
      beat.position = index + 1;
    });

    const credit = creditLearner([reading]);

    expect(credit.lessons[0]?.progress.pagesSeen).toEqual([1, 2, 3]);
    expect(credit.lessons[0]?.progress.creditedMs).toBe(30 * SECOND);
    expect(credit.lessons[0]?.complete).toBe(true);
  });

  it('returns the latest position for resuming', () => {
    const lesson = videoLesson('lesson-video', 1_800);
    const start = at('10:00:00');
    const early = record('early', lesson, '10:00:00', '10:01:00', {
      positionAt: (time) => (time - start) / SECOND,
    });
    const later = record('later', lesson, '11:00:00', '11:00:30', {
      positionAt: () => 42,
    });

    const credit = creditLearner([later, early]);

    expect(credit.lessons[0]?.lastPosition).toBe(42);
  });

  it('throws on a repeated session id', () => {
    const lesson = articleLesson('lesson-1', 100);
    const one = record('same', lesson, '10:00:00', '10:01:00');

    expect(() => creditLearner([one, one])).toThrow(/duplicate session same/);
  });
});
