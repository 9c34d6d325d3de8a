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
    // A page in the browser may wait for the API and a subpackage chunk, which takes seconds on a
    // loaded 2-core machine, so polls get 10 s instead of the default 1 s.
    expect: { poll: { timeout: 10_000 } },
  },
});
