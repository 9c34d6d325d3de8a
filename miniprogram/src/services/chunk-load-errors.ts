import Taro from '@tarojs/taro';

import { debugLog } from './debug';
import { platform } from './env';
import { NETWORK_ERROR_MESSAGE } from './errors';

let installed = false;

/** True for webpack's error when a lazily loaded JS or CSS chunk fails to download. */
export function isChunkLoadError(reason: unknown): reason is Error {
  return reason instanceof Error && reason.name === 'ChunkLoadError';
}

/**
 * Shows the network message as a toast whenever a page's code fails to download in the H5 build,
 * and does nothing on weapp, whose pages ship inside the package.
 *
 * Taro's H5 router (`@tarojs/router` 4.2.1, `router/spa.js`) loads each page's JS and CSS chunks
 * with `import()` after the URL has changed, and rethrows a failed load from its history listener,
 * so the failure only surfaces as an unhandled promise rejection and the previous page stays on
 * screen. Tapping the link again retries: webpack forgets a chunk's promise once it rejects and
 * removes the failed `<script>` or `<link>` element, so the next `import()` downloads it afresh.
 */
export function installChunkLoadErrorHandler(): void {
  if (platform !== 'h5' || installed) return;
  installed = true;
  // NOTE: the URL and the tab bar already show the page that failed, and the browser history keeps
  // its entry. Taro's router offers no way to undo that without unloading the page on screen.
  window.addEventListener('unhandledrejection', (event: PromiseRejectionEvent) => {
    const reason: unknown = event.reason;
    if (!isChunkLoadError(reason)) return;
    // Handled here, so the browser does not also report it as an uncaught error.
    event.preventDefault();
    debugLog('page chunk failed to load', { message: reason.message });
    void Taro.showToast({ title: NETWORK_ERROR_MESSAGE, icon: 'none', duration: 3000 });
  });
}
