import type { TestProject } from 'vitest/node';
import { startLocalDatabase, type LocalDatabaseOptions } from './local-database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** MongoDB URI of the server shared by the whole test run; see test-database.ts. */
    testMongodbUri: string;
  }
}

/**
 * Vitest globalSetup: starts one ephemeral PostgreSQL + FerretDB for the whole run (or uses
 * MONGODB_URI when set) and hands its URI to test files through `inject('testMongodbUri')` and
 * the TEST_MONGODB_URI environment variable. The returned function stops it after the run.
 *
 * LOCAL_DB_BACKEND=postgresql makes the run fail instead of falling back to SQLite.
 */
export default async function setup(project: TestProject) {
  const database = await startLocalDatabase({
    name: 'test',
    ephemeral: true,
    backend: parseBackend(process.env.LOCAL_DB_BACKEND),
  });
  project.provide('testMongodbUri', database.uri);
  // Worker processes are started after global setup and inherit this environment.
  process.env.TEST_MONGODB_URI = database.uri;

  return async () => {
    await database.stop();
  };
}

function parseBackend(value: string | undefined): LocalDatabaseOptions['backend'] {
  if (value === undefined || value === '') return 'auto';
  if (value === 'auto' || value === 'postgresql' || value === 'sqlite') return value;
  throw new Error(
    `invalid LOCAL_DB_BACKEND ${JSON.stringify(value)}: expected auto, postgresql or sqlite`,
  );
}
