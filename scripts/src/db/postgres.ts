import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { logger } from './logger.js';
import { findFreePort, isPortAccepting, isProcessAlive } from './processes.js';

const execFileAsync = promisify(execFile);

/** PostgreSQL refuses to run as root, so as root the server runs as this system user. */
const postgresOsUser = 'postgres';
/** Superuser name created by initdb (`-U`), the same whether or not we run as root. */
const superuser = 'postgres';
/** SQL run in the FerretDB database after it is created. */
const GIN_INDEX_SQL = path.join(import.meta.dirname, 'gin-indexes.sql');
/** Settings file written into the data directory at every start and included by postgresql.conf. */
const settingsFileName = 'wxlearn.conf';
const serverLogFileName = 'server.log';
/** File in the data directory with the pid of the process responsible for stopping the server. */
const starterPidFileName = 'wxlearn-starter.pid';
/** Linux limits a unix socket path (sun_path) to 107 bytes. */
const maxSocketPathLength = 107;

export interface PostgresOptions {
  /** Cluster directory (PGDATA); created and initialised with initdb when it has no cluster yet. */
  dataDir: string;
  /** TCP port on 127.0.0.1. Default: a free port, or the port of a cluster already running there. */
  port?: number;
  /**
   * When false, turns off fsync, synchronous_commit and full_page_writes: faster, but an OS crash
   * can corrupt the cluster. Meant for throwaway test clusters. Default: true.
   */
  durable?: boolean;
  /** Database to create for FerretDB. Default: `ferretdb`. */
  database?: string;
  /** Directory with initdb, pg_ctl and psql. Default: $PG_BINDIR, `pg_config --bindir`, /usr/lib/postgresql/<newest>/bin. */
  binDir?: string;
}

export interface PostgresCluster {
  /** Connection URL for FerretDB's postgresql backend (trust auth, no password). */
  url: string;
  port: number;
  dataDir: string;
  /**
   * True when a server started by another live process was already running on dataDir; stop()
   * then leaves it running. A running server whose starter has exited is adopted instead.
   */
  reused: boolean;
  /** Stops the server with `pg_ctl stop -m fast` unless it was reused. */
  stop(): Promise<void>;
  /** Synchronous stop for `process.on('exit')` handlers, with `-m immediate` when not durable. */
  stopSync(): void;
}

/**
 * Starts (or reuses) a project-owned PostgreSQL cluster in `dataDir`, listening only on
 * 127.0.0.1 and on a unix socket in the data directory, with trust authentication.
 *
 * NOTE: two processes that initialise the same new dataDir at the same time are not serialised.
 * Tests use a new directory per process, and development runs one process per name.
 */
export async function startPostgres(options: PostgresOptions): Promise<PostgresCluster> {
  const dataDir = path.resolve(options.dataDir);
  const database = options.database ?? 'ferretdb';
  const durable = options.durable ?? true;
  const tools = await findPostgresTools(options.binDir);

  const running = await readRunningServer(dataDir);
  if (running) {
    if (options.port !== undefined && options.port !== running.port) {
      throw new Error(
        `PostgreSQL is already running on ${dataDir} with port ${running.port}, not the requested ` +
          `port ${options.port}. Stop it with \`pg_ctl stop -D ${dataDir}\` or omit the port.`,
      );
    }
    // A server whose starter died (SIGKILL, crash) is adopted: this process stops it later.
    // A server whose starter is alive stays that process's to stop.
    const starterPid = await readStarterPid(dataDir);
    const adopted = starterPid === undefined || !isProcessAlive(starterPid);
    if (adopted) await writeStarterPid(dataDir);
    logger.info(
      { dataDir, port: running.port, pid: running.pid, adopted },
      'reusing running PostgreSQL',
    );
    await createDatabase(tools, running.port, database);
    await installGinIndexTrigger(tools, running.port, database);
    return makeCluster({ tools, dataDir, port: running.port, database, durable, reused: !adopted });
  }

  await prepareDataDir(dataDir);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await initCluster(tools, dataDir, durable);
  }

  const port = options.port ?? (await findFreePort());
  await writeSettings(dataDir, port, durable);
  const started = Date.now();
  await startServer(tools, dataDir);
  await writeStarterPid(dataDir);
  logger.info({ dataDir, port, durationMs: Date.now() - started }, 'started PostgreSQL');

  const cluster = makeCluster({ tools, dataDir, port, database, durable, reused: false });
  try {
    await createDatabase(tools, port, database);
    await installGinIndexTrigger(tools, port, database);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

interface PostgresTools {
  binDir: string;
  initdb: string;
  pgCtl: string;
  psql: string;
}

async function findPostgresTools(binDir?: string): Promise<PostgresTools> {
  const candidates: string[] = [];
  if (binDir) {
    candidates.push(binDir);
  } else {
    if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
    try {
      const { stdout } = await execFileAsync('pg_config', ['--bindir']);
      candidates.push(stdout.trim());
    } catch {
      // pg_config is missing (Debian ships it only with libpq-dev or postgresql-common's wrapper).
    }
    candidates.push(...listDebianBinDirs());
  }

  for (const dir of candidates) {
    if (existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) {
      return {
        binDir: dir,
        initdb: path.join(dir, 'initdb'),
        pgCtl: path.join(dir, 'pg_ctl'),
        psql: path.join(dir, 'psql'),
      };
    }
  }
  throw new Error(
    `PostgreSQL server binaries (initdb, pg_ctl) not found in ${candidates.join(', ') || 'any known directory'}. ` +
      'Install them (Debian: apt-get install -y postgresql) or set PG_BINDIR.',
  );
}

/** Lists /usr/lib/postgresql/<version>/bin directories, newest major version first. */
function listDebianBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => path.join(root, version, 'bin'));
}

const isRoot = () => process.getuid?.() === 0;

/** Runs a PostgreSQL tool, as the postgres system user when this process is root. */
async function runPostgresTool(
  command: string,
  args: string[],
  options: { detached?: boolean } = {},
) {
  const [file, fileArgs] = isRoot()
    ? ['runuser', ['-u', postgresOsUser, '--', command, ...args]]
    : [command, args];
  // cwd '/': the postgres user may not be allowed into the caller's working directory.
  const child = spawn(file, fileArgs, {
    cwd: '/',
    detached: options.detached ?? false,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise<string>((resolve, reject) => {
    child.on('error', (error) =>
      reject(new Error(`failed to run ${file}: ${error.message}`, { cause: error })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve(output);
        return;
      }
      const status = signal ? `signal ${signal}` : `exit code ${code}`;
      reject(new Error(`${path.basename(command)} failed with ${status}: ${output.trim()}`));
    });
  });
}

function runPostgresToolSync(command: string, args: string[]) {
  const [file, fileArgs] = isRoot()
    ? ['runuser', ['-u', postgresOsUser, '--', command, ...args]]
    : [command, args];
  return spawnSync(file, fileArgs, { cwd: '/', stdio: 'ignore', timeout: 30_000 });
}

async function prepareDataDir(dataDir: string) {
  await fs.mkdir(dataDir, { recursive: true });
  if (!isRoot()) return;

  const owner = await lookupUser(postgresOsUser);
  const stat = await fs.stat(dataDir);
  if (stat.uid !== owner.uid) await fs.chown(dataDir, owner.uid, owner.gid);
  // The postgres user must be able to reach the directory through every parent.
  const check = spawnSync('runuser', ['-u', postgresOsUser, '--', 'test', '-w', dataDir]);
  if (check.status !== 0) {
    throw new Error(
      `the ${postgresOsUser} system user cannot write to ${dataDir}: ` +
        'make every parent directory searchable by others (chmod o+x) or choose another directory',
    );
  }
}

async function lookupUser(name: string) {
  const passwd = await fs.readFile('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name) return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  throw new Error(
    `system user ${name} not found: PostgreSQL cannot run as root, and the Debian postgresql ` +
      'package creates this user (apt-get install -y postgresql)',
  );
}

async function initCluster(tools: PostgresTools, dataDir: string, durable: boolean) {
  const started = Date.now();
  const args = ['-D', dataDir, '-U', superuser, '--auth=trust', '--no-locale', '-E', 'UTF8'];
  // Skipping the final fsync saves time on clusters that are thrown away anyway.
  if (!durable) args.push('--no-sync');
  await runPostgresTool(tools.initdb, args);

  const confPath = path.join(dataDir, 'postgresql.conf');
  await fs.appendFile(
    confPath,
    `\n# Project settings, rewritten at every start\ninclude_if_exists = '${settingsFileName}'\n`,
  );
  logger.info({ dataDir, durationMs: Date.now() - started }, 'initialised PostgreSQL cluster');
}

async function writeSettings(dataDir: string, port: number, durable: boolean) {
  const socketPath = path.join(dataDir, `.s.PGSQL.${port}`);
  const socketDir = socketPath.length <= maxSocketPathLength ? dataDir : '';
  if (!socketDir) {
    logger.warn(
      { dataDir },
      'PostgreSQL data directory path too long for a unix socket, using TCP only',
    );
  }
  const lines = [
    '# Written by scripts/src/db/postgres.ts at every start; edits are overwritten.',
    `listen_addresses = '127.0.0.1'`,
    `port = ${port}`,
    `unix_socket_directories = '${socketDir.replaceAll("'", "''")}'`,
  ];
  if (!durable) {
    lines.push('fsync = off', 'synchronous_commit = off', 'full_page_writes = off');
  }
  const settingsPath = path.join(dataDir, settingsFileName);
  await fs.writeFile(settingsPath, `${lines.join('\n')}\n`, { mode: 0o644 });
  if (isRoot()) {
    const owner = await lookupUser(postgresOsUser);
    await fs.chown(settingsPath, owner.uid, owner.gid);
  }
}

async function startServer(tools: PostgresTools, dataDir: string) {
  const logFile = path.join(dataDir, serverLogFileName);
  try {
    // detached: the server gets its own session, so Ctrl-C in the terminal reaches only our
    // process, which then stops the server in order.
    await runPostgresTool(tools.pgCtl, ['start', '-w', '-t', '60', '-D', dataDir, '-l', logFile], {
      detached: true,
    });
  } catch (error) {
    const logTail = await readTail(logFile);
    throw new Error(`PostgreSQL failed to start: ${(error as Error).message}\n${logTail}`, {
      cause: error,
    });
  }
}

async function readStarterPid(dataDir: string): Promise<number | undefined> {
  try {
    const pid = Number((await fs.readFile(path.join(dataDir, starterPidFileName), 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function writeStarterPid(dataDir: string) {
  await fs.writeFile(path.join(dataDir, starterPidFileName), `${process.pid}\n`);
}

async function readTail(file: string, maxChars = 2000) {
  try {
    return (await fs.readFile(file, 'utf8')).slice(-maxChars).trim();
  } catch {
    return '';
  }
}

/**
 * Reads postmaster.pid and returns the server's pid and port when that process is alive and
 * accepts TCP connections. Lines of postmaster.pid (PostgreSQL 10+): pid, data directory, start
 * time, port, socket directory, listen address, shared memory key, status.
 */
async function readRunningServer(dataDir: string) {
  let content: string;
  try {
    content = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = content.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isProcessAlive(pid)) return undefined;
  if (!(await isPortAccepting(port))) return undefined;
  return { pid, port };
}

async function createDatabase(tools: PostgresTools, port: number, database: string) {
  const psqlArgs = [
    '-X',
    '-q',
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    superuser,
    '-d',
    'postgres',
  ];
  const query = `SELECT 1 FROM pg_database WHERE datname = '${database.replaceAll("'", "''")}'`;
  const { stdout } = await execFileAsync(tools.psql, [...psqlArgs, '-tAc', query]);
  if (stdout.trim() === '1') return;

  try {
    await execFileAsync(tools.psql, [
      ...psqlArgs,
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `CREATE DATABASE "${database.replaceAll('"', '""')}"`,
    ]);
  } catch (error) {
    // A concurrent caller may have created it between the check and the CREATE.
    if (!String((error as { stderr?: unknown }).stderr).includes('already exists')) throw error;
  }
}

/** Installs the event trigger that adds GIN indexes to FerretDB's tables (gin-indexes.sql). */
async function installGinIndexTrigger(tools: PostgresTools, port: number, database: string) {
  await execFileAsync(tools.psql, [
    '-X',
    '-q',
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    superuser,
    '-d',
    database,
    '-v',
    'ON_ERROR_STOP=1',
    '-f',
    GIN_INDEX_SQL,
  ]);
}

function makeCluster(params: {
  tools: PostgresTools;
  dataDir: string;
  port: number;
  database: string;
  durable: boolean;
  reused: boolean;
}): PostgresCluster {
  const { tools, dataDir, port, database, durable, reused } = params;
  let stopped = false;

  const isRunning = () => existsSync(path.join(dataDir, 'postmaster.pid'));

  return {
    url: `postgres://${superuser}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    port,
    dataDir,
    reused,
    async stop() {
      if (stopped || reused) return;
      stopped = true;
      if (!isRunning()) return;
      const started = Date.now();
      await runPostgresTool(tools.pgCtl, ['stop', '-w', '-D', dataDir, '-m', 'fast']);
      logger.info({ dataDir, durationMs: Date.now() - started }, 'stopped PostgreSQL');
    },
    stopSync() {
      if (stopped || reused) return;
      stopped = true;
      if (!isRunning()) return;
      runPostgresToolSync(tools.pgCtl, [
        'stop',
        '-w',
        '-D',
        dataDir,
        '-m',
        durable ? 'fast' : 'immediate',
      ]);
    },
  };
}

/**
 * Stops a server left running on dataDir (by a killed test run, or a reused development cluster)
 * and reports whether one was running. `immediate` skips the shutdown checkpoint.
 */
export async function stopPostgresIfRunning(
  dataDir: string,
  options: { mode?: 'fast' | 'immediate'; binDir?: string } = {},
): Promise<boolean> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number((await fs.readFile(pidFile, 'utf8')).split('\n')[0]);
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || !isProcessAlive(pid)) return false;
  const tools = await findPostgresTools(options.binDir);
  await runPostgresTool(tools.pgCtl, ['stop', '-w', '-D', dataDir, '-m', options.mode ?? 'fast']);
  return true;
}
