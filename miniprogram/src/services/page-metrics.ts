import Taro from '@tarojs/taro';

import { debugLog } from './debug';

/** Height of the visible page area in px, or null where the platform does not report it. */
export function readWindowHeight(): number | null {
  try {
    return Taro.getWindowInfo().windowHeight;
  } catch (error) {
    debugLog('window height unavailable', { error: String(error) });
    return null;
  }
}

/**
 * Measures the height in px of the first element matching `selector` after the next render, and
 * calls `onHeight` with it. Calls nothing when the query fails: in miniprogram-simulate 1.6, for
 * one, `select` on the global selector query returns undefined.
 */
export function measureHeight(selector: string, onHeight: (height: number) => void): void {
  Taro.nextTick(() => {
    try {
      Taro.createSelectorQuery()
        .select(selector)
        .boundingClientRect((rect) => {
          const height = Array.isArray(rect) ? rect[0]?.height : rect?.height;
          if (typeof height === 'number' && height > 0) onHeight(height);
        })
        .exec();
    } catch (error) {
      debugLog('element height not measured', { selector, error: String(error) });
    }
  });
}

/** Scrolls the page so that its top is `scrollTop` px down. */
export function scrollPageTo(scrollTop: number): void {
  void Taro.pageScrollTo({ scrollTop: Math.max(0, scrollTop), duration: 300 });
}
