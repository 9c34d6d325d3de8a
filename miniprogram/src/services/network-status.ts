import Taro from '@tarojs/taro';

import { debugLog } from './debug';

/**
 * Calls `listener` each time the device reports a network connection again, and returns the
 * function that stops listening. Does nothing where the platform cannot report network changes.
 */
export function onNetworkRestored(listener: () => void): () => void {
  const callback = (result: { isConnected: boolean }) => {
    if (result.isConnected) listener();
  };
  try {
    Taro.onNetworkStatusChange(callback);
  } catch (error) {
    debugLog('network status unavailable', { error: String(error) });
    return () => undefined;
  }
  return () => {
    try {
      Taro.offNetworkStatusChange(callback);
    } catch (error) {
      debugLog('network status listener not removed', { error: String(error) });
    }
  };
}
