import { describe, expect, test } from 'vitest';

import type { HeartbeatExtras } from '../../src/services/learning-session';
import {
  initialVideoState,
  isPositionJump,
  playerFields,
  reduceVideoEvent,
  SEEK_EVENT_WINDOW_MS,
  SEEK_TOLERANCE_SECONDS,
  videoResumeTarget,
  type VideoPlaybackState,
  type VideoPlayerEvent,
} from '../../src/services/video-heartbeats';

/** Feeds the events in order and returns the final state and every heartbeat sent. */
function run(
  events: VideoPlayerEvent[],
  state: VideoPlaybackState = initialVideoState(),
): { state: VideoPlaybackState; heartbeats: HeartbeatExtras[] } {
  const heartbeats: HeartbeatExtras[] = [];
  let current = state;
  for (const event of events) {
    const step = reduceVideoEvent(current, event);
    current = step.state;
    heartbeats.push(...step.heartbeats);
  }
  return { state: current, heartbeats };
}

/** Timeupdates every 250 ms from `fromMs`, advancing `rate` × 0.25 s each, starting at `from`. */
function playing(from: number, fromMs: number, count: number, rate = 1): VideoPlayerEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    type: 'timeUpdate' as const,
    position: from + (index + 1) * 0.25 * rate,
    atMs: fromMs + (index + 1) * 250,
  }));
}

describe('video player before playback', () => {
  test('starts paused at unknown position', () => {
    const state = initialVideoState();
    expect(state.position).toBeNull();
    expect(playerFields(state)).toEqual({ paused: true, playbackRate: 1 });
  });

  test('first timeupdate is never a seek', () => {
    const { heartbeats, state } = run([{ type: 'timeUpdate', position: 42, atMs: 1_000 }]);
    expect(heartbeats).toEqual([]);
    expect(state.position).toBe(42);
  });
});

describe('play and pause', () => {
  test('play sends one unpaused heartbeat', () => {
    const { heartbeats } = run([
      { type: 'timeUpdate', position: 0, atMs: 0 },
      { type: 'play', atMs: 100 },
    ]);
    expect(heartbeats).toEqual([{ position: 0, paused: false, playbackRate: 1 }]);
  });

  test('pause sends paused heartbeat at last position', () => {
    const { heartbeats } = run([
      { type: 'play', atMs: 0 },
      ...playing(0, 0, 8),
      { type: 'pause', atMs: 2_100 },
    ]);
    expect(heartbeats).toHaveLength(2);
    expect(heartbeats[1]).toEqual({ position: 2, paused: true, playbackRate: 1 });
  });

  test('play before any position starts at 0', () => {
    const { heartbeats, state } = run([{ type: 'play', atMs: 0 }]);
    expect(heartbeats).toEqual([{ position: 0, paused: false, playbackRate: 1 }]);
    expect(state.sampledAtMs).toBe(0);
  });

  test('pause before any position sends null position', () => {
    const paused = { ...initialVideoState(), paused: false };
    const { heartbeats } = run([{ type: 'pause', atMs: 0 }], paused);
    expect(heartbeats).toEqual([{ position: null, paused: true, playbackRate: 1 }]);
  });

  test('repeated play or pause sends nothing more', () => {
    const { heartbeats } = run([
      { type: 'play', atMs: 0 },
      { type: 'play', atMs: 10 },
      { type: 'pause', atMs: 20 },
      { type: 'pause', atMs: 30 },
    ]);
    expect(heartbeats.map((heartbeat) => heartbeat.paused)).toEqual([false, true]);
  });

  test('ended after pause sends nothing', () => {
    const { heartbeats } = run([
      { type: 'play', atMs: 0 },
      { type: 'pause', atMs: 500 },
      { type: 'ended', atMs: 510 },
    ]);
    expect(heartbeats).toHaveLength(2);
  });

  test('ended while playing counts as pause', () => {
    const { heartbeats, state } = run([
      { type: 'play', atMs: 0 },
      { type: 'ended', atMs: 500 },
    ]);
    expect(heartbeats.at(-1)?.paused).toBe(true);
    expect(state.paused).toBe(true);
  });

  test('periodic fields follow pause state', () => {
    const paused = run([
      { type: 'play', atMs: 0 },
      { type: 'pause', atMs: 10 },
    ]).state;
    expect(playerFields(paused)).toEqual({ paused: true, playbackRate: 1 });
    const resumed = run([{ type: 'play', atMs: 20 }], paused).state;
    expect(playerFields(resumed)).toEqual({ paused: false, playbackRate: 1 });
  });
});

describe('rate change', () => {
  test('sends one heartbeat with the new rate', () => {
    const { heartbeats, state } = run([
      { type: 'play', atMs: 0 },
      ...playing(0, 0, 4),
      { type: 'rateChange', playbackRate: 1.5, atMs: 1_050 },
    ]);
    expect(heartbeats.at(-1)).toEqual({ position: 1, paused: false, playbackRate: 1.5 });
    expect(playerFields(state).playbackRate).toBe(1.5);
  });

  test('same rate sends nothing', () => {
    const { heartbeats } = run([{ type: 'rateChange', playbackRate: 1, atMs: 0 }]);
    expect(heartbeats).toEqual([]);
  });

  test('faster playback is not a seek', () => {
    const { heartbeats } = run([
      { type: 'play', atMs: 0 },
      { type: 'timeUpdate', position: 0, atMs: 0 },
      { type: 'rateChange', playbackRate: 2, atMs: 10 },
      ...playing(0, 0, 40, 2),
    ]);
    expect(heartbeats).toHaveLength(2);
  });
});

describe('seek found from timeupdate', () => {
  test('forward jump sends before and after', () => {
    const { heartbeats } = run([
      { type: 'timeUpdate', position: 10, atMs: 0 },
      { type: 'play', atMs: 0 },
      ...playing(10, 0, 4),
      { type: 'timeUpdate', position: 40, atMs: 1_250 },
    ]);
    expect(heartbeats.slice(1)).toEqual([
      { position: 11, paused: false, playbackRate: 1 },
      { position: 40, paused: false, playbackRate: 1 },
    ]);
  });

  test('backward jump sends before and after', () => {
    const { heartbeats } = run([
      { type: 'timeUpdate', position: 30, atMs: 0 },
      { type: 'play', atMs: 0 },
      ...playing(30, 0, 4),
      { type: 'timeUpdate', position: 5, atMs: 1_250 },
    ]);
    expect(heartbeats.slice(1).map((heartbeat) => heartbeat.position)).toEqual([31, 5]);
  });

  test('jump while paused is a seek', () => {
    const { heartbeats } = run([
      { type: 'timeUpdate', position: 10, atMs: 0 },
      { type: 'timeUpdate', position: 20, atMs: 60_000 },
    ]);
    expect(heartbeats).toEqual([
      { position: 10, paused: true, playbackRate: 1 },
      { position: 20, paused: true, playbackRate: 1 },
    ]);
  });

  test('normal playback sends nothing', () => {
    const { heartbeats } = run([{ type: 'play', atMs: 0 }, ...playing(0, 0, 240)]);
    expect(heartbeats).toHaveLength(1);
  });

  test('delayed timeupdate within elapsed time is no seek', () => {
    // An app returning from the background reports a position that moved as far as time allows.
    const { heartbeats } = run([
      { type: 'play', atMs: 0 },
      { type: 'timeUpdate', position: 1, atMs: 1_000 },
      { type: 'timeUpdate', position: 31, atMs: 31_000 },
    ]);
    expect(heartbeats).toHaveLength(1);
  });

  test('stalled playback is no seek', () => {
    const { heartbeats } = run([
      { type: 'play', atMs: 0 },
      { type: 'timeUpdate', position: 1, atMs: 1_000 },
      { type: 'timeUpdate', position: 1.1, atMs: 9_000 },
    ]);
    expect(heartbeats).toHaveLength(1);
  });

  test('jump check honours the tolerance', () => {
    const state: VideoPlaybackState = {
      ...initialVideoState(),
      position: 10,
      sampledAtMs: 0,
      paused: false,
    };
    expect(isPositionJump(state, 11 + SEEK_TOLERANCE_SECONDS - 0.01, 1_000)).toBe(false);
    expect(isPositionJump(state, 11 + SEEK_TOLERANCE_SECONDS + 0.01, 1_000)).toBe(true);
    expect(isPositionJump(state, 10 - SEEK_TOLERANCE_SECONDS + 0.01, 1_000)).toBe(false);
    expect(isPositionJump(state, 10 - SEEK_TOLERANCE_SECONDS - 0.01, 1_000)).toBe(true);
  });
});

describe('WeChat seekcomplete', () => {
  test('paused seek sends before and after', () => {
    const paused = run([{ type: 'timeUpdate', position: 12, atMs: 0 }]).state;
    const onSeek = reduceVideoEvent(paused, { type: 'seekComplete', atMs: 5_000 });
    expect(onSeek.heartbeats).toEqual([{ position: 12, paused: true, playbackRate: 1 }]);

    const afterPlay = run(
      [
        { type: 'play', atMs: 8_000 },
        { type: 'timeUpdate', position: 40.2, atMs: 8_250 },
      ],
      onSeek.state,
    );
    expect(afterPlay.heartbeats).toEqual([
      { position: 12, paused: false, playbackRate: 1 },
      { position: 40.2, paused: false, playbackRate: 1 },
    ]);
    expect(afterPlay.state.awaitingSeekTarget).toBe(false);
  });

  test('small seek target still sends after heartbeat', () => {
    const { heartbeats } = run([
      { type: 'timeUpdate', position: 12, atMs: 0 },
      { type: 'seekComplete', atMs: 100 },
      { type: 'timeUpdate', position: 12.5, atMs: 200 },
    ]);
    expect(heartbeats.map((heartbeat) => heartbeat.position)).toEqual([12, 12.5]);
  });

  test('seekcomplete after a found jump sends nothing', () => {
    const { heartbeats } = run([
      { type: 'play', atMs: 0 },
      ...playing(0, 0, 4),
      { type: 'timeUpdate', position: 50, atMs: 1_250 },
      { type: 'seekComplete', atMs: 1_250 + SEEK_EVENT_WINDOW_MS },
      ...playing(50, 1_250 + SEEK_EVENT_WINDOW_MS, 4),
    ]);
    expect(heartbeats).toHaveLength(3);
  });

  test('seekcomplete after resume sends nothing', () => {
    const { heartbeats } = run([
      { type: 'resume', position: 30, atMs: 0 },
      { type: 'seekComplete', atMs: 400 },
      { type: 'timeUpdate', position: 30, atMs: 500 },
    ]);
    expect(heartbeats).toEqual([]);
  });

  test('seekcomplete before any position sends after only', () => {
    const { heartbeats } = run([
      { type: 'seekComplete', atMs: 0 },
      { type: 'timeUpdate', position: 20, atMs: 300 },
    ]);
    expect(heartbeats).toEqual([{ position: 20, paused: true, playbackRate: 1 }]);
  });
});

describe('resume', () => {
  test('resume position is no seek', () => {
    const { heartbeats, state } = run([
      { type: 'timeUpdate', position: 0, atMs: 0 },
      { type: 'resume', position: 30, atMs: 100 },
      { type: 'play', atMs: 200 },
      ...playing(30, 200, 4),
    ]);
    expect(heartbeats).toEqual([{ position: 30, paused: false, playbackRate: 1 }]);
    expect(state.position).toBe(31);
  });

  test.each([
    { stored: null, duration: 60, current: null, expected: null },
    { stored: 30, duration: 60, current: null, expected: 30 },
    { stored: 30, duration: 60, current: 0.5, expected: 30 },
    { stored: 30, duration: 60, current: 5, expected: null },
    { stored: 1, duration: 60, current: null, expected: null },
    { stored: 59, duration: 60, current: null, expected: null },
    { stored: 57.5, duration: 60, current: null, expected: 57.5 },
    { stored: 300, duration: 0, current: null, expected: 300 },
    { stored: Number.NaN, duration: 60, current: null, expected: null },
  ])(
    'target for $stored s of $duration s at $current',
    ({ stored, duration, current, expected }) => {
      expect(videoResumeTarget(stored, duration, current)).toBe(expected);
    },
  );
});
