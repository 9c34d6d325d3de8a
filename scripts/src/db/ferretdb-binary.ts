import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from './logger.js';
import { cacheDir, repoRoot } from './paths.js';
import { isProcessAlive } from './processes.js';

/** Go main module that embeds FerretDB; its main.go defines the command-line flags. */
export const ferretdbSourceDir = path.join(repoRoot, 'scripts', 'ferretdb');

const sourceFiles = ['main.go', 'go.mod', 'go.sum'];

/** A lock older than this is treated as left behind by a crashed build. */
const staleLockMs = 30 * 60_000;
const lockPollMs = 250;

export interface FerretdbBinaryOptions {
  /** Directory with main.go, go.mod and go.sum. Default: scripts/ferretdb. */
  sourceDir?: string;
  /** Directory that receives the binary, its hash file and the lock. Default: .cache/bin. */
  outputDir?: string;
}

export interface FerretdbBinary {
  binaryPath: string;
  /** True when this call compiled the binary, false when an up-to-date one was reused. */
  built: boolean;
}

/**
 * Builds the FerretDB binary with `CGO_ENABLED=0 go build` unless a binary built from the same
 * main.go, go.mod and go.sum already exists, and returns its path.
 *
 * Concurrent callers (several processes) are safe: the build writes to a temporary name and
 * renames it into place, and a lock file makes the other callers wait instead of compiling too.
 */
export async function ensureFerretdbBinary(
  options: FerretdbBinaryOptions = {},
): Promise<FerretdbBinary> {
  const sourceDir = options.sourceDir ?? ferretdbSourceDir;
  const outputDir = options.outputDir ?? path.join(cacheDir, 'bin');
  const binaryPath = path.join(outputDir, 'ferretdb');
  const hashPath = `${binaryPath}.sha256`;
  const lockPath = `${binaryPath}.lock`;

  const sourceHash = await hashSources(sourceDir);
  if (await isUpToDate(binaryPath, hashPath, sourceHash)) {
    return { binaryPath, built: false };
  }

  await fs.mkdir(outputDir, { recursive: true });
  await acquireLock(lockPath);
  try {
    // Another process may have finished the build while this one waited for the lock.
    if (await isUpToDate(binaryPath, hashPath, sourceHash)) {
      return { binaryPath, built: false };
    }
    await buildBinary(sourceDir, binaryPath);
    await writeFileAtomic(hashPath, `${sourceHash}\n`);
    return { binaryPath, built: true };
  } finally {
    await fs.rm(lockPath, { force: true });
  }
}

async function hashSources(sourceDir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const name of sourceFiles) {
    const file = path.join(sourceDir, name);
    let content: Buffer;
    try {
      content = await fs.readFile(file);
    } catch (error) {
      throw new Error(`FerretDB source file ${file} could not be read: ${String(error)}`);
    }
    hash.update(name).update('\0').update(content).update('\0');
  }
  return hash.digest('hex');
}

async function isUpToDate(binaryPath: string, hashPath: string, sourceHash: string) {
  if (!existsSync(binaryPath)) return false;
  try {
    return (await fs.readFile(hashPath, 'utf8')).trim() === sourceHash;
  } catch {
    return false;
  }
}

/**
 * Creates the lock file exclusively, waiting while another live process holds it. The lock only
 * avoids duplicate work: the binary and hash file are replaced by rename, so even two builds that
 * overlap (after a stale lock was broken twice, say) leave a complete binary behind.
 */
async function acquireLock(lockPath: string) {
  let waitingLogged = false;
  for (;;) {
    try {
      const handle = await fs.open(lockPath, 'wx');
      await handle.writeFile(JSON.stringify({ pid: process.pid, startedAt: Date.now() }));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }

    if (await isLockStale(lockPath)) {
      logger.warn({ lockPath }, 'removing stale FerretDB build lock');
      await fs.rm(lockPath, { force: true });
      continue;
    }
    if (!waitingLogged) {
      logger.info({ lockPath }, 'waiting for another process to build FerretDB');
      waitingLogged = true;
    }
    await sleep(lockPollMs);
  }
}

async function isLockStale(lockPath: string): Promise<boolean> {
  let owner: { pid?: unknown; startedAt?: unknown };
  try {
    owner = JSON.parse(await fs.readFile(lockPath, 'utf8')) as typeof owner;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    // An empty or partial file: the holder crashed between open and write, or is writing now.
    const stat = await fs.stat(lockPath).catch(() => undefined);
    return stat !== undefined && Date.now() - stat.mtimeMs > 10_000;
  }
  if (typeof owner.pid !== 'number' || !isProcessAlive(owner.pid)) return true;
  return typeof owner.startedAt === 'number' && Date.now() - owner.startedAt > staleLockMs;
}

/** Finds the Go toolchain: $GO, then `go` on PATH, then the default install in /usr/local/go. */
function findGo(): string {
  if (process.env.GO) {
    if (existsSync(process.env.GO)) return process.env.GO;
    throw new Error(
      `Go toolchain not found at GO=${process.env.GO}. Point GO at a go binary (1.24 or newer) ` +
        'or unset it to search PATH.',
    );
  }
  const pathDirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of pathDirs) {
    if (existsSync(path.join(dir, 'go'))) return path.join(dir, 'go');
  }
  if (existsSync('/usr/local/go/bin/go')) return '/usr/local/go/bin/go';
  throw new Error(
    'Go toolchain not found (no `go` on PATH, $GO unset, no /usr/local/go/bin/go). ' +
      'Install Go 1.24 or newer to build FerretDB, or set MONGODB_URI to use an existing MongoDB.',
  );
}

async function buildBinary(sourceDir: string, binaryPath: string) {
  const go = findGo();
  const tempPath = `${binaryPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const started = Date.now();
  logger.info(
    { sourceDir, binaryPath },
    'building FerretDB (a first build compiles all dependencies and can take a minute or more)',
  );

  try {
    // -buildvcs=false: the module sits inside the project's git checkout, and stamping VCS data
    // fails where git is missing or the checkout belongs to another user.
    await run(go, ['build', '-buildvcs=false', '-o', tempPath, '.'], {
      cwd: sourceDir,
      env: { ...process.env, CGO_ENABLED: '0' },
    });
    await fs.rename(tempPath, binaryPath);
  } catch (error) {
    await fs.rm(tempPath, { force: true });
    throw error;
  }
  logger.info({ binaryPath, durationMs: Date.now() - started }, 'built FerretDB');
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) =>
      reject(new Error(`failed to run ${command}: ${error.message}`, { cause: error })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve();
        return;
      }
      const status = signal ? `signal ${signal}` : `exit code ${code}`;
      reject(new Error(`${command} ${args.join(' ')} failed with ${status}:\n${output.trim()}`));
    });
  });
}

async function writeFileAtomic(file: string, content: string) {
  const tempPath = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(tempPath, content);
  await fs.rename(tempPath, file);
}
