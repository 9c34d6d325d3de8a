// Settings shared by the unit tests (vitest.config.mts) and the build tests
// (vitest.build.config.ts).
import { fileURLToPath } from 'node:url';

import type { ViteUserConfig } from 'vitest/config';

const frameworkReact = fileURLToPath(
  new URL('./node_modules/@tarojs/plugin-framework-react', import.meta.url),
);
const taroForTests = fileURLToPath(new URL('./test/support/taro-h5.ts', import.meta.url));

export const sharedConfig: ViteUserConfig = {
  // The constants that config/index.ts defines for a build, as in the development H5 build.
  define: {
    API_BASE_URL: JSON.stringify('http://127.0.0.1:3000'),
    DEV_LOGIN: 'true',
    DEBUG_LOG: 'false',
    // Feature switches of the Taro runtime, which its build plugins normally define.
    ENABLE_INNER_HTML: 'false',
    ENABLE_ADJACENT_HTML: 'false',
    ENABLE_SIZE_APIS: 'false',
    ENABLE_TEMPLATE_CONTENT: 'false',
    ENABLE_CLONE_NODE: 'false',
    ENABLE_CONTAINS: 'false',
    ENABLE_MUTATION_OBSERVER: 'false',
  },
  resolve: {
    alias: [
      // The H5 implementation of the Taro API: real storage (localStorage) and real HTTP (fetch).
      { find: /^@tarojs\/taro$/, replacement: taroForTests },
      { find: '@tarojs/plugin-framework-react', replacement: frameworkReact },
    ],
  },
};
