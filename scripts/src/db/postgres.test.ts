import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresCluster } from './postgres.js';
import { isPortAccepting } from './processes.js';

const execFileAsync = promisify(execFile);
const isRoot = process.getuid?.() === 0;
// These tests start the local stack itself, which machines that test against MONGODB_URI may lack.
const usesExternalDatabase = Boolean(process.env.MONGODB_URI);

async function psql(cluster: PostgresCluster, sql: string) {
  const { stdout } = await execFileAsync('psql', ['-X', '-tA', cluster.url, '-c', sql]);
  return stdout.trim();
}

describe.skipIf(usesExternalDatabase)('startPostgres', () => {
  let root: string;
  let cluster: PostgresCluster;
  let startMs: number;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'wxlearn-pg-test-'));
    // mkdtemp creates mode 0700, which the postgres user (used when running as root) cannot enter.
    await fs.chmod(root, 0o755);
    const started = performance.now();
    cluster = await startPostgres({ dataDir: path.join(root, 'cluster'), durable: false });
    startMs = performance.now() - started;
    console.info(`PostgreSQL initdb + start + CREATE DATABASE: ${Math.round(startMs)} ms`);
  });

  afterAll(async () => {
    await cluster?.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('serves the FerretDB database over TCP', async () => {
    expect(cluster.reused).toBe(false);
    expect(cluster.url).toBe(`postgres://postgres@127.0.0.1:${cluster.port}/ferretdb`);
    expect(await psql(cluster, 'SELECT current_database()')).toBe('ferretdb');
  });

  it('applies the test settings', async () => {
    expect(await psql(cluster, 'SHOW listen_addresses')).toBe('127.0.0.1');
    expect(await psql(cluster, 'SHOW fsync')).toBe('off');
    expect(await psql(cluster, 'SHOW synchronous_commit')).toBe('off');
    expect(await psql(cluster, 'SHOW full_page_writes')).toBe('off');
    expect(existsSync(path.join(cluster.dataDir, `.s.PGSQL.${cluster.port}`))).toBe(true);
  });

  it('reuses the running server without owning it', async () => {
    const second = await startPostgres({ dataDir: cluster.dataDir, durable: false });
    expect(second.reused).toBe(true);
    expect(second.port).toBe(cluster.port);

    await second.stop();
    expect(await isPortAccepting(cluster.port)).toBe(true);
  });

  it('rejects a different port for a running server', async () => {
    await expect(
      startPostgres({ dataDir: cluster.dataDir, port: cluster.port + 1 }),
    ).rejects.toThrow(/already running/);
  });

  it('stops and restarts with its data', async () => {
    await psql(cluster, 'CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)');
    await cluster.stop();
    expect(await isPortAccepting(cluster.port)).toBe(false);
    expect(existsSync(path.join(cluster.dataDir, 'postmaster.pid'))).toBe(false);

    cluster = await startPostgres({ dataDir: cluster.dataDir, durable: false });
    expect(cluster.reused).toBe(false);
    expect(await psql(cluster, 'SELECT id FROM kept')).toBe('7');
  });

  it.runIf(isRoot)('explains a data directory the postgres user cannot reach', async () => {
    const privateRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'wxlearn-pg-private-'));
    try {
      await expect(startPostgres({ dataDir: path.join(privateRoot, 'cluster') })).rejects.toThrow(
        /postgres system user cannot write/,
      );
    } finally {
      await fs.rm(privateRoot, { recursive: true, force: true });
    }
  });

  it('rejects a missing binary directory', async () => {
    await expect(
      startPostgres({ dataDir: path.join(root, 'unused'), binDir: path.join(root, 'no-bin') }),
    ).rejects.toThrow(/PostgreSQL server binaries \(initdb, pg_ctl\) not found/);
  });
});
