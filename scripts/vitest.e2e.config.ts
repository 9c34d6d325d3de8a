import { defineConfig } from 'vitest/config';

// End-to-end tests: the whole stack (PostgreSQL + FerretDB, sandbox, import, server, H5 build)
// driven by Debian's chromium. Kept apart from the unit and integration suites because a run
// takes a minute or more.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/e2e/**/*.e2e.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
