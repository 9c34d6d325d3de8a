import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEmployees, generateOrg } from './org.js';
import { readRoster, writeRoster } from './roster.js';
import { FIXTURES } from './test-paths.js';

let workDirectory: string;
beforeAll(async () => {
  workDirectory = await mkdtemp(path.join(tmpdir(), 'roster-'));
});
afterAll(async () => {
  await rm(workDirectory, { recursive: true, force: true });
});

const units = generateOrg({ seed: 1 });
const unitCodes = new Set(units.map((unit) => unit.code));

describe.each(['csv', 'xlsx'])('roster round trip as %s', (extension) => {
  it('reads back what it wrote', async () => {
    const employees = [...generateEmployees(units, { seed: 9, count: 2000 })];
    const file = path.join(workDirectory, `roster.${extension}`);
    expect(await writeRoster(file, employees)).toBe(2000);

    const result = await readRoster(file, { orgUnitCodes: unitCodes });
    expect(result.problems).toEqual([]);
    expect(result.records).toEqual(employees);
  });
});

describe('writeRoster', () => {
  it('writes a CSV that Excel opens as UTF-8', async () => {
    const file = path.join(workDirectory, 'excel.csv');
    await writeRoster(file, [
      { employeeNo: '01000001', name: '张三', orgUnitCode: '0101', post: '客户经理, 组长' },
    ]);
    const bytes = await readFile(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8')).toBe(
      '工号,姓名,单位编码,岗位,手机\r\n01000001,张三,0101,"客户经理, 组长",\r\n',
    );
  });

  it('streams 600,000 generated employees to CSV', async () => {
    const file = path.join(workDirectory, 'large.csv');
    const written = await writeRoster(file, generateEmployees(units, { count: 600_000 }));
    expect(written).toBe(600_000);
    const result = await readRoster(file);
    expect(result.records).toHaveLength(600_000);
    expect(result.problems).toEqual([]);
  });
});

describe('readRoster problems', () => {
  it('rejects a roster without the 岗位 column', async () => {
    const file = path.join(FIXTURES, 'roster-missing-column.csv');
    const result = await readRoster(file);
    expect(result.records).toEqual([]);
    expect(result.problems).toEqual([
      {
        file,
        line: 1,
        reason: 'missing column(s) 岗位 (post) in the header row; file not imported',
        severity: 'error',
      },
    ]);
  });

  it('reports bad rows by line and keeps the good ones', async () => {
    const file = path.join(FIXTURES, 'roster-problems.csv');
    const result = await readRoster(file, { orgUnitCodes: unitCodes });
    expect(result.records).toEqual([
      {
        employeeNo: '01000001',
        name: '张伟',
        orgUnitCode: '0101',
        post: '客户经理',
        mobile: '13800000001',
      },
      { employeeNo: '01000005', name: '杨帆', orgUnitCode: '0102', post: '' },
    ]);
    expect(result.problems.map((problem) => [problem.line, problem.reason])).toEqual([
      [3, 'blank name (姓名) for employee 01000002'],
      [4, 'duplicate employee number 01000001 (first on line 2); row skipped'],
      [5, 'blank employee number (工号)'],
      [6, 'blank org unit code (单位编码) for employee 01000003'],
      [7, "unknown org unit code '9999' for employee 01000004"],
    ]);
    expect(
      result.problems.every((problem) => problem.file === file && problem.severity === 'error'),
    ).toBe(true);
  });

  it('accepts English headers', async () => {
    const result = await readRoster(path.join(FIXTURES, 'roster-english.csv'));
    expect(result.problems).toEqual([]);
    expect(result.records).toEqual([
      {
        employeeNo: '00000001',
        name: '赵敏',
        orgUnitCode: '00',
        post: '部门经理',
        mobile: '13900000000',
      },
      { employeeNo: '01000001', name: '钱进', orgUnitCode: '0101', post: '客户经理' },
    ]);
  });

  it('rejects an empty file', async () => {
    const file = path.join(workDirectory, 'empty.csv');
    await writeFile(file, '');
    const result = await readRoster(file);
    expect(result.records).toEqual([]);
    expect(result.problems).toEqual([
      { file, reason: 'file is empty: no header row', severity: 'error' },
    ]);
  });

  it('rejects a file that is not text', async () => {
    const file = path.join(workDirectory, 'binary.csv');
    await writeFile(file, Buffer.from([0x81, 0x30, 0x81, 0xff, 0xff, 0xff, 0x0a]));
    const result = await readRoster(file);
    expect(result.records).toEqual([]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.reason).toMatch(/neither UTF-8 nor GB18030/);
  });
});
