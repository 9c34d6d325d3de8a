import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCompletedOn, parseHours, readLegacyRecords } from './legacy-records.js';

describe('parseCompletedOn', () => {
  it.each([
    ['2024-03-15', '2024-03-15'],
    ['2024/3/5', '2024-03-05'],
    ['2024.03.05', '2024-03-05'],
    ['2024年3月5日', '2024-03-05'],
    ['20240305', '2024-03-05'],
    ['2024-12-31 23:30', '2024-12-31'],
    ['2024-12-31 23:30:59', '2024-12-31'],
    // The text readXlsxRows gives for a date cell showing 2024-12-31 20:00.
    ['2024-12-31T20:00:00.000Z', '2024-12-31'],
    // An instant with an offset is converted to Asia/Shanghai (UTC+8).
    ['2024-12-31T20:00:00Z', '2025-01-01'],
    ['2024-12-31T20:00:00+08:00', '2024-12-31'],
    ['2024-02-29', '2024-02-29'],
  ])('reads %s as %s', (text, date) => {
    expect(parseCompletedOn(text)).toEqual({ date });
  });

  it.each([
    '2024-02-30',
    '2023-02-29',
    '2024-13-01',
    '2024-00-10',
    '15/03/2024',
    '昨天',
    '',
    '45000',
  ])('rejects %j', (text) => {
    expect(parseCompletedOn(text)).toHaveProperty('reason');
  });
});

describe('parseHours', () => {
  it.each([
    ['2', 2],
    ['2.5', 2.5],
    ['1.04', 1],
    ['1.05', 1.1],
    ['0.05', 0.1],
    ['200', 200],
    ['200.04', 200],
  ])('reads %s as %d', (text, hours) => {
    expect(parseHours(text)).toEqual({ hours });
  });

  it.each(['0', '0.04', '-1', '200.1', '250', 'abc', '2学时', '', '1e2'])('rejects %j', (text) => {
    expect(parseHours(text)).toHaveProperty('reason');
  });
});

describe('readLegacyRecords', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'legacy-read-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function csv(name: string, text: string): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  }

  it('rejects a file without a required column', async () => {
    const file = await csv(
      'no-hours.csv',
      '工号,姓名,课程名称,完成日期,来源系统\nE1,张三,课,2024-01-01,旧\n',
    );
    const result = await readLegacyRecords(file);

    expect(result.accepted).toBe(false);
    expect(result.rows).toEqual([]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.line).toBe(1);
    expect(result.problems[0]?.reason).toContain('学时 (hours)');
  });

  it('needs a source column or a default source', async () => {
    const text = '工号,姓名,课程名称,学时,完成日期\nE1,张三,课,1,2024-01-01\n';
    const file = await csv('no-source.csv', text);

    const without = await readLegacyRecords(file);
    expect(without.accepted).toBe(false);
    expect(without.problems[0]?.reason).toContain('--source');

    const withDefault = await readLegacyRecords(file, { sourceSystem: 'HR' });
    expect(withDefault.accepted).toBe(true);
    expect(withDefault.rows[0]?.sourceSystem).toBe('HR');
  });

  it('normalises cells and reports invalid rows by line', async () => {
    const file = await csv(
      'rows.csv',
      [
        'employeeNo,name,courseTitle,hours,completedOn,sourceSystem',
        'Ｅ１, 张三 ,"安全  生产\n培训",２.５,2024-03-15,旧平台',
        'E2,李四,课程,1,2024-02-30,旧平台',
        'E3,王五,,1,2024-02-01,旧平台',
        'E4,赵六,课程,1,2025-07-01,旧平台',
        'E5,钱七,课程,1,1989-12-31,',
      ].join('\r\n'),
    );
    const result = await readLegacyRecords(file, { today: '2025-06-30', sourceSystem: 'HR' });

    expect(result.accepted).toBe(true);
    expect(result.rowCount).toBe(5);
    expect(result.rows).toEqual([
      {
        line: 2,
        sourceSystem: '旧平台',
        employeeNo: 'E1',
        name: '张三',
        courseTitle: '安全 生产 培训',
        completedOn: '2024-03-15',
        year: 2024,
        hours: 2.5,
      },
    ]);
    expect(result.problems.map((problem) => problem.line)).toEqual([4, 5, 6, 7]);
    expect(result.problems.every((problem) => problem.outcome === 'invalid')).toBe(true);
    expect(result.problems[0]?.reason).toContain('no such day');
    expect(result.problems[1]?.reason).toContain('blank 课程名称');
    expect(result.problems[2]?.reason).toContain('outside');
    expect(result.problems[3]?.reason).toContain('outside');
  });
});
