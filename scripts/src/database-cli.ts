// Command-line handling shared by the CLIs that work on the database at MONGODB_URI (admin,
// import, ledger, pay, recommendations): parsing with --help, usage errors (exit code 2) and one
// connect, run, disconnect cycle.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Logger } from 'pino';
import {
  connectDatabase,
  disconnectDatabase,
  ensureIndexes,
} from '@wxlearn/server/db/connection.js';
import { ApiError } from '@wxlearn/server/errors.js';

/** An invalid command line: the CLI prints the message and its usage, then exits 2. */
export class UsageError extends Error {}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

const HELP_OPTION = { help: { type: 'boolean', short: 'h', default: false } } as const;

interface CommandLineConfig<Options extends OptionsConfig> {
  args: string[];
  allowPositionals: true;
  options: Options & typeof HELP_OPTION;
}

/**
 * Parses `args` with `node:util` parseArgs (strict, positionals allowed) plus `--help`/`-h`. On
 * `--help`, prints `usage` to stdout and exits 0. An unknown option throws parseArgs's TypeError.
 */
export function parseCommandLine<Options extends OptionsConfig>(
  args: string[],
  options: Options,
  usage: string,
) {
  const parsed = parseArgs<CommandLineConfig<Options>>({
    args,
    allowPositionals: true,
    options: { ...options, ...HELP_OPTION },
  });
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return parsed;
}

/**
 * Runs `parse` on the process arguments. When it throws (a UsageError, or parseArgs rejecting an
 * option), prints the error message and `usage` to stderr and exits 2.
 */
export function parseOrExit<Command>(parse: (args: string[]) => Command, usage: string): Command {
  try {
    return parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
    process.exit(2);
  }
}

/**
 * Logs a failed command with `fields` and returns exit code 1. An ApiError (such as an unknown
 * employee, unit or course) is logged by its message alone, any other error with its stack.
 */
export function logCommandError(
  logger: Logger,
  error: unknown,
  fields: Record<string, unknown>,
  message: string,
): number {
  if (error instanceof ApiError) {
    logger.error({ ...fields, reason: error.message }, message);
  } else {
    logger.error({ ...fields, err: error }, message);
  }
  return 1;
}

export interface DatabaseRun {
  logger: Logger;
  /** Ends the sentence "point it at the database to …" printed when MONGODB_URI is not set. */
  purpose: string;
  /** Does the work and returns the process exit code. */
  run: () => Promise<number>;
  /** Handles an error that `run` threw, usually by logging it, and returns the exit code. */
  onError: (error: unknown) => number;
}

/**
 * Connects to the database at MONGODB_URI, ensures its indexes, runs the work and disconnects,
 * setting `process.exitCode`. Exits 2 before connecting when MONGODB_URI is not set. Errors from
 * connecting or ensuring indexes are not caught.
 */
export async function runWithDatabase({ logger, purpose, run, onError }: DatabaseRun) {
  const uri = process.env.MONGODB_URI;
  if (!uri) {
    process.stderr.write(`MONGODB_URI is not set: point it at the database to ${purpose}\n`);
    process.exit(2);
  }

  await connectDatabase(uri, logger);
  await ensureIndexes(logger);
  try {
    process.exitCode = await run();
  } catch (error) {
    process.exitCode = onError(error);
  } finally {
    await disconnectDatabase();
  }
}
