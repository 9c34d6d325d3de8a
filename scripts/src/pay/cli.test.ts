import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess, type CliResult } from '../cli-test-support.js';
import { connectTestDatabase, type TestDatabase } from '../db/test-database.js';

const CLI_PATH = fileURLToPath(new URL('./cli.ts', import.meta.url));

let database: TestDatabase;

/** Runs the CLI as a separate process against this file's database. */
function runCli(args: string[]): Promise<CliResult> {
  return runCliProcess(CLI_PATH, database.uri, args);
}

const courses = () => database.connection.collection('courses');

beforeAll(async () => {
  database = await connectTestDatabase({ prefix: 'pay_cli' });
  await courses().insertOne({ code: 'PAID-1', title: '精品课', category: '付费', priceFen: null });
});

afterAll(async () => {
  await database?.drop();
});

describe('pay CLI', () => {
  it('sets a price in fen', async () => {
    const result = await runCli(['price', '--course', 'PAID-1', '--fen', '9900']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('course price set');
    expect((await courses().findOne({ code: 'PAID-1' }))?.priceFen).toBe(9900);
  });

  it('makes a course free again', async () => {
    const result = await runCli(['price', '--course', 'PAID-1', '--free']);
    expect(result.code).toBe(0);
    expect((await courses().findOne({ code: 'PAID-1' }))?.priceFen).toBeNull();
  });

  it('fails with 1 for an unknown course', async () => {
    const result = await runCli(['price', '--course', 'NO-SUCH', '--fen', '100']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Course NO-SUCH was not found');
  });

  it('rejects a price that is not whole fen with 2', async () => {
    const result = await runCli(['price', '--course', 'PAID-1', '--fen', '99.5']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('whole number of fen');
  });

  it('rejects --fen together with --free', async () => {
    const result = await runCli(['price', '--course', 'PAID-1', '--fen', '100', '--free']);
    expect(result.code).toBe(2);
  });
});
