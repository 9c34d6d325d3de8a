// Unit tests: `npx vitest run`. The build tests have their own config, vitest.build.config.ts.
import { defineConfig } from 'vitest/config';

import { sharedConfig } from './vitest.shared.mjs';

export default defineConfig({
  ...sharedConfig,
  test: {
    name: 'unit',
    environment: 'jsdom',
    include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
    // Bundled once by esbuild: faster than loading its hundreds of modules one by one, and it
    // avoids Vite's warnings about source maps that name files the package leaves out.
    deps: { optimizer: { client: { enabled: true, include: ['@tarojs/taro-h5'] } } },
  },
});
