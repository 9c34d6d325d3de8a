import mongoose from 'mongoose';
import type { Logger } from '../logger.js';

// Operator objects in query filters built from input (`{"$ne": null}`) are wrapped in `$eq`, so
// request data can never change a query's meaning even if a schema check is missed.
mongoose.set('sanitizeFilter', true);
mongoose.set('strictQuery', true);
// Indexes are created explicitly by ensureIndexes() at start-up, not lazily per model.
mongoose.set('autoIndex', false);
// Without a connection, a command waits this long before failing, so requests fail fast with a 503.
mongoose.set('bufferTimeoutMS', 5_000);

export async function connectDatabase(uri: string, logger: Logger): Promise<typeof mongoose> {
  const connection = await mongoose.connect(uri, {
    serverSelectionTimeoutMS: 10_000,
    // A database that stops responding fails requests after these limits instead of holding them.
    socketTimeoutMS: 30_000,
    // FerretDB v1 has no retryable writes; MongoDB replica sets keep their default through the URI.
    retryWrites: false,
  });
  logger.info({ database: connection.connection.name }, 'database connected');
  return connection;
}

/**
 * Creates every declared index. Unique indexes carry the product's idempotency rules, so start-up
 * fails when one cannot be built rather than running without it.
 */
export async function ensureIndexes(logger: Logger): Promise<void> {
  for (const model of Object.values(mongoose.models)) {
    await model.createIndexes();
  }
  logger.info({ models: Object.keys(mongoose.models).length }, 'database indexes ensured');
}

export async function disconnectDatabase(): Promise<void> {
  await mongoose.disconnect();
}
