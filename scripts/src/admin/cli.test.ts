import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess, type CliResult } from '../cli-test-support.js';
import { connectTestDatabase, type TestDatabase } from '../db/test-database.js';

const CLI_PATH = fileURLToPath(new URL('./cli.ts', import.meta.url));

let database: TestDatabase;

/** Runs the CLI as a separate process against this file's database. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCliProcess(CLI_PATH, database.uri, args, env);
}

const grants = () => database.connection.collection('adminGrants');

/** Grants or revokes the operator role of employee E100 on a unit. */
function operatorCommand(command: 'grant' | 'revoke', unit: string): Promise<CliResult> {
  return runCli([command, '--employee', 'E100', '--unit', unit, '--role', 'operator']);
}

beforeAll(async () => {
  database = await connectTestDatabase({ prefix: 'admin_cli' });
  await database.connection.collection('orgUnits').insertMany([
    { code: '00', name: '总部', parentCode: null, path: '/00/', pathNames: ['总部'], level: 0 },
    {
      code: '03',
      name: '广东省公司',
      parentCode: '00',
      path: '/00/03/',
      pathNames: ['总部', '广东省公司'],
      level: 1,
    },
  ]);
  await database.connection
    .collection('employees')
    .insertOne({ employeeNo: 'E100', name: '何经理', orgUnitCode: '03', post: '部门经理' });
});

afterAll(async () => {
  await database?.drop();
});

describe('admin CLI', () => {
  it('grants once and succeeds again without a second grant', async () => {
    const first = await runCli(['grant', '--employee', 'E100', '--unit', '03']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('manager grant created');

    const second = await runCli(['grant', '--employee', 'E100', '--unit', '03']);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('manager grant already exists');
    expect(await grants().countDocuments({ employeeNo: 'E100' })).toBe(1);
  });

  it('lists grants on stdout', async () => {
    const result = await runCli(['list']);
    expect(result.code).toBe(0);
    const fields = result.stdout.trim().split('\t');
    expect(fields.slice(0, 5)).toEqual(['E100', '何经理', '03', '广东省公司', 'manager']);
    expect(Number.isNaN(Date.parse(fields[5] ?? ''))).toBe(false);
  });

  it('fails for an unknown employee or unit', async () => {
    const employee = await runCli(['grant', '--employee', 'NOBODY', '--unit', '03']);
    expect(employee.code).toBe(1);
    expect(employee.stderr).toContain('Employee NOBODY was not found');

    const unit = await runCli(['grant', '--employee', 'E100', '--unit', '99']);
    expect(unit.code).toBe(1);
    expect(unit.stderr).toContain('Org unit 99 was not found');
    expect(await grants().countDocuments()).toBe(1);
  });

  it('revokes once and succeeds again', async () => {
    const first = await runCli(['revoke', '--employee', 'E100', '--unit', '03']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('manager grant revoked');

    const second = await runCli(['revoke', '--employee', 'E100', '--unit', '03']);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('no such manager grant');
    expect(await grants().countDocuments()).toBe(0);
  });

  it('grants the operator role only on the top-level unit', async () => {
    const provincial = await operatorCommand('grant', '03');
    expect(provincial.code).toBe(1);
    expect(provincial.stderr).toContain('must be on a top-level unit');

    const head = await operatorCommand('grant', '00');
    expect(head.code).toBe(0);
    expect(head.stderr).toContain('operator grant created');
    expect(await grants().countDocuments({ employeeNo: 'E100', role: 'operator' })).toBe(1);

    const revoked = await operatorCommand('revoke', '00');
    expect(revoked.code).toBe(0);
    expect(revoked.stderr).toContain('operator grant revoked');
    expect(await grants().countDocuments()).toBe(0);
  });

  it('keeps a manager and an operator grant on one unit apart', async () => {
    await runCli(['grant', '--employee', 'E100', '--unit', '00']);
    const operator = await operatorCommand('grant', '00');
    expect(operator.stderr).toContain('operator grant created');
    expect(await grants().countDocuments({ employeeNo: 'E100', orgUnitCode: '00' })).toBe(2);

    await runCli(['revoke', '--employee', 'E100', '--unit', '00']);
    await operatorCommand('revoke', '00');
    expect(await grants().countDocuments()).toBe(0);
  });

  it.each([
    ['no command', []],
    ['an unknown command', ['promote', '--employee', 'E100', '--unit', '03']],
    ['grant without a unit', ['grant', '--employee', 'E100']],
    ['an empty employee', ['revoke', '--employee', ' ', '--unit', '03']],
    ['an unknown role', ['grant', '--employee', 'E100', '--unit', '00', '--role', 'owner']],
  ])('exits 2 with usage for %s', async (_case, args) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: cli.ts');
  });

  it('exits 2 without MONGODB_URI', async () => {
    const result = await runCli(['list'], { MONGODB_URI: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('MONGODB_URI is not set');
  });
});
