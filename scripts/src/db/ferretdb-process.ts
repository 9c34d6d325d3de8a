import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose from 'mongoose';
import { logger } from './logger.js';
import { isPortAccepting } from './processes.js';

export type FerretdbBackend =
  { handler: 'postgresql'; postgresqlUrl: string } | { handler: 'sqlite'; sqliteUrl: string };

export interface FerretdbProcessOptions {
  binaryPath: string;
  port: number;
  backend: FerretdbBackend;
  /** File that receives FerretDB's standard output and error (appended). */
  logFile: string;
  /** How long to wait for the first successful `ping`. Default: 30 s. */
  readyTimeoutMs?: number;
}

export interface FerretdbProcess {
  /** `mongodb://127.0.0.1:<port>/` without a database name. */
  baseUri: string;
  pid: number;
  /** Settles when the FerretDB process exits, whether stop() ended it or it crashed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends SIGTERM, waits up to 5 s for the exit, then sends SIGKILL. */
  stop(): Promise<void>;
  /** SIGKILL for `process.on('exit')` handlers, which cannot wait. */
  killSync(): void;
}

const logTailChars = 4000;

/** Starts FerretDB on 127.0.0.1 and waits until it responds to a MongoDB `ping`. */
export async function startFerretdb(options: FerretdbProcessOptions): Promise<FerretdbProcess> {
  const args = ['-listen', `127.0.0.1:${options.port}`, '-handler', options.backend.handler];
  if (options.backend.handler === 'postgresql') {
    args.push('-postgresql-url', options.backend.postgresqlUrl);
  } else {
    args.push('-sqlite-url', options.backend.sqliteUrl);
  }
  // With a pipe on stdin that this process never closes, FerretDB exits when this process dies,
  // even from SIGKILL, because the pipe then reaches end of file.
  args.push('-exit-on-stdin-eof');

  const started = Date.now();
  const child = spawn(options.binaryPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const logStream = createWriteStream(options.logFile, { flags: 'a' });
  let logTail = '';
  const collect = (chunk: Buffer) => {
    logStream.write(chunk);
    logTail = (logTail + chunk.toString()).slice(-logTailChars);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.once('close', () => logStream.end());

  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<NonNullable<typeof exit>>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  child.once('error', (error) => {
    spawnError = error;
  });

  const baseUri = `mongodb://127.0.0.1:${options.port}/`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    if (spawnError) {
      throw new Error(`failed to run FerretDB binary ${options.binaryPath}: ${spawnError.message}`);
    }
    if (exit) {
      throw new Error(
        `FerretDB exited during start-up (code ${exit.code}, signal ${exit.signal}). ` +
          `Log ${options.logFile} ends with:\n${logTail.trim()}`,
      );
    }
    if (Date.now() > deadline) {
      killChild(child, 'SIGKILL');
      throw new Error(
        `FerretDB start-up timed out: no response to ping on ${baseUri} within ${options.readyTimeoutMs ?? 30_000} ms ` +
          `(last error: ${String(lastError)}). Log ${options.logFile} ends with:\n${logTail.trim()}`,
      );
    }
    if (await isPortAccepting(options.port, 500)) {
      try {
        await ping(baseUri);
        break;
      } catch (error) {
        lastError = error;
      }
    }
    await sleep(100);
  }
  logger.info(
    {
      uri: baseUri,
      handler: options.backend.handler,
      pid: child.pid,
      durationMs: Date.now() - started,
    },
    'started FerretDB',
  );

  return {
    baseUri,
    pid: child.pid ?? -1,
    exited,
    async stop() {
      if (exit) return;
      killChild(child, 'SIGTERM');
      // ref: false, so the pending timer does not keep the process alive after FerretDB exited.
      const timeout = sleep(5000, true, { ref: false });
      const timedOut = await Promise.race([exited.then(() => false), timeout]);
      if (timedOut) {
        logger.warn({ pid: child.pid }, 'FerretDB ignored SIGTERM for 5 s, sending SIGKILL');
        killChild(child, 'SIGKILL');
        await exited;
      }
    },
    killSync() {
      if (!exit) killChild(child, 'SIGKILL');
    },
  };
}

function killChild(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    child.kill(signal);
  } catch {
    // The process has already exited.
  }
}

/** Connects to uri, runs the `ping` command and disconnects; throws when either step fails. */
export async function ping(uri: string, timeoutMs = 2000): Promise<void> {
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
  });
  try {
    await connection.asPromise();
    const db = connection.db;
    if (!db) throw new Error(`connection to ${uri} has no database handle`);
    await db.admin().ping();
  } finally {
    await connection.close(true).catch(() => undefined);
  }
}
