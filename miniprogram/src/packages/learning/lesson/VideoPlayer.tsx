import { Text, Video, View } from '@tarojs/components';
import type { LessonContent } from '@wxlearn/api-types';
import { useEffect, useRef, useState } from 'react';

import { createMonotonicClock } from '../../../services/monotonic-clock';
import { videoControl } from '../../../services/video-control';
import {
  initialVideoState,
  playerFields,
  reduceVideoEvent,
  videoResumeTarget,
  type VideoPlayerEvent,
} from '../../../services/video-heartbeats';
import type { PlayerProps } from './player-source';

type VideoContent = Extract<LessonContent, { type: 'video' }>;

const VIDEO_ID = 'lesson-video';

/**
 * Rates offered to the learner. WeChat's `VideoContext.playbackRate` documentation lists 0.5, 0.8,
 * 1.0, 1.25 and 1.5, and 2.0 from base library 2.6.3. The server treats rates above 2 as 2.
 */
const PLAYBACK_RATES = [0.8, 1, 1.25, 1.5, 2];

/**
 * Plays a video lesson with Taro's `Video` and sends the heartbeats that `reduceVideoEvent`
 * decides: on play, pause, rate change and around each seek. It moves the player to the stored
 * resume position once both the session and the media's metadata are known, or on the first play
 * when the metadata event never came.
 */
export function VideoPlayer({ content, session, beat, sourceRef }: PlayerProps<VideoContent>) {
  const clock = useRef(createMonotonicClock()).current;
  const control = useRef(videoControl(VIDEO_ID)).current;
  const tracker = useRef(initialVideoState());
  const metadataLoaded = useRef(false);
  const pendingResume = useRef<number | null>(null);
  const [playbackRate, setPlaybackRate] = useState(1);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    sourceRef.current = {
      getPosition: () => tracker.current.position,
      getPlayerFields: () => playerFields(tracker.current),
    };
    return () => {
      sourceRef.current = null;
    };
  }, [sourceRef]);

  const dispatch = (event: VideoPlayerEvent) => {
    const step = reduceVideoEvent(tracker.current, event);
    tracker.current = step.state;
    for (const heartbeat of step.heartbeats) beat(heartbeat);
  };

  const applyResume = () => {
    const stored = pendingResume.current;
    pendingResume.current = null;
    const target = videoResumeTarget(stored, content.durationSeconds, tracker.current.position);
    if (target === null) return;
    control.seek(target);
    dispatch({ type: 'resume', position: target, atMs: clock() });
  };

  const resumePosition = session?.resumePosition ?? null;
  const sessionId = session?.id ?? null;
  useEffect(() => {
    if (sessionId === null) return;
    pendingResume.current = resumePosition;
    if (metadataLoaded.current) applyResume();
    // Once per session, so a later render does not move the player again.
  }, [sessionId]);

  const handleTimeUpdate = (event: { detail: { currentTime: number } }) => {
    const position = event.detail.currentTime;
    if (!Number.isFinite(position)) return;
    dispatch({ type: 'timeUpdate', position, atMs: clock() });
  };

  const changeRate = (rate: number) => {
    if (!control.setPlaybackRate(rate)) return;
    setPlaybackRate(rate);
    dispatch({ type: 'rateChange', playbackRate: rate, atMs: clock() });
  };

  return (
    <View className="video-player" data-testid="video-player">
      {/* Taro's H5 video is absolutely positioned, so this frame gives it its place and height. */}
      <View className="video-frame">
        <Video
          id={VIDEO_ID}
          className="video-element"
          src={content.url}
          controls
          showCenterPlayBtn
          onPlay={() => {
            // Resume first, so that the play heartbeat carries the resumed position.
            if (pendingResume.current !== null) applyResume();
            dispatch({ type: 'play', atMs: clock() });
          }}
          onPause={() => dispatch({ type: 'pause', atMs: clock() })}
          onEnded={() => dispatch({ type: 'ended', atMs: clock() })}
          onTimeUpdate={handleTimeUpdate}
          onSeekComplete={() => dispatch({ type: 'seekComplete', atMs: clock() })}
          onLoadedMetaData={() => {
            metadataLoaded.current = true;
            if (pendingResume.current !== null) applyResume();
          }}
          onError={() => setFailed(true)}
        />
      </View>
      {failed && (
        <Text className="video-error" data-testid="video-error">
          视频加载失败，请检查网络后重新打开本课时
        </Text>
      )}
      <View className="video-rates">
        <Text className="video-rates-label muted">倍速</Text>
        {PLAYBACK_RATES.map((rate) => (
          <Text
            key={rate}
            className={rate === playbackRate ? 'video-rate video-rate-selected' : 'video-rate'}
            data-testid="video-rate"
            data-rate={String(rate)}
            data-selected={rate === playbackRate ? 'true' : 'false'}
            onClick={() => changeRate(rate)}
          >
            {`${rate}x`}
          </Text>
        ))}
      </View>
    </View>
  );
}
