import { parseArgs } from 'node:util';
import path from 'node:path';
import { ensureFerretdbBinary } from './ferretdb-binary.js';
import { startLocalDatabase } from './local-database.js';
import { logger } from './logger.js';
import { dataRoot } from './paths.js';
import { stopPostgresIfRunning } from './postgres.js';

const usage = `Usage: npx tsx scripts/src/db/cli.ts <command> [options]

Commands:
  up      Start PostgreSQL and FerretDB, print the MongoDB URI on standard output,
          and keep running until Ctrl-C (SIGINT) or SIGTERM, then stop both.
  down    Stop a PostgreSQL server left running in .data/postgres/<name>.
  build   Build the FerretDB binary into .cache/bin (skipped when up to date) and print its path.

Options for up and down:
  --name <name>         cluster name, directory .data/postgres/<name> (default: dev)
Options for up:
  --pg-port <port>      PostgreSQL TCP port on 127.0.0.1 (default: a free port)
  --mongo-port <port>   FerretDB TCP port on 127.0.0.1 (default: a free port)
  --backend <mode>      auto (PostgreSQL, SQLite fallback), postgresql or sqlite (default: auto)
  --ephemeral           use a throwaway directory under the OS temp directory, deleted on exit
  --database <name>     database name in the printed URI (default: wxlearn)

When MONGODB_URI is set, up starts nothing and prints that URI.`;

function parsePort(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`invalid ${option} ${JSON.stringify(value)}: expected an integer 1-65535`);
  }
  return port;
}

function parseBackend(value: string | undefined) {
  if (value === undefined || value === 'auto' || value === 'postgresql' || value === 'sqlite') {
    return value;
  }
  throw new Error(
    `invalid --backend ${JSON.stringify(value)}: expected auto, postgresql or sqlite`,
  );
}

async function up(values: Record<string, string | boolean | undefined>) {
  const database = await startLocalDatabase({
    name: String(values.name ?? 'dev'),
    pgPort: parsePort(values['pg-port'] as string | undefined, '--pg-port'),
    mongoPort: parsePort(values['mongo-port'] as string | undefined, '--mongo-port'),
    backend: parseBackend(values.backend as string | undefined),
    ephemeral: values.ephemeral === true,
    database: values.database as string | undefined,
  });
  process.stdout.write(`${database.uri}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping local database');
    await database.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  if (database.ferretdbExited) {
    const exit = await database.ferretdbExited;
    if (!stopping) {
      logger.error({ ...exit }, 'FerretDB exited unexpectedly, stopping');
      await database.stop();
      process.exit(1);
    }
  } else {
    // External database: nothing to supervise, wait for a signal.
    setInterval(() => undefined, 1 << 30);
  }
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'pg-port': { type: 'string' },
      'mongo-port': { type: 'string' },
      backend: { type: 'string' },
      ephemeral: { type: 'boolean' },
      database: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined) {
    process.stdout.write(`${usage}\n`);
    return;
  }

  switch (command) {
    case 'up':
      await up(values);
      break;
    case 'down': {
      const dataDir = path.join(dataRoot, 'postgres', values.name ?? 'dev');
      const stopped = await stopPostgresIfRunning(dataDir);
      logger.info(
        { dataDir, stopped },
        stopped ? 'stopped PostgreSQL' : 'PostgreSQL was not running',
      );
      break;
    }
    case 'build': {
      const { binaryPath } = await ensureFerretdbBinary();
      process.stdout.write(`${binaryPath}\n`);
      break;
    }
    default:
      throw new Error(
        `unknown command ${JSON.stringify(command)}. Run with --help to list the commands`,
      );
  }
}

main().catch((error: unknown) => {
  logger.error({ err: error }, 'local database command failed');
  process.exitCode = 1;
});
