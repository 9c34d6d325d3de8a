import { randomBytes } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';
import { inject } from 'vitest';

export interface TestDatabase {
  /** Mongoose connection to this test file's own database. */
  connection: Connection;
  /** URI of the same database, for code under test that opens its own connection. */
  uri: string;
  dbName: string;
  /** Drops the database and closes the connection. */
  drop(): Promise<void>;
}

/**
 * Returns the URI of the server started by vitest-global-setup.ts: the provided
 * `testMongodbUri`, else TEST_MONGODB_URI.
 */
export function getTestMongodbUri(): string {
  const uri = inject('testMongodbUri') || process.env.TEST_MONGODB_URI;
  if (!uri) {
    throw new Error(
      'test database URI missing: add "@wxlearn/scripts/db/vitest-global-setup.ts" to test.globalSetup ' +
        "in this workspace's vitest.config.ts, or set TEST_MONGODB_URI",
    );
  }
  return uri;
}

/**
 * Connects mongoose to a new, uniquely named database on the test server, so test files that run
 * in parallel never see each other's documents. Call drop() in afterAll.
 */
export async function connectTestDatabase(
  options: { prefix?: string } = {},
): Promise<TestDatabase> {
  const prefix = (options.prefix ?? 'test').replace(/[^A-Za-z0-9_]/g, '_').slice(0, 20);
  // FerretDB v1.24 accepts database names matching ^[a-zA-Z0-9_-]{1,63}$ (backends/validation.go).
  const dbName = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const uri = withDatabaseName(getTestMongodbUri(), dbName);

  const connection = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 });
  await connection.asPromise();

  return {
    connection,
    uri,
    dbName,
    async drop() {
      await connection.dropDatabase();
      await connection.close();
    },
  };
}

/** Replaces the database path of a mongodb:// or mongodb+srv:// URI, keeping hosts and options. */
export function withDatabaseName(uri: string, dbName: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/[^?]*)?(\?.*)?$/.exec(uri);
  if (!match) throw new Error('invalid MongoDB URI: expected mongodb://host[:port][/db][?options]');
  return `${match[1]}/${dbName}${match[2] ?? ''}`;
}
