import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFerretdbBinary, ferretdbSourceDir } from './ferretdb-binary.js';

const execFileAsync = promisify(execFile);
// These tests start the local stack itself, which machines that test against MONGODB_URI may lack.
const usesExternalDatabase = Boolean(process.env.MONGODB_URI);

describe.skipIf(usesExternalDatabase)('ensureFerretdbBinary', () => {
  it('reuses the cached project binary', async () => {
    await ensureFerretdbBinary();
    const started = performance.now();
    const second = await ensureFerretdbBinary();
    const cachedMs = performance.now() - started;
    console.info(`FerretDB binary, cached lookup: ${cachedMs.toFixed(1)} ms`);

    expect(second.built).toBe(false);
    expect(second.binaryPath).toMatch(/\.cache\/bin\/ferretdb$/);
    expect(cachedMs).toBeLessThan(2000);
  });

  describe('in a copy of the Go module', () => {
    let workDir: string;
    let sourceDir: string;
    let outputDir: string;

    beforeAll(async () => {
      workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wxlearn-ferretdb-build-'));
      sourceDir = path.join(workDir, 'src');
      outputDir = path.join(workDir, 'bin');
      await fs.cp(ferretdbSourceDir, sourceDir, { recursive: true });
    });

    afterAll(async () => {
      await fs.rm(workDir, { recursive: true, force: true });
    });

    it('builds, then reuses, then rebuilds after a change', async () => {
      let started = performance.now();
      const first = await ensureFerretdbBinary({ sourceDir, outputDir });
      console.info(
        `FerretDB build in a new output directory (Go build cache warm): ${Math.round(performance.now() - started)} ms`,
      );
      expect(first.built).toBe(true);

      const second = await ensureFerretdbBinary({ sourceDir, outputDir });
      expect(second.built).toBe(false);

      await fs.appendFile(path.join(sourceDir, 'main.go'), '\n// changed by the rebuild test\n');
      started = performance.now();
      const third = await ensureFerretdbBinary({ sourceDir, outputDir });
      console.info(
        `FerretDB rebuild after a main.go change: ${Math.round(performance.now() - started)} ms`,
      );
      expect(third.built).toBe(true);
    });

    it('builds once for concurrent callers', async () => {
      await fs.appendFile(
        path.join(sourceDir, 'main.go'),
        '\n// changed by the concurrency test\n',
      );
      const results = await Promise.all([
        ensureFerretdbBinary({ sourceDir, outputDir }),
        ensureFerretdbBinary({ sourceDir, outputDir }),
        ensureFerretdbBinary({ sourceDir, outputDir }),
      ]);

      expect(results.filter((result) => result.built)).toHaveLength(1);
      const leftovers = (await fs.readdir(outputDir)).filter(
        (name) => name.includes('.tmp-') || name.endsWith('.lock'),
      );
      expect(leftovers).toEqual([]);
      // A complete binary runs and prints its flags (Go's flag package exits 0 for -h).
      const { stderr } = await execFileAsync(path.join(outputDir, 'ferretdb'), ['-h']);
      expect(stderr).toContain('-exit-on-stdin-eof');
    });

    it('rejects with a clear error when Go is missing', async () => {
      await fs.appendFile(path.join(sourceDir, 'main.go'), '\n// changed by the missing-Go test\n');
      const previousGo = process.env.GO;
      process.env.GO = path.join(workDir, 'no-such-go');
      try {
        await expect(ensureFerretdbBinary({ sourceDir, outputDir })).rejects.toThrow(
          /Go toolchain not found/,
        );
      } finally {
        if (previousGo === undefined) delete process.env.GO;
        else process.env.GO = previousGo;
      }
      expect(await fs.readdir(outputDir)).not.toContain('ferretdb.lock');
    });
  });
});
