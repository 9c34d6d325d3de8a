import Taro from '@tarojs/taro';

import { debugLog } from './debug';
import { platform } from './env';

/** Commands the lesson page gives to its `Video` component. */
export interface VideoControl {
  /** Moves the player to `position` seconds. */
  seek(position: number): void;
  /** Sets the playback rate, and returns false when the player could not be reached. */
  setPlaybackRate(rate: number): boolean;
}

/** Methods of the `taro-video-core` element that Taro 4.2.1's H5 `createVideoContext` returns. */
interface H5VideoElement extends HTMLElement {
  seek(position: number): Promise<void>;
}

/**
 * Returns the controls of the `Video` with this id on the current page. The context is looked up
 * at each call, because it exists only once the component has rendered.
 * In weapp this is WeChat's VideoContext. Taro 4.2.1's H5 `createVideoContext` returns the
 * `taro-video-core` element instead, which has `seek` but no `playbackRate`, so in H5 the rate is
 * set on the `<video>` element inside it.
 */
export function videoControl(videoId: string): VideoControl {
  return {
    seek(position) {
      try {
        if (platform === 'h5') {
          const element = Taro.createVideoContext(videoId) as unknown as H5VideoElement | null;
          void element?.seek(position);
        } else {
          Taro.createVideoContext(videoId).seek(position);
        }
      } catch (error) {
        debugLog('video seek failed', { videoId, position, error: String(error) });
      }
    },
    setPlaybackRate(rate) {
      try {
        if (platform === 'h5') {
          const element = Taro.createVideoContext(videoId) as unknown as H5VideoElement | null;
          const media = element?.querySelector('video');
          if (!media) return false;
          media.playbackRate = rate;
          return true;
        }
        Taro.createVideoContext(videoId).playbackRate(rate);
        return true;
      } catch (error) {
        debugLog('video rate change failed', { videoId, rate, error: String(error) });
        return false;
      }
    },
  };
}
