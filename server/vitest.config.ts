import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // One PostgreSQL + FerretDB for the whole run; each test file gets its own database.
    globalSetup: ['../scripts/src/db/vitest-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: more workers only queue on the database.
    maxWorkers: 2,
  },
});
