/**
 * Builders of sessions and heartbeats for the crediting tests. Times of day are read in
 * Asia/Shanghai (UTC+8) on a fixed date, so `at('10:00:00')` is a fixed epoch ms.
 */
import type { HeartbeatInput, SessionInput } from './crediting.js';
import type { LessonFacts } from './lesson-facts.js';

const DAY = '2025-03-03';

/** Returns the epoch ms of a time of day `HH:MM:SS` (optionally `.mmm`) in Asia/Shanghai. */
export function at(timeOfDay: string): number {
  const ms = Date.parse(`${DAY}T${timeOfDay}+08:00`);
  if (Number.isNaN(ms)) throw new Error(`invalid time of day ${timeOfDay}, expected HH:MM:SS`);
  return ms;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

/** Delay between a heartbeat being produced and the server receiving it. */
export const NETWORK_DELAY_MS = 150;

export function videoLesson(lessonId: string, durationSeconds: number): LessonFacts {
  return { lessonId, type: 'video', durationSeconds };
}

export function articleLesson(lessonId: string, wordCount: number): LessonFacts {
  return { lessonId, type: 'article', wordCount };
}

export function documentLesson(lessonId: string, pageCount: number): LessonFacts {
  return { lessonId, type: 'document', pageCount };
}

export function session(
  sessionId: string,
  lesson: LessonFacts,
  startedAt: number,
  endedAt: number | null = null,
): SessionInput {
  return { sessionId, lesson, startedAt, endedAt };
}

/** Parameters of a stretch of played heartbeats, built by `playBeats`. */
export interface PlayOptions {
  sessionId: string;
  /** Server time of the first heartbeat of the stretch. */
  fromMs: number;
  /** Server time of the last heartbeat of the stretch, included when on the period. */
  toMs: number;
  /** Seq of the first heartbeat. */
  firstSeq: number;
  /** Server time at which the device's monotonic clock read 0. */
  clockZeroMs: number;
  everyMs?: number;
  /** Position at a server time. Heartbeats carry no position when it is missing. */
  positionAt?: (timeMs: number) => number;
  playbackRate?: number;
}

/**
 * Builds the heartbeats a device produces every `everyMs` from `fromMs` to `toMs`, each received
 * `NETWORK_DELAY_MS` after it was produced.
 */
export function playBeats(options: PlayOptions): HeartbeatInput[] {
  const everyMs = options.everyMs ?? 15 * SECOND;
  const beats: HeartbeatInput[] = [];
  for (let time = options.fromMs, seq = options.firstSeq; time <= options.toMs; time += everyMs) {
    const beat: HeartbeatInput = {
      sessionId: options.sessionId,
      seq,
      clientMs: time - options.clockZeroMs,
      receivedAt: time + NETWORK_DELAY_MS,
    };
    if (options.positionAt) beat.position = options.positionAt(time);
    if (options.playbackRate !== undefined) beat.playbackRate = options.playbackRate;
    beats.push(beat);
    seq++;
  }
  return beats;
}

/** Returns the largest seq among the heartbeats. */
export function lastSeq(beats: readonly HeartbeatInput[]): number {
  return beats.reduce((max, beat) => Math.max(max, beat.seq), 0);
}
