import Taro from '@tarojs/taro';

import { debugLog } from './debug';
import { platform } from './env';
import { NETWORK_ERROR_MESSAGE } from './errors';

let installed = false;

/** True for webpack's error when a lazily loaded JS or CSS chunk fails to download. */
function isChunkLoadError(reason: unknown): reason is Error {
  return reason instanceof Error && reason.name === 'ChunkLoadError';
}

/**
 * Installs a listener that shows the network message as a toast whenever a page's code fails to
 * download in the H5 build. It does nothing on weapp, whose pages ship inside the package.
 *
 * Taro's H5 router (`@tarojs/router` 4.2.1, `router/spa.js`) loads each page's JS and CSS chunks
 * with `import()` after the URL has changed. It rethrows a failed load from its history listener,
 * so the failure surfaces only as an unhandled promise rejection, and the previous page stays on
 * screen. Tapping the link again retries, because the chunk loaders of webpack 5 and
 * mini-css-extract-plugin forget a chunk's promise once it rejects and remove the failed `<script>`
 * or `<link>` element, so the next `import()` downloads the chunk again.
 */
export function installChunkLoadErrorHandler(): void {
  if (platform !== 'h5' || installed) return;
  installed = true;
  // NOTE: the URL and the tab bar still point at the page that failed, and a failed navigateTo
  // leaves its entry in the browser history. Going back with the history API would make Taro's
  // router reload the page on screen (unless it is a tab page), so both are left as they are.
  window.addEventListener('unhandledrejection', (event: PromiseRejectionEvent) => {
    const reason: unknown = event.reason;
    if (!isChunkLoadError(reason)) return;
    // Handled here, so the browser does not also report it as an uncaught error.
    event.preventDefault();
    debugLog('page chunk failed to load', { message: reason.message });
    void Taro.showToast({ title: NETWORK_ERROR_MESSAGE, icon: 'none', duration: 3000 });
  });
}
