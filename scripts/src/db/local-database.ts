import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureFerretdbBinary } from './ferretdb-binary.js';
import { startFerretdb, type FerretdbBackend, type FerretdbProcess } from './ferretdb-process.js';
import { logger } from './logger.js';
import { dataRoot } from './paths.js';
import { startPostgres, stopPostgresIfRunning, type PostgresCluster } from './postgres.js';
import { findFreePort, isProcessAlive } from './processes.js';

export interface LocalDatabaseOptions {
  /** Cluster name, used in directory names: letters, digits, `-` and `_`. */
  name: string;
  /**
   * Root directory: PostgreSQL goes to `<dataDir>/postgres/<name>`, the SQLite fallback to
   * `<dataDir>/sqlite/<name>`. Default: the repository's `.data/`, or a new directory under the
   * OS temp directory when ephemeral.
   */
  dataDir?: string;
  /** PostgreSQL port on 127.0.0.1. Default: a free port. */
  pgPort?: number;
  /** FerretDB port on 127.0.0.1. Default: a free port. */
  mongoPort?: number;
  /** Throwaway database: durability settings off, files deleted on stop. Default: false. */
  ephemeral?: boolean;
  /**
   * `auto` (default) uses PostgreSQL and falls back to SQLite with a warning when PostgreSQL
   * cannot be started; `postgresql` fails instead; `sqlite` skips PostgreSQL.
   */
  backend?: 'auto' | 'postgresql' | 'sqlite';
  /** Database name put into the returned URI. Default: `wxlearn`. */
  database?: string;
  /** Directory with the PostgreSQL server binaries; see PostgresOptions.binDir. */
  pgBinDir?: string;
}

export interface LocalDatabase {
  /** MongoDB connection string including the database name. */
  uri: string;
  /** `external` when MONGODB_URI was set and nothing was started. */
  backend: 'postgresql' | 'sqlite' | 'external';
  /** Reason PostgreSQL was not used, set when backend is `sqlite` after a fallback. */
  fallbackReason?: string;
  /** Settles when FerretDB exits; undefined for `external`. */
  ferretdbExited?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops FerretDB, then PostgreSQL (unless it was already running), then deletes ephemeral files. */
  stop(): Promise<void>;
}

/** Prefix of ephemeral root directories under the OS temp directory. */
const ephemeralPrefix = 'wxlearn-db-';
const ownerFileName = 'owner.json';

/**
 * Starts a local MongoDB-compatible database: FerretDB on PostgreSQL (or on SQLite as a
 * fallback). When MONGODB_URI is set, starts nothing and returns that URI.
 */
export async function startLocalDatabase(options: LocalDatabaseOptions): Promise<LocalDatabase> {
  const external = process.env.MONGODB_URI;
  if (external) {
    logger.info({ name: options.name }, 'MONGODB_URI is set, not starting a local database');
    return { uri: external, backend: 'external', stop: async () => undefined };
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(options.name)) {
    throw new Error(
      `invalid database name ${JSON.stringify(options.name)}: use letters, digits, - and _`,
    );
  }

  const ephemeral = options.ephemeral ?? false;
  const createdRoot = ephemeral && !options.dataDir;
  if (ephemeral) await removeAbandonedEphemeralRoots();
  const root = createdRoot
    ? await createEphemeralRoot(options.name)
    : (options.dataDir ?? dataRoot);
  const pgDir = path.join(root, 'postgres', options.name);
  const sqliteDir = path.join(root, 'sqlite', options.name);

  const resources: Resources = { ferretdb: undefined, postgres: undefined, removeOnStop: [] };
  if (ephemeral) resources.removeOnStop.push(...(createdRoot ? [root] : [pgDir, sqliteDir]));
  trackForExit(resources);

  try {
    // Build (or find) the binary while PostgreSQL starts. allSettled, not all: a failed build
    // must not leave a PostgreSQL server running that stopResources does not know about.
    const [binary, backend] = await Promise.allSettled([
      ensureFerretdbBinary(),
      startBackend(options, pgDir, sqliteDir, ephemeral),
    ]);
    if (backend.status === 'fulfilled') resources.postgres = backend.value.cluster;
    if (binary.status === 'rejected') throw binary.reason;
    if (backend.status === 'rejected') throw backend.reason;
    const { binaryPath } = binary.value;
    const pg = backend.value;

    const port = options.mongoPort ?? (await findFreePort());
    await fs.mkdir(root, { recursive: true });
    resources.ferretdb = await startFerretdb({
      binaryPath,
      port,
      backend: pg.backend,
      logFile: path.join(root, `ferretdb-${options.name}.log`),
    });

    const database = encodeURIComponent(options.database ?? 'wxlearn');
    return {
      uri: `${resources.ferretdb.baseUri}${database}`,
      backend: pg.backend.handler,
      fallbackReason: pg.fallbackReason,
      ferretdbExited: resources.ferretdb.exited,
      stop: () => stopResources(resources),
    };
  } catch (error) {
    await stopResources(resources);
    throw error;
  }
}

interface BackendChoice {
  backend: FerretdbBackend;
  cluster?: PostgresCluster;
  fallbackReason?: string;
}

async function startBackend(
  options: LocalDatabaseOptions,
  pgDir: string,
  sqliteDir: string,
  ephemeral: boolean,
): Promise<BackendChoice> {
  const mode = options.backend ?? 'auto';
  let fallbackReason: string | undefined;
  if (mode !== 'sqlite') {
    try {
      const cluster = await startPostgres({
        dataDir: pgDir,
        port: options.pgPort,
        durable: !ephemeral,
        binDir: options.pgBinDir,
      });
      return { backend: { handler: 'postgresql', postgresqlUrl: cluster.url }, cluster };
    } catch (error) {
      if (mode === 'postgresql') throw error;
      fallbackReason = (error as Error).message;
      logger.warn(
        { name: options.name, reason: fallbackReason },
        'PostgreSQL could not be started, falling back to FerretDB on SQLite (filters are not pushed down to SQLite, so queries are slower)',
      );
    }
  }
  await fs.mkdir(sqliteDir, { recursive: true });
  return { backend: { handler: 'sqlite', sqliteUrl: `file:${sqliteDir}/` }, fallbackReason };
}

interface Resources {
  ferretdb: FerretdbProcess | undefined;
  postgres: PostgresCluster | undefined;
  removeOnStop: string[];
  stopping?: Promise<void>;
}

const activeResources = new Set<Resources>();
let exitHandlersInstalled = false;

function stopResources(resources: Resources): Promise<void> {
  resources.stopping ??= (async () => {
    try {
      await resources.ferretdb?.stop();
      await resources.postgres?.stop();
      for (const dir of resources.removeOnStop) {
        await fs.rm(dir, { recursive: true, force: true });
      }
    } finally {
      activeResources.delete(resources);
    }
  })();
  return resources.stopping;
}

/**
 * Registers resources for synchronous clean-up when the process exits without calling stop().
 * A SIGINT, SIGTERM or SIGHUP that nothing else handles is turned into process.exit, because
 * Node skips 'exit' handlers when a signal kills it.
 */
function trackForExit(resources: Resources) {
  activeResources.add(resources);
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;

  process.on('exit', () => {
    for (const active of activeResources) {
      active.ferretdb?.killSync();
      active.postgres?.stopSync();
      for (const dir of active.removeOnStop) rmSync(dir, { recursive: true, force: true });
    }
  });
  const signals = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
  for (const [signal, number] of Object.entries(signals)) {
    process.on(signal, () => {
      if (process.listenerCount(signal) === 1) process.exit(128 + number);
    });
  }
}

async function createEphemeralRoot(name: string) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `${ephemeralPrefix}${name}-`));
  // mkdtemp creates mode 0700, and as root the PostgreSQL server runs as another user.
  await fs.chmod(root, 0o755);
  await fs.writeFile(path.join(root, ownerFileName), JSON.stringify({ pid: process.pid }));
  return root;
}

/**
 * Deletes ephemeral roots whose owning process died without cleaning up (SIGKILL, crash),
 * stopping any PostgreSQL server still running in them.
 */
async function removeAbandonedEphemeralRoots() {
  const tempDir = os.tmpdir();
  const entries = await fs.readdir(tempDir).catch(() => [] as string[]);
  for (const entry of entries.filter((name) => name.startsWith(ephemeralPrefix))) {
    const root = path.join(tempDir, entry);
    let ownerPid: unknown;
    try {
      ownerPid = (
        JSON.parse(await fs.readFile(path.join(root, ownerFileName), 'utf8')) as { pid?: unknown }
      ).pid;
    } catch {
      continue; // Not ours, or still being created.
    }
    if (typeof ownerPid !== 'number' || isProcessAlive(ownerPid)) continue;

    try {
      const clusters = await fs.readdir(path.join(root, 'postgres')).catch(() => [] as string[]);
      for (const cluster of clusters) {
        await stopPostgresIfRunning(path.join(root, 'postgres', cluster), { mode: 'immediate' });
      }
      await fs.rm(root, { recursive: true, force: true });
      logger.info({ root, ownerPid }, 'removed abandoned ephemeral database');
    } catch (error) {
      logger.warn({ root, err: error }, 'could not remove abandoned ephemeral database');
    }
  }
}
