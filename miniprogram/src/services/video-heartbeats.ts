// Decides which heartbeats a video player sends, from the player's events. The functions are
// pure. The lesson page feeds them events timed by the monotonic clock and sends the heartbeats
// they return.
//
// Taro 4.2.1's `Video` emits play, pause, ended and timeupdate (about every 250 ms) in both weapp
// and H5. Neither build emits a rate change event, and only weapp emits seekcomplete (the
// `@supported` tags of @tarojs/components' Video.d.ts, and its H5 code). So:
// - A rate change is known because the page's own rate buttons make it.
// - A seek shows as a timeupdate whose position moved more than the elapsed time allows, in both
//   builds. WeChat's seekcomplete also counts as a seek, for seeks made while paused, when no
//   timeupdate may follow until playback starts again.
import type { HeartbeatExtras, PlayerFields } from './learning-session';

/**
 * Largest difference in seconds between a reported position and the position expected from the
 * elapsed time that is still taken as normal playback. Smaller jumps are not reported as seeks.
 */
export const SEEK_TOLERANCE_SECONDS = 1;

/**
 * Time in ms after a seek found from a position jump during which WeChat's seekcomplete event is
 * taken to report that same seek.
 */
export const SEEK_EVENT_WINDOW_MS = 1_000;

/**
 * Stored positions within this many seconds of the start or the end do not move the player on
 * reopening, because resuming at the very end of a finished video would leave nothing to watch.
 */
export const RESUME_MARGIN_SECONDS = 2;

export interface VideoPlaybackState {
  /** Last position the player reported, in seconds, or null before the first report. */
  position: number | null;
  /** Monotonic clock time in ms at which `position` was read, or null. */
  sampledAtMs: number | null;
  paused: boolean;
  playbackRate: number;
  /** Clock time in ms of the last seek found from a position jump, or null. */
  lastJumpSeekAtMs: number | null;
  /**
   * True after WeChat's seekcomplete event until the next timeupdate, whose position is then the
   * seek's target. The event's own detail is not used, because Taro's types declare no fields
   * for it.
   */
  awaitingSeekTarget: boolean;
}

export type VideoPlayerEvent =
  | { type: 'timeUpdate'; position: number; atMs: number }
  | { type: 'play'; atMs: number }
  | { type: 'pause'; atMs: number }
  | { type: 'ended'; atMs: number }
  | { type: 'rateChange'; playbackRate: number; atMs: number }
  | { type: 'seekComplete'; atMs: number }
  /** The page moved the player to the stored resume position. */
  | { type: 'resume'; position: number; atMs: number };

export interface VideoStep {
  state: VideoPlaybackState;
  /** Heartbeats to send now, in this order, each with its own position. */
  heartbeats: HeartbeatExtras[];
}

/** Returns the state of a player that has not started: paused at an unknown position. */
export function initialVideoState(): VideoPlaybackState {
  return {
    position: null,
    sampledAtMs: null,
    paused: true,
    playbackRate: 1,
    lastJumpSeekAtMs: null,
    awaitingSeekTarget: false,
  };
}

/**
 * Returns the player fields of the periodic heartbeats. A player that has not started counts as
 * paused, so time spent on the page before pressing play is not credited.
 */
export function playerFields(state: VideoPlaybackState): PlayerFields {
  return { paused: state.paused, playbackRate: state.playbackRate };
}

function heartbeatAt(state: VideoPlaybackState, position: number | null): HeartbeatExtras {
  return { position, paused: state.paused, playbackRate: state.playbackRate };
}

/**
 * Returns true when the move from the last reported position to `position` cannot come from
 * playing at the current rate during the elapsed time: a move backwards, or forwards by more than
 * the playable seconds, beyond `SEEK_TOLERANCE_SECONDS` either way.
 */
export function isPositionJump(state: VideoPlaybackState, position: number, atMs: number): boolean {
  if (state.position === null || state.sampledAtMs === null) return false;
  const elapsedSeconds = Math.max(0, atMs - state.sampledAtMs) / 1000;
  const playableSeconds = state.paused ? 0 : elapsedSeconds * state.playbackRate;
  const advance = position - state.position;
  return advance < -SEEK_TOLERANCE_SECONDS || advance > playableSeconds + SEEK_TOLERANCE_SECONDS;
}

function onTimeUpdate(state: VideoPlaybackState, position: number, atMs: number): VideoStep {
  const moved: VideoPlaybackState = { ...state, position, sampledAtMs: atMs };
  if (state.awaitingSeekTarget) {
    // The heartbeat before the seek went out with the seekcomplete event.
    const next = { ...moved, awaitingSeekTarget: false, lastJumpSeekAtMs: atMs };
    return { state: next, heartbeats: [heartbeatAt(next, position)] };
  }
  if (isPositionJump(state, position, atMs)) {
    const next = { ...moved, lastJumpSeekAtMs: atMs };
    return {
      state: next,
      heartbeats: [heartbeatAt(state, state.position), heartbeatAt(next, position)],
    };
  }
  return { state: moved, heartbeats: [] };
}

function onSeekComplete(state: VideoPlaybackState, atMs: number): VideoStep {
  const recentJump =
    state.lastJumpSeekAtMs !== null && atMs - state.lastJumpSeekAtMs <= SEEK_EVENT_WINDOW_MS;
  if (recentJump || state.awaitingSeekTarget) return { state, heartbeats: [] };
  const next = { ...state, awaitingSeekTarget: true };
  const before = state.position === null ? [] : [heartbeatAt(state, state.position)];
  return { state: next, heartbeats: before };
}

function onPausedChange(state: VideoPlaybackState, paused: boolean, atMs: number): VideoStep {
  if (state.paused === paused) return { state, heartbeats: [] };
  // Playback that starts before any position report starts at second 0, because the page never
  // sets the player's initial time and moves it only through a 'resume' event.
  const position = !paused && state.position === null ? 0 : state.position;
  // The position stays the last reported one, now read at this time, so that the elapsed time
  // before the change does not count as playable time after it.
  const sampledAtMs = position === null ? null : atMs;
  const next = { ...state, paused, position, sampledAtMs };
  return { state: next, heartbeats: [heartbeatAt(next, position)] };
}

/** Applies one player event and returns the new state and the heartbeats to send for it. */
export function reduceVideoEvent(state: VideoPlaybackState, event: VideoPlayerEvent): VideoStep {
  switch (event.type) {
    case 'timeUpdate':
      return onTimeUpdate(state, event.position, event.atMs);
    case 'play':
      return onPausedChange(state, false, event.atMs);
    case 'pause':
    case 'ended':
      // H5 emits pause before ended at the end of the media, so ended then sends nothing.
      return onPausedChange(state, true, event.atMs);
    case 'rateChange': {
      if (event.playbackRate === state.playbackRate) return { state, heartbeats: [] };
      const next = { ...state, playbackRate: event.playbackRate };
      return { state: next, heartbeats: [heartbeatAt(next, next.position)] };
    }
    case 'seekComplete':
      return onSeekComplete(state, event.atMs);
    case 'resume': {
      // The resume is a programmatic seek, which WeChat may confirm with seekcomplete. Setting
      // lastJumpSeekAtMs keeps that event from counting as a seek by the learner.
      const next: VideoPlaybackState = {
        ...state,
        position: event.position,
        sampledAtMs: event.atMs,
        lastJumpSeekAtMs: event.atMs,
        awaitingSeekTarget: false,
      };
      return { state: next, heartbeats: [] };
    }
  }
}

/**
 * Returns the second at which to resume a video, or null to leave the player where it is. It
 * returns null when nothing is stored or when the learner has already moved the player away from
 * the start. It also returns null for a stored position within `RESUME_MARGIN_SECONDS` of the
 * start or of the end (`durationSeconds`, when positive).
 */
export function videoResumeTarget(
  resumePosition: number | null,
  durationSeconds: number | null,
  currentPosition: number | null,
): number | null {
  if (resumePosition === null || !Number.isFinite(resumePosition)) return null;
  if (resumePosition < RESUME_MARGIN_SECONDS) return null;
  const hasDuration = durationSeconds !== null && durationSeconds > 0;
  if (hasDuration && resumePosition > durationSeconds - RESUME_MARGIN_SECONDS) return null;
  if (currentPosition !== null && currentPosition >= RESUME_MARGIN_SECONDS) return null;
  return resumePosition;
}
