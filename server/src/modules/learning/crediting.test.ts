import { describe, expect, it } from 'vitest';
import { isLessonComplete } from './completion.js';
import { DEFAULT_CREDIT_RULES } from './credit-rules.js';
import { creditSession } from './crediting.js';
import type { HeartbeatInput } from './crediting.js';
import {
  MINUTE,
  NETWORK_DELAY_MS,
  SECOND,
  articleLesson,
  at,
  documentLesson,
  playBeats,
  session,
  videoLesson,
} from './heartbeat-builders.js';

// The device's monotonic clock started long before the lesson, and only differences matter.
const CLOCK_ZERO = at('08:13:07');
const START = at('10:00:00');

const article = articleLesson('lesson-article', 100_000);

function beatsFrom(fromTime: string, toTime: string, firstSeq: number, sessionId = 's1') {
  return playBeats({
    sessionId,
    fromMs: at(fromTime),
    toMs: at(toTime),
    firstSeq,
    clockZeroMs: CLOCK_ZERO,
  });
}

describe('creditSession gaps', () => {
  it('credits continuous play by client time', () => {
    const credit = creditSession(
      session('s1', article, START),
      beatsFrom('10:00:00', '10:05:00', 1),
    );

    expect(credit.accepted).toHaveLength(21);
    expect(credit.rejected).toEqual([]);
    expect(credit.creditedMs).toBe(300 * SECOND);
    expect(credit.intervals[0]?.startMs).toBe(START);
    expect(credit.intervals.at(-1)?.endMs).toBe(at('10:05:00'));
  });

  it('records evidence on each interval', () => {
    const credit = creditSession(
      session('s1', article, START),
      beatsFrom('10:00:00', '10:00:15', 1),
    );

    expect(credit.intervals).toEqual([
      {
        sessionId: 's1',
        lessonId: 'lesson-article',
        startMs: START,
        endMs: START + 15 * SECOND,
        fromSeq: 1,
        toSeq: 2,
        fromReceivedAt: START + NETWORK_DELAY_MS,
        toReceivedAt: START + 15 * SECOND + NETWORK_DELAY_MS,
        fromPosition: null,
        toPosition: null,
        watched: null,
      },
    ]);
  });

  it('credits no hidden time with hidden and resumed flags', () => {
    const before = beatsFrom('10:00:00', '10:02:00', 1);
    before.at(-1)!.hidden = true;
    const after = beatsFrom('10:30:00', '10:32:00', 10);
    after[0]!.resumed = true;

    const credit = creditSession(session('s1', article, START), [...before, ...after]);

    expect(credit.creditedMs).toBe(240 * SECOND);
    expect(credit.uncredited).toEqual([
      { fromSeq: 9, toSeq: 10, uncreditedMs: 28 * MINUTE, reason: 'hidden' },
    ]);
  });

  it('credits no hidden time when only the resumed flag arrives', () => {
    const before = beatsFrom('10:00:00', '10:02:00', 1);
    const after = beatsFrom('10:30:00', '10:32:00', 10);
    after[0]!.resumed = true;

    const credit = creditSession(session('s1', article, START), [...before, ...after]);

    expect(credit.creditedMs).toBe(240 * SECOND);
    expect(credit.uncredited[0]?.reason).toBe('resumed');
  });

  it('caps a hidden gap without flags at interval plus tolerance', () => {
    const before = beatsFrom('10:00:00', '10:02:00', 1);
    const after = beatsFrom('10:30:00', '10:32:00', 10);

    const credit = creditSession(session('s1', article, START), [...before, ...after]);

    // 240 s of play plus at most 15 s + 5 s for the gap, whose true share of play is unknown.
    expect(credit.creditedMs).toBe(260 * SECOND);
    expect(credit.uncredited).toEqual([
      { fromSeq: 9, toSeq: 10, uncreditedMs: 28 * MINUTE - 20 * SECOND, reason: 'over_cap' },
    ]);
  });

  it('credits queued heartbeats of an outage once', () => {
    // Heartbeats every 15 s from 10:00:00 to 10:06:00. Those produced between 10:01:15 and
    // 10:04:00 are queued and arrive in one batch at 10:04:00.300, out of seq order.
    const beats = beatsFrom('10:00:00', '10:06:00', 1);
    const batchReceivedAt = at('10:04:00.300');
    const queued = beats.filter((beat) => beat.seq >= 6 && beat.seq <= 17);
    for (const beat of queued) beat.receivedAt = batchReceivedAt;
    const delivered = [
      ...beats.filter((beat) => beat.seq <= 5),
      ...[...queued].reverse(),
      ...beats.filter((beat) => beat.seq >= 18),
    ];

    const first = creditSession(session('s1', article, START), delivered);
    const resent = queued.map((beat) => ({ ...beat, receivedAt: at('10:06:30') }));
    const again = creditSession(session('s1', article, START), [...delivered, ...resent]);

    expect(first.creditedMs).toBe(360 * SECOND);
    expect(first.intervals[5]?.startMs).toBe(at('10:01:15'));
    expect(first.rejected).toEqual([]);
    expect(again.creditedMs).toBe(360 * SECOND);
    expect(again.rejected).toHaveLength(12);
    expect(again.rejected.every((item) => item.reason === 'duplicate')).toBe(true);
  });

  it('places an old queue near its receipt', () => {
    // Only seq 1 arrives live. The app is closed at 10:05:00 and its queue is sent at 10:55:00.
    const beats = beatsFrom('10:00:00', '10:05:00', 1);
    for (const beat of beats.slice(1)) beat.receivedAt = at('10:55:00');

    const credit = creditSession(session('s1', article, START), beats);

    expect(credit.creditedMs).toBe(300 * SECOND);
    expect(credit.intervals[0]?.startMs).toBe(START);
    // No heartbeat is placed more than maxQueueDelayMs (30 min) before its receipt.
    expect(credit.intervals[1]?.startMs).toBe(at('10:25:00'));
    expect(credit.intervals.at(-1)?.endMs).toBe(at('10:29:45'));
  });

  it('caps an outage whose heartbeats were lost', () => {
    const beats = beatsFrom('10:00:00', '10:06:00', 1).filter(
      (beat) => beat.seq <= 5 || beat.seq >= 17,
    );

    const credit = creditSession(session('s1', article, START), beats);

    // 60 s before the outage, 20 s capped for the 180 s gap, 120 s after it.
    expect(credit.creditedMs).toBe(200 * SECOND);
    expect(credit.uncredited).toEqual([
      { fromSeq: 5, toSeq: 17, uncreditedMs: 160 * SECOND, reason: 'over_cap' },
    ]);
  });

  it('credits a session ended twice once', () => {
    const beats = beatsFrom('10:00:00', '10:05:00', 1);
    const endBeat = beats.at(-1)!;
    const endedAt = endBeat.receivedAt;
    const repeatedEnd = { ...endBeat, receivedAt: endedAt + 10 * SECOND };
    const laterEnd = {
      ...endBeat,
      seq: endBeat.seq + 1,
      clientMs: endBeat.clientMs + 10 * SECOND,
      receivedAt: endedAt + 10 * SECOND,
    };

    const once = creditSession(session('s1', article, START, endedAt), beats);
    const twice = creditSession(session('s1', article, START, endedAt), [...beats, repeatedEnd]);
    const withNewSeq = creditSession(session('s1', article, START, endedAt), [...beats, laterEnd]);

    expect(once.creditedMs).toBe(300 * SECOND);
    expect(twice.creditedMs).toBe(300 * SECOND);
    expect(twice.rejected.map((item) => item.reason)).toEqual(['duplicate']);
    expect(withNewSeq.creditedMs).toBe(300 * SECOND);
    expect(withNewSeq.rejected.map((item) => item.reason)).toEqual(['after_end']);
  });

  it('returns the same credit when recomputed', () => {
    const beats = beatsFrom('10:00:00', '10:05:00', 1);
    const input = session('s1', article, START, beats.at(-1)!.receivedAt);

    expect(creditSession(input, beats)).toEqual(creditSession(input, beats));
  });

  it('limits credit by the server clock when the client clock runs fast', () => {
    const beats: HeartbeatInput[] = [
      { sessionId: 's1', seq: 1, clientMs: 1_000, receivedAt: START + 100 },
      // Claims 16.5 s, the server saw 15 s: within the 2 s skew allowance, so accepted.
      { sessionId: 's1', seq: 2, clientMs: 17_500, receivedAt: START + 15 * SECOND },
    ];

    const credit = creditSession(session('s1', article, START), beats);

    expect(credit.rejected).toEqual([]);
    expect(credit.creditedMs).toBe(15 * SECOND);
    expect(credit.uncredited).toEqual([
      { fromSeq: 1, toSeq: 2, uncreditedMs: 1_500, reason: 'server_clock' },
    ]);
  });
});

describe('creditSession rejections', () => {
  const base = (): HeartbeatInput[] => beatsFrom('10:00:00', '10:01:00', 1);

  it('rejects a heartbeat claiming more time than the server saw', () => {
    const beats = base();
    // Received at 10:01:15.150 but claims 2 minutes since the first heartbeat.
    const ahead = {
      sessionId: 's1',
      seq: 6,
      clientMs: beats[0]!.clientMs + 2 * MINUTE,
      receivedAt: at('10:01:15.150'),
    };

    const credit = creditSession(session('s1', article, START), [...beats, ahead]);

    expect(credit.rejected).toEqual([
      { index: 5, seq: 6, receivedAt: ahead.receivedAt, reason: 'ahead_of_server_clock' },
    ]);
    expect(credit.creditedMs).toBe(60 * SECOND);
  });

  it('rejects a far-future clientMs', () => {
    const beats = base();
    const future = { sessionId: 's1', seq: 6, clientMs: 1e15, receivedAt: at('10:01:15.150') };

    const credit = creditSession(session('s1', article, START), [...beats, future]);

    expect(credit.rejected.map((item) => item.reason)).toEqual(['ahead_of_server_clock']);
    expect(credit.creditedMs).toBe(60 * SECOND);
  });

  it('keeps a rejected seq rejected when resent', () => {
    const beats = base();
    const future = {
      sessionId: 's1',
      seq: 6,
      clientMs: beats[0]!.clientMs + 2 * MINUTE,
      receivedAt: at('10:01:15.150'),
    };
    const resentLater = { ...future, receivedAt: at('10:03:00') };

    const credit = creditSession(session('s1', article, START), [...beats, future, resentLater]);

    expect(credit.rejected.map((item) => item.reason)).toEqual([
      'ahead_of_server_clock',
      'duplicate',
    ]);
    expect(credit.creditedMs).toBe(60 * SECOND);
  });

  it('credits nothing for a seq going backwards', () => {
    const beats = base().filter((beat) => beat.seq !== 3);
    const lateSeq = {
      sessionId: 's1',
      seq: 3,
      clientMs: beats[0]!.clientMs + 30 * SECOND,
      receivedAt: at('10:01:05'),
    };
    const before = creditSession(session('s1', article, START), beats);

    const credit = creditSession(session('s1', article, START), [...beats, lateSeq]);

    // 15 s, then 20 s capped for the 30 s gap from seq 2 to 4, then 15 s. Accepting seq 3 late
    // would split the capped gap and raise the credit to 60 s.
    expect(before.creditedMs).toBe(50 * SECOND);
    expect(credit.creditedMs).toBe(50 * SECOND);
    expect(credit.rejected.map((item) => item.reason)).toEqual(['late']);
  });

  it('rejects a clientMs lower than the previous one', () => {
    const beats = base();
    const backwards = {
      sessionId: 's1',
      seq: 6,
      clientMs: beats[4]!.clientMs - 1,
      receivedAt: at('10:01:15.150'),
    };

    const credit = creditSession(session('s1', article, START), [...beats, backwards]);

    expect(credit.rejected.map((item) => item.reason)).toEqual(['clock_backwards']);
    expect(credit.creditedMs).toBe(60 * SECOND);
  });

  it('rejects malformed heartbeats', () => {
    const beats = base();
    const malformed: HeartbeatInput[] = [
      { sessionId: 's1', seq: 0, clientMs: 0, receivedAt: at('10:01:10') },
      { sessionId: 's1', seq: 2.5, clientMs: 0, receivedAt: at('10:01:10') },
      { sessionId: 's1', seq: 7, clientMs: Number.NaN, receivedAt: at('10:01:10') },
      { sessionId: 's1', seq: 8, clientMs: 0, receivedAt: Number.POSITIVE_INFINITY },
      {
        sessionId: 's1',
        seq: 9,
        clientMs: beats[4]!.clientMs + 20 * SECOND,
        receivedAt: at('10:01:20'),
        playbackRate: 0,
      },
    ];

    const credit = creditSession(session('s1', article, START), [...beats, ...malformed]);

    expect(credit.rejected.map((item) => item.reason)).toEqual([
      'invalid',
      'invalid',
      'invalid',
      'invalid',
      'invalid',
    ]);
    expect(credit.creditedMs).toBe(60 * SECOND);
  });

  it('rejects heartbeats of another session or before the start', () => {
    const other = { sessionId: 's2', seq: 6, clientMs: 0, receivedAt: at('10:01:10') };
    const early = beatsFrom('09:59:30', '09:59:30', 1);

    const credit = creditSession(session('s1', article, START), [...early, other]);

    expect(credit.rejected.map((item) => item.reason)).toEqual(['before_start', 'wrong_session']);
    expect(credit.accepted).toEqual([]);
  });

  it('throws on an end before the start', () => {
    expect(() => creditSession(session('s1', article, START, START - 1), [])).toThrow(/endedAt/);
  });

  it('throws on an invalid rule', () => {
    const rules = { ...DEFAULT_CREDIT_RULES, heartbeatToleranceMs: -1 };
    expect(() => creditSession(session('s1', article, START), [], rules)).toThrow(
      /heartbeatToleranceMs/,
    );
  });
});

describe('creditSession video', () => {
  it('credits time but no watched seconds for seeks forward', () => {
    const lesson = videoLesson('lesson-video', 1_800);
    const beats = playBeats({
      sessionId: 's1',
      fromMs: START,
      toMs: at('10:00:30'),
      firstSeq: 1,
      clockZeroMs: CLOCK_ZERO,
      positionAt: (time) => ((time - START) / (15 * SECOND)) * 600,
    });

    const credit = creditSession(session('s1', lesson, START), beats);
    const progress = { creditedMs: credit.creditedMs, ...credit.progress };

    expect(beats.map((beat) => beat.position)).toEqual([0, 600, 1_200]);
    expect(credit.creditedMs).toBe(30 * SECOND);
    expect(credit.progress.watchedRanges).toEqual([]);
    expect(isLessonComplete(lesson, progress)).toBe(false);
  });

  it('credits real time at 2x playback', () => {
    const lesson = videoLesson('lesson-video', 600);
    const beats = playBeats({
      sessionId: 's1',
      fromMs: START,
      toMs: at('10:05:00'),
      firstSeq: 1,
      clockZeroMs: CLOCK_ZERO,
      positionAt: (time) => ((time - START) / SECOND) * 2,
      playbackRate: 2,
    });

    const credit = creditSession(session('s1', lesson, START), beats);
    const progress = { creditedMs: credit.creditedMs, ...credit.progress };

    expect(credit.creditedMs).toBe(300 * SECOND);
    expect(credit.progress.watchedRanges).toEqual([{ start: 0, end: 600 }]);
    expect(isLessonComplete(lesson, progress)).toBe(true);
  });

  it('counts no more media than rate allows', () => {
    const lesson = videoLesson('lesson-video', 600);
    // Claims 16 s of media per 15 s at 1x: within the 2 s tolerance, so not a seek.
    const beats = playBeats({
      sessionId: 's1',
      fromMs: START,
      toMs: at('10:00:30'),
      firstSeq: 1,
      clockZeroMs: CLOCK_ZERO,
      positionAt: (time) => ((time - START) / (15 * SECOND)) * 16,
    });

    const credit = creditSession(session('s1', lesson, START), beats);

    expect(credit.progress.watchedRanges).toEqual([
      { start: 0, end: 15 },
      { start: 16, end: 31 },
    ]);
  });

  it('credits no paused time', () => {
    const lesson = videoLesson('lesson-video', 600);
    const beats = beatsFrom('10:00:00', '10:02:00', 1);
    beats[4]!.paused = true; // paused at 10:01:00, played again at 10:01:45
    beats[5]!.paused = true;
    beats[6]!.paused = true;

    const credit = creditSession(session('s1', lesson, START), beats);

    expect(credit.creditedMs).toBe(75 * SECOND);
    expect(credit.uncredited.map((gap) => gap.reason)).toEqual(['paused', 'paused', 'paused']);
  });

  it('caps a video at duration times the factor', () => {
    const lesson = videoLesson('lesson-video', 60);
    const beats = playBeats({
      sessionId: 's1',
      fromMs: START,
      toMs: at('10:03:00'),
      firstSeq: 1,
      clockZeroMs: CLOCK_ZERO,
      positionAt: (time) => ((time - START) / SECOND) % 60,
    });

    const credit = creditSession(session('s1', lesson, START), beats);

    expect(credit.creditedMs).toBe(90 * SECOND);
    expect(credit.intervals.at(-1)?.endMs).toBe(START + 90 * SECOND);
    expect(credit.uncredited.filter((gap) => gap.reason === 'video_cap')).toHaveLength(6);
  });

  it('clamps positions past the end to the duration', () => {
    const lesson = videoLesson('lesson-video', 20);
    const beats = playBeats({
      sessionId: 's1',
      fromMs: START,
      toMs: at('10:00:15'),
      firstSeq: 1,
      clockZeroMs: CLOCK_ZERO,
      positionAt: (time) => 6 + (time - START) / SECOND,
    });

    const credit = creditSession(session('s1', lesson, START), beats);

    expect(credit.accepted.map((beat) => beat.position)).toEqual([6, 20]);
  });
});

describe('creditSession progress', () => {
  it('records document pages and article scroll', () => {
    const document = documentLesson('lesson-doc', 3);
    const pages = beatsFrom('10:00:00', '10:01:00', 1).map((beat, index) => ({
      ...beat,
      position: [1, 2, 2, 9, 3][index],
    }));
    const scrolls = beatsFrom('10:00:00', '10:00:30', 1).map((beat, index) => ({
      ...beat,
      position: [0.1, 1.4, 0.5][index],
    }));

    const documentCredit = creditSession(session('s1', document, START), pages);
    const articleCredit = creditSession(session('s1', article, START), scrolls);

    expect(documentCredit.progress.pagesSeen).toEqual([1, 2, 3]);
    expect(documentCredit.progress.lastPosition).toBe(3);
    expect(articleCredit.progress.maxScrollRatio).toBe(1);
    expect(articleCredit.progress.lastPosition).toBe(0.5);
  });
});
