import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess, type CliResult } from '../cli-test-support.js';
import { connectTestDatabase, type TestDatabase } from '../db/test-database.js';

const CLI_PATH = fileURLToPath(new URL('./cli.ts', import.meta.url));

let database: TestDatabase;
let folder: string;

/** Runs the CLI as a separate process against this file's database. */
function runCli(args: string[]): Promise<CliResult> {
  return runCliProcess(CLI_PATH, database.uri, args);
}

const learnerId = new Types.ObjectId();

beforeAll(async () => {
  database = await connectTestDatabase({ prefix: 'reco_cli' });
  folder = await mkdtemp(path.join(os.tmpdir(), 'reco-cli-'));
  const now = new Date();
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
  const course = (code: string, title: string) => ({
    code,
    title,
    category: '安全生产',
    description: '',
    published: true,
    chapters: [],
    lessonCount: 0,
    searchTokens: [],
    titleTokens: [],
    createdAt: now,
    updatedAt: now,
  });
  await database.connection
    .collection('courses')
    .insertMany([course('SAFE-1', '安全生产规范'), course('FIRE-1', '消防知识')]);
  await database.connection
    .collection('employees')
    .insertOne({ employeeNo: 'E1', name: '张三', orgUnitCode: '03', post: '安全员' });
  await database.connection.collection('learners').insertOne({ _id: learnerId, openid: 'o1' });
  await database.connection
    .collection('bindings')
    .insertOne({ learnerId, employeeNo: 'E1', orgUnitCode: '03', boundAt: now });
});

afterAll(async () => {
  await database?.drop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('recommendations CLI', () => {
  it('assigns a course and lists it', async () => {
    const assigned = await runCli([
      'assign',
      '--unit',
      '03',
      '--course',
      'SAFE-1',
      '--due',
      '2099-04-15',
    ]);
    expect(assigned.code).toBe(0);
    const listed = await runCli(['list']);
    expect(listed.stdout).toBe('03\t*\tSAFE-1\t安全生产规范\t2099-04-15\n');
  });

  it('moves the due date when assigned again', async () => {
    await runCli(['assign', '--unit', '03', '--course', 'SAFE-1', '--due', '2099-05-01']);
    const listed = await runCli(['list', '--unit', '03']);
    expect(listed.stdout).toBe('03\t*\tSAFE-1\t安全生产规范\t2099-05-01\n');
  });

  it('rejects an invalid date with exit code 1', async () => {
    const result = await runCli([
      'assign',
      '--unit',
      '03',
      '--course',
      'SAFE-1',
      '--due',
      '2099-13-01',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('dueOn must be a calendar date');
  });

  it('rejects a missing option with exit code 2', async () => {
    const result = await runCli(['assign', '--unit', '03']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('assign needs --unit, --course and --due');
  });

  it('imports a CSV file and reports the rows it could not import', async () => {
    const file = path.join(folder, 'assignments.csv');
    await writeFile(
      file,
      'orgUnitCode,post,courseCode,dueOn\n00,安全员,FIRE-1,2099-06-30\n03,,NO-SUCH,2099-06-30\n',
    );
    const result = await runCli(['import', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Course NO-SUCH was not found');
    const listed = await runCli(['list', '--unit', '00']);
    expect(listed.stdout).toBe('00\t安全员\tFIRE-1\t消防知识\t2099-06-30\n');
  });

  it('prints every learner picks with the required courses first', async () => {
    const result = await runCli(['picks']);
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1);
    expect(lines[0].learnerId).toBe(learnerId.toHexString());
    expect(lines[0].picks.map((pick: { reason: string }) => pick.reason)).toEqual([
      '本单位要求，2099年5月1日前完成',
      '本单位要求，2099年6月30日前完成',
    ]);
  });

  it('removes an assignment, and succeeds when it is already gone', async () => {
    const removed = await runCli(['unassign', '--unit', '03', '--course', 'SAFE-1']);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toContain('assignment removed');
    const again = await runCli(['unassign', '--unit', '03', '--course', 'SAFE-1']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('no such assignment, nothing changed');
  });
});
