import { pino } from 'pino';

/**
 * Logger for the local database stack. It writes to standard error because `cli.ts up` prints
 * the connection string on standard output for scripts to read. LOG_LEVEL sets the level
 * (default `info`).
 */
export const logger = pino(
  { name: 'local-db', level: process.env.LOG_LEVEL ?? 'info' },
  pino.destination({ dest: 2, sync: true }),
);
