// Build tests: `npx vitest run --config vitest.build.config.ts` (about a minute). They run
// `taro build` for weapp and H5 and test the output; see TESTING.md.
import { defineConfig } from 'vitest/config';

import { sharedConfig } from './vitest.shared.mjs';

export default defineConfig({
  ...sharedConfig,
  test: {
    name: 'build',
    environment: 'node',
    include: ['test/build/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // One Taro build at a time: two at once compete for the CPU and memory.
    fileParallelism: false,
  },
});
