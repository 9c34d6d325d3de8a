import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
    // The browser journey has its own config: vitest.e2e.config.ts.
    exclude: [...configDefaults.exclude, 'src/e2e/**'],
    // Import tests write to a real database: one PostgreSQL + FerretDB per run, a database per file.
    globalSetup: ['src/db/vitest-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    maxWorkers: 2,
  },
});
