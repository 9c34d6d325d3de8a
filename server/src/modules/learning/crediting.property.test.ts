import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HeartbeatInput } from './crediting.js';
import { unionMs } from './intervals.js';
import { creditLearner } from './learner-credit.js';
import type { SessionRecord } from './learner-credit.js';
import type { LessonFacts } from './lesson-facts.js';

const BASE_MS = Date.parse('2025-03-03T02:00:00Z');

const LESSONS: LessonFacts[] = [
  { lessonId: 'video-short', type: 'video', durationSeconds: 30 },
  { lessonId: 'video-long', type: 'video', durationSeconds: 1_800 },
  { lessonId: 'video-unknown', type: 'video', durationSeconds: null },
  { lessonId: 'document', type: 'document', pageCount: 5 },
  { lessonId: 'article', type: 'article', wordCount: 2_000 },
];

/** Mostly false, so that most generated traffic is ordinary and gets credited. */
const rareFlag = fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, fc.constant(true));

const beatArbitrary = fc.record({
  /** Time since the previous heartbeat was produced: mostly the 15 s period, sometimes any. */
  gapMs: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 14_000, max: 16_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 120_000 }) },
  ),
  seqStep: fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, fc.integer({ min: 2, max: 4 })),
  /** Network delay, sometimes long as in an outage, sometimes negative as no clock is exact. */
  delayMs: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 2_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: -5_000, max: 400_000 }) },
  ),
  /** What a dishonest or broken client adds to its clock reading. */
  forgedMs: fc.oneof(
    { weight: 12, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: -60_000, max: 60_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 1e12 }) },
  ),
  position: fc.option(fc.double({ min: -10, max: 2_000, noNaN: true })),
  playbackRate: fc.option(fc.constantFrom(0.5, 1, 1.25, 2, 16)),
  paused: rareFlag,
  hidden: rareFlag,
  resumed: rareFlag,
});

const sessionArbitrary = fc.record({
  startOffsetMs: fc.integer({ min: 0, max: 5 * 60_000 }),
  clockZeroMs: fc.integer({ min: -1e9, max: 1e9 }),
  lessonIndex: fc.integer({ min: 0, max: LESSONS.length - 1 }),
  endAfterMs: fc.option(fc.integer({ min: 0, max: 30 * 60_000 }), { freq: 2 }),
  firstDelayMs: fc.integer({ min: 0, max: 5_000 }),
  beats: fc.array(beatArbitrary, { maxLength: 40 }),
});

type SessionSpec = typeof sessionArbitrary extends fc.Arbitrary<infer T> ? T : never;

function buildRecords(specs: readonly SessionSpec[]): SessionRecord[] {
  return specs.map((spec, index) => {
    const sessionId = `s${index}`;
    const startedAt = BASE_MS + spec.startOffsetMs;
    const heartbeats: HeartbeatInput[] = [];
    let producedAt = startedAt + spec.firstDelayMs;
    let seq = 0;
    for (const beat of spec.beats) {
      producedAt += heartbeats.length === 0 ? 0 : beat.gapMs;
      seq += beat.seqStep;
      heartbeats.push({
        sessionId,
        seq,
        clientMs: producedAt - spec.clockZeroMs + beat.forgedMs,
        receivedAt: producedAt + beat.delayMs,
        position: beat.position,
        ...(beat.playbackRate === null ? {} : { playbackRate: beat.playbackRate }),
        paused: beat.paused,
        hidden: beat.hidden,
        resumed: beat.resumed,
      });
    }
    return {
      session: {
        sessionId,
        lesson: LESSONS[spec.lessonIndex]!,
        startedAt,
        endedAt: spec.endAfterMs === null ? null : startedAt + spec.endAfterMs,
      },
      heartbeats,
    };
  });
}

/** Server time each session covered: from its start to the last heartbeat received. */
function sessionSpans(records: readonly SessionRecord[]) {
  return records.map(({ session, heartbeats }) => ({
    start: session.startedAt,
    end: heartbeats.reduce((max, beat) => Math.max(max, beat.receivedAt), session.startedAt),
  }));
}

/** Shuffles a copy of the array with a small linear congruential generator seeded by `seed`. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  let state = seed >>> 0;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

const resendArbitrary = fc.array(
  fc.record({
    recordIndex: fc.nat(),
    beatIndex: fc.nat(),
    extraDelayMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3_600_000 })),
    insertAt: fc.nat(),
  }),
  { maxLength: 40 },
);

const specsArbitrary = fc.array(sessionArbitrary, { minLength: 1, maxLength: 5 });
const RUNS = { numRuns: 400 };

describe('crediting properties', () => {
  it('credits at most the union of session spans', () => {
    fc.assert(
      fc.property(specsArbitrary, (specs) => {
        const records = buildRecords(specs);
        const credit = creditLearner(records);

        expect(credit.creditedMs).toBeLessThanOrEqual(unionMs(sessionSpans(records)));
        const sessionSum = credit.sessions.reduce((sum, item) => sum + item.creditedMs, 0);
        expect(credit.creditedMs).toBeLessThanOrEqual(sessionSum);
      }),
      RUNS,
    );
  });

  it('credits each session at most its server time', () => {
    fc.assert(
      fc.property(specsArbitrary, (specs) => {
        const records = buildRecords(specs);
        const credit = creditLearner(records);

        credit.sessions.forEach((item, index) => {
          const startedAt = records[index]!.session.startedAt;
          const lastReceivedAt = item.accepted.at(-1)?.receivedAt ?? startedAt;
          expect(item.creditedMs).toBeLessThanOrEqual(lastReceivedAt - startedAt);
          for (const interval of item.intervals) {
            expect(interval.startMs).toBeGreaterThanOrEqual(startedAt);
            expect(interval.endMs).toBeLessThanOrEqual(lastReceivedAt);
          }
        });
      }),
      RUNS,
    );
  });

  it('returns disjoint intervals in time order', () => {
    fc.assert(
      fc.property(specsArbitrary, (specs) => {
        const { intervals, creditedMs } = creditLearner(buildRecords(specs));

        for (let i = 1; i < intervals.length; i++) {
          expect(intervals[i]!.startMs).toBeGreaterThanOrEqual(intervals[i - 1]!.endMs);
        }
        const ranges = intervals.map((item) => ({ start: item.startMs, end: item.endMs }));
        expect(creditedMs).toBe(unionMs(ranges));
      }),
      RUNS,
    );
  });

  it('keeps video credit within duration times the factor', () => {
    fc.assert(
      fc.property(specsArbitrary, (specs) => {
        const credit = creditLearner(buildRecords(specs));

        for (const lesson of credit.lessons) {
          const duration = lesson.lesson.durationSeconds;
          if (lesson.lesson.type !== 'video' || !duration) continue;
          expect(lesson.progress.creditedMs).toBeLessThanOrEqual(duration * 1.5 * 1000);
        }
      }),
      RUNS,
    );
  });

  it('leaves credit unchanged when heartbeats are resent', () => {
    fc.assert(
      fc.property(specsArbitrary, resendArbitrary, (specs, resends) => {
        const records = buildRecords(specs);
        const before = creditLearner(records);

        const resent = records.map((record) => ({ ...record, heartbeats: [...record.heartbeats] }));
        for (const resend of resends) {
          const original = records[resend.recordIndex % records.length]!;
          const target = resent[resend.recordIndex % records.length]!;
          if (original.heartbeats.length === 0) continue;
          const beat = original.heartbeats[resend.beatIndex % original.heartbeats.length]!;
          const copy = { ...beat, receivedAt: beat.receivedAt + resend.extraDelayMs };
          target.heartbeats.splice(resend.insertAt % (target.heartbeats.length + 1), 0, copy);
        }
        const after = creditLearner(resent);

        expect(after.creditedMs).toBeLessThanOrEqual(before.creditedMs);
        expect(after.creditedMs).toBe(before.creditedMs);
        expect(after.sessions.map((item) => item.creditedMs)).toEqual(
          before.sessions.map((item) => item.creditedMs),
        );
      }),
      RUNS,
    );
  });

  it('does not depend on input order', () => {
    fc.assert(
      fc.property(specsArbitrary, fc.integer(), (specs, seed) => {
        const records = buildRecords(specs);
        const reordered = shuffled(records, seed).map((record, index) => ({
          ...record,
          heartbeats: shuffled(record.heartbeats, seed + index),
        }));

        const original = creditLearner(records);
        const shuffledCredit = creditLearner(reordered);

        expect(shuffledCredit.creditedMs).toBe(original.creditedMs);
        expect(shuffledCredit.intervals).toEqual(original.intervals);
      }),
      RUNS,
    );
  });
});
