import type { CreditRules } from './credit-rules.js';
import type { NumberRange } from './intervals.js';

/** Ends of one gap between consecutive heartbeats, as far as video coverage needs them. */
export interface PlaybackSample {
  /** Normalized video position in seconds, or null when the heartbeat had no usable one. */
  position: number | null;
  playbackRate: number;
}

/**
 * Returns the media seconds counted as watched between two consecutive heartbeats, or null.
 *
 * A forward move counts only when it is no longer than the credited real time times the
 * playback rate plus `videoPositionToleranceSeconds`. A longer move is a seek forward and counts
 * nothing, and neither does a move backwards. The counted range never exceeds credited time times
 * the rate, so the tolerance absorbs position jitter without adding watched seconds. The rate is
 * the higher of the two heartbeats' rates, at most `maxPlaybackRate`, so a rate change between
 * heartbeats does not look like a seek.
 */
export function playedMediaRange(
  from: PlaybackSample,
  to: PlaybackSample,
  creditedMs: number,
  rules: CreditRules,
): NumberRange | null {
  if (from.position === null || to.position === null) return null;

  const advance = to.position - from.position;
  if (advance <= 0 || creditedMs <= 0) return null;

  const rate = Math.min(Math.max(from.playbackRate, to.playbackRate), rules.maxPlaybackRate);
  const playableSeconds = (creditedMs / 1000) * rate;
  if (advance > playableSeconds + rules.videoPositionToleranceSeconds) return null;

  return { start: from.position, end: from.position + Math.min(advance, playableSeconds) };
}

/**
 * Returns the part of `watched` that belongs to the sub-interval `[startMs, endMs)` of the
 * credited time `[intervalStartMs, intervalEndMs)`, assuming the position moved evenly over that
 * time. The whole interval returns `watched` unchanged, so no rounding creeps in.
 */
export function mediaSubRange(
  watched: NumberRange | null,
  intervalStartMs: number,
  intervalEndMs: number,
  startMs: number,
  endMs: number,
): NumberRange | null {
  if (watched === null || endMs <= startMs) return null;
  if (startMs <= intervalStartMs && endMs >= intervalEndMs) return { ...watched };

  const secondsPerMs = (watched.end - watched.start) / (intervalEndMs - intervalStartMs);
  return {
    start: watched.start + (Math.max(startMs, intervalStartMs) - intervalStartMs) * secondsPerMs,
    end: watched.start + (Math.min(endMs, intervalEndMs) - intervalStartMs) * secondsPerMs,
  };
}
