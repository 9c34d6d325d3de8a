import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import {
  importLegacyRecordsFile,
  type LegacyImportReport,
} from '@wxlearn/scripts/import/legacy-records.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyHoursFor } from '../src/modules/hours/legacy-hours.js';
import { LegacyRecordModel } from '../src/modules/hours/legacy-record.model.js';
import { createEmployee, createOrgPath } from './builders.js';
import { startTestServer, type TestServer } from './harness.js';

const TODAY = '2025-06-30';
const OLD_SYSTEM = '旧学习平台';

// One row per case; the line numbers below are these rows' lines in the CSV (header is line 1).
const CSV_ROWS = [
  ['工号', '姓名', '课程名称', '学时', '完成日期', '来源系统'],
  ['E001', '张三', '安全生产培训', '2.5', '2024-03-15', OLD_SYSTEM], // 2 imported
  ['E001', '张三', '安全生产培训', '2.5', '2024-03-15', OLD_SYSTEM], // 3 repeats line 2
  ['E002', '李四', '廉洁从业教育', '1.04', '2024/12/31 23:30', OLD_SYSTEM], // 4 imported, 1.0 h
  ['E999', '赵六', '廉洁从业教育', '1', '2024-05-01', OLD_SYSTEM], // 5 unknown employee
  ['E003', '王小五', '廉洁从业教育', '1', '2024-05-01', OLD_SYSTEM], // 6 name differs
  ['E003', '王五', '急救知识', '3', '2024-02-30', OLD_SYSTEM], // 7 no such day
  ['E003', '王五', '急救知识', 'abc', '2024-02-01', OLD_SYSTEM], // 8 hours not a number
  ['E003', '王五', '急救知识', '250', '2024-02-01', OLD_SYSTEM], // 9 hours over 200
  ['E002', '李 四', '保密教育', '4', '2023年12月31日', OLD_SYSTEM], // 10 imported, year 2023
  ['E002', '李四', '合规培训', '2', '2024-12-31T20:00:00Z', OLD_SYSTEM], // 11 imported, 2025-01-01
  ['E001', '张三', '安全生产培训', '3', '2024-03-15', OLD_SYSTEM], // 12 same key as line 2, other hours
  ['E004', '孙八', '数据安全', '0.1', '2024-06-01', ''], // 13 imported, source from --source
  ['E004', '孙八', '网络安全', '0.2', '2024-06-02', ''], // 14 imported, source from --source
  ['E004', '孙八', '网络安全', '1', '2026-01-01', OLD_SYSTEM], // 15 future date
];

let server: TestServer;
let dir: string;
let csvFile: string;
let xlsxFile: string;

function problemAt(report: LegacyImportReport, line: number) {
  return report.problems.find((problem) => problem.line === line);
}

async function writeXlsx(file: string): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('记录');
  sheet.addRow(['employeeNo', 'name', 'courseTitle', 'hours', 'completedOn', 'sourceSystem']);
  // Row 2: a date cell; row 3: a date-time cell late on 31 December, still 2024 on the sheet.
  sheet.addRow(['E001', '张三', '消防安全', 1.5, new Date(Date.UTC(2024, 5, 1)), 'LMS2']);
  sheet.addRow(['E003', '王五', '急救知识', 2, new Date(Date.UTC(2024, 11, 31, 20)), 'LMS2']);
  // Row 4: the record of CSV line 2 again, from the same source: a duplicate of a stored record.
  sheet.addRow(['E001', '张三', '安全生产培训', 2.5, '2024-03-15', OLD_SYSTEM]);
  // Row 5: the same course and date from another source is another record.
  sheet.addRow(['E001', '张三', '安全生产培训', 2.5, '2024-03-15', 'LMS2']);
  // Row 6: a date typed as text that is not a date.
  sheet.addRow(['E003', '王五', '消防安全', 1, '三月', 'LMS2']);
  await workbook.xlsx.writeFile(file);
}

beforeAll(async () => {
  server = await startTestServer();
  const unit = await createOrgPath('L');
  for (const [employeeNo, name] of [
    ['E001', '张三'],
    ['E002', '李四'],
    ['E003', '王五'],
    ['E004', '孙八'],
  ] as const) {
    await createEmployee(employeeNo, name, unit);
  }
  dir = await mkdtemp(path.join(tmpdir(), 'legacy-import-'));
  csvFile = path.join(dir, 'legacy.csv');
  await writeFile(csvFile, `${CSV_ROWS.map((row) => row.join(',')).join('\n')}\n`);
  xlsxFile = path.join(dir, 'legacy.xlsx');
  await writeXlsx(xlsxFile);
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// The tests share one database and run in order: each builds on the records imported before it.
describe('importLegacyRecordsFile', () => {
  it('imports the valid rows of a CSV and reports the rest', async () => {
    const report = await importLegacyRecordsFile(csvFile, { sourceSystem: 'HR表格', today: TODAY });

    expect(report.accepted).toBe(true);
    expect(report.rows).toBe(14);
    expect(report.imported).toBe(6);
    expect(report.duplicates).toBe(1);
    expect(report.unmatched).toBe(1);
    expect(report.conflicting).toBe(2);
    expect(report.invalid).toBe(4);
    expect(report.problems.map((problem) => [problem.line, problem.outcome])).toEqual([
      [3, 'duplicate'],
      [5, 'unmatched'],
      [6, 'conflicting'],
      [7, 'invalid'],
      [8, 'invalid'],
      [9, 'invalid'],
      [12, 'conflicting'],
      [15, 'invalid'],
    ]);
    expect(problemAt(report, 3)?.reason).toContain('line 2');
    expect(problemAt(report, 5)?.reason).toContain('E999');
    expect(problemAt(report, 6)?.reason).toContain('王五');
    expect(problemAt(report, 12)?.reason).toContain('line 2');
    expect(report.problems.every((problem) => problem.file === csvFile)).toBe(true);
    expect(await LegacyRecordModel.countDocuments()).toBe(6);
  });

  it('stores normalised records', async () => {
    const record = await LegacyRecordModel.findOne({ courseTitle: '廉洁从业教育' }).lean();
    expect(record?.employeeNo).toBe('E002');
    expect(record?.hours).toBe(1);
    expect(record?.completedOn).toBe('2024-12-31');
    expect(record?.year).toBe(2024);
    expect(record?.importedFrom).toBe('legacy.csv:4');

    const converted = await LegacyRecordModel.findOne({ courseTitle: '合规培训' }).lean();
    expect(converted?.completedOn).toBe('2025-01-01');
    expect(converted?.year).toBe(2025);

    const defaulted = await LegacyRecordModel.findOne({ courseTitle: '数据安全' }).lean();
    expect(defaulted?.sourceSystem).toBe('HR表格');
  });

  it('imports nothing new on re-import', async () => {
    const report = await importLegacyRecordsFile(csvFile, { sourceSystem: 'HR表格', today: TODAY });

    expect(report.imported).toBe(0);
    expect(report.duplicates).toBe(7);
    expect(report.unmatched).toBe(1);
    expect(report.conflicting).toBe(2);
    expect(report.invalid).toBe(4);
    expect(problemAt(report, 2)).toBeUndefined();
    expect(problemAt(report, 3)?.outcome).toBe('duplicate');
    expect(await LegacyRecordModel.countDocuments()).toBe(6);
  });

  it('imports an xlsx with English headers', async () => {
    const report = await importLegacyRecordsFile(xlsxFile, { today: TODAY });

    expect(report.accepted).toBe(true);
    expect(report.rows).toBe(5);
    expect(report.imported).toBe(3);
    expect(report.duplicates).toBe(1);
    expect(report.invalid).toBe(1);
    expect(report.problems.map((problem) => [problem.line, problem.outcome])).toEqual([
      [6, 'invalid'],
    ]);
    expect(await LegacyRecordModel.countDocuments()).toBe(9);

    const lateDecember = await LegacyRecordModel.findOne({ employeeNo: 'E003' }).lean();
    expect(lateDecember?.completedOn).toBe('2024-12-31');
    expect(lateDecember?.year).toBe(2024);

    const again = await importLegacyRecordsFile(xlsxFile, { today: TODAY });
    expect(again.imported).toBe(0);
    expect(again.duplicates).toBe(4);
    expect(await LegacyRecordModel.countDocuments()).toBe(9);
  });

  it('rejects a stored key changing hours', async () => {
    const file = path.join(dir, 'changed.csv');
    await writeFile(
      file,
      `${CSV_ROWS[0]?.join(',')}\nE002,李四,保密教育,5,2023-12-31,${OLD_SYSTEM}\n`,
    );
    const report = await importLegacyRecordsFile(file, { today: TODAY });

    expect(report.conflicting).toBe(1);
    expect(problemAt(report, 2)?.reason).toContain('already imported with 4 hours');
    expect(await legacyHoursFor('E002', 2023)).toBe(4);
  });

  it('imports each record once from concurrent runs', async () => {
    const file = path.join(dir, 'concurrent.csv');
    const lines = Array.from(
      { length: 40 },
      (_, index) => `E004,孙八,课程${index},1,2024-07-01,并发`,
    );
    await writeFile(file, `${CSV_ROWS[0]?.join(',')}\n${lines.join('\n')}\n`);
    const [first, second] = await Promise.all([
      importLegacyRecordsFile(file, { today: TODAY }),
      importLegacyRecordsFile(file, { today: TODAY }),
    ]);

    expect(first.imported + second.imported).toBe(40);
    expect(first.duplicates + second.duplicates).toBe(40);
    expect(await LegacyRecordModel.countDocuments({ sourceSystem: '并发' })).toBe(40);
  });

  it('rejects a file without a required column', async () => {
    const file = path.join(dir, 'missing.csv');
    await writeFile(file, '工号,姓名,课程名称,学时\nE001,张三,课,1\n');
    const report = await importLegacyRecordsFile(file, { today: TODAY });

    expect(report.accepted).toBe(false);
    expect(report.imported).toBe(0);
    expect(report.problems[0]?.reason).toContain('完成日期');
  });

  it('has a unique index on the natural key', async () => {
    const record = {
      sourceSystem: OLD_SYSTEM,
      employeeNo: 'E001',
      name: '张三',
      courseTitle: '安全生产培训',
      completedOn: '2024-03-15',
      year: 2024,
      hours: 2.5,
      importedFrom: 'test',
    };
    await expect(LegacyRecordModel.create(record)).rejects.toMatchObject({ code: 11000 });
  });
});

describe('legacyHoursFor', () => {
  it('sums an employee year', async () => {
    // E001 in 2024: 2.5 (CSV line 2) + 1.5 (xlsx row 2) + 2.5 (xlsx row 5, source LMS2).
    expect(await legacyHoursFor('E001', 2024)).toBe(6.5);
    expect(await legacyHoursFor('E002', 2024)).toBe(1);
    expect(await legacyHoursFor('E002', 2023)).toBe(4);
    expect(await legacyHoursFor('E002', 2025)).toBe(2);
    expect(await legacyHoursFor('E003', 2024)).toBe(2);
  });

  it('rounds the sum to one decimal', async () => {
    // 0.1 + 0.2 (CSV lines 13 and 14) + 40 × 1 (concurrent file).
    expect(await legacyHoursFor('E004', 2024)).toBe(40.3);
  });

  it('returns 0 without records', async () => {
    expect(await legacyHoursFor('E001', 2019)).toBe(0);
    expect(await legacyHoursFor('E999', 2024)).toBe(0);
  });
});
