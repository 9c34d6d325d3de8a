// Import of training records from the system this platform replaces (CSV or xlsx, one completed
// course per row). Each row ends in exactly one outcome, and the report counts each outcome:
// - imported;
// - duplicate: already stored, or repeated in the file, with the same hours;
// - unmatched: the employee number is not in the roster;
// - conflicting: the name differs from the roster's, or a record with the same key has other hours;
// - invalid: a blank field, invalid hours or an invalid date.
//
// A file whose rows have problems still imports its valid rows. Rows are independent facts keyed
// by (sourceSystem, employeeNo, courseTitle, completedOn), so no row depends on another. An export
// from the old system usually has a few rows of departed employees or typos, and rejecting the whole
// file would hold back every good row until someone edits a large export by hand. Because the key is
// unique, the operator corrects the reported rows and imports the same file again: rows already in
// count as duplicates. Only file-level problems (unreadable file, missing column) import nothing.
import path from 'node:path';
import { EmployeeModel } from '@wxlearn/server/modules/org/employee.model.js';
import { LegacyRecordModel } from '@wxlearn/server/modules/hours/legacy-record.model.js';
import { trusted } from '@wxlearn/server/db/trusted.js';
import { isDuplicateKeyError } from '@wxlearn/server/db/errors.js';
import { findColumn, readTableRows, TableReadError, type TableRow } from './parse/table.js';
import type { ParseProblem } from './parse/types.js';

/** Accepted header names per field (trimmed, case-insensitive). */
export const LEGACY_HEADERS = {
  employeeNo: ['工号', '员工编号', '员工号', 'employeeNo', 'employee_no'],
  name: ['姓名', '员工姓名', 'name'],
  courseTitle: ['课程名称', '课程', 'courseTitle', 'course_title'],
  hours: ['学时', 'hours'],
  completedOn: ['完成日期', '完成时间', 'completedOn', 'completed_on'],
  sourceSystem: ['来源系统', 'sourceSystem', 'source_system'],
} as const;

type LegacyField = keyof typeof LEGACY_HEADERS;
const REQUIRED_FIELDS: readonly LegacyField[] = [
  'employeeNo',
  'name',
  'courseTitle',
  'hours',
  'completedOn',
];

export const MAX_RECORD_HOURS = 200;
/** Earliest completion date accepted; an earlier one is taken for a typing error. */
export const EARLIEST_COMPLETION_DATE = '1990-01-01';
const TIME_ZONE = 'Asia/Shanghai';
const LOOKUP_BATCH_SIZE = 1000;
const INSERT_BATCH_SIZE = 1000;

export type LegacyOutcome = 'duplicate' | 'unmatched' | 'conflicting' | 'invalid';

/** A row that was not imported, or a file-level problem (no `line`, outcome 'invalid'). */
export interface LegacyProblem extends ParseProblem {
  outcome: LegacyOutcome;
}

export interface LegacyImportCounts {
  imported: number;
  /** Rows already stored, or repeated in the file, with the same hours. */
  duplicates: number;
  unmatched: number;
  conflicting: number;
  invalid: number;
}

export interface LegacyImportReport extends LegacyImportCounts {
  file: string;
  /** False when a file-level problem (unreadable, missing column) rejected the whole file. */
  accepted: boolean;
  /** Data rows read; every one of them is in exactly one count. */
  rows: number;
  /**
   * Every row not imported, in file order, except duplicates of stored records, which are only
   * counted so that a re-import lists just the rows that need work.
   */
  problems: LegacyProblem[];
}

export interface LegacyImportOptions {
  /** Source system for rows whose 来源系统 cell is blank or for files without that column. */
  sourceSystem?: string;
  /** Today in Asia/Shanghai as `YYYY-MM-DD`; a later completion date is invalid. Default: now. */
  today?: string;
}

/** A valid row, before it is matched against the roster and the stored records. */
export interface LegacyRow {
  line: number;
  sourceSystem: string;
  employeeNo: string;
  name: string;
  courseTitle: string;
  completedOn: string;
  year: number;
  hours: number;
}

function cellValue(row: TableRow, column: number): string {
  // NFKC turns full-width digits, letters and punctuation typed in Chinese input mode into ASCII.
  return column < 0 ? '' : (row.cells[column] ?? '').normalize('NFKC').replace(/\s+/g, ' ').trim();
}

/** Formats an instant as its calendar date in Asia/Shanghai, `YYYY-MM-DD`. */
export function shanghaiDate(instant: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(instant);
}

function calendarDate(year: number, month: number, day: number): string | null {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    return null;
  }
  return date.toISOString().slice(0, 10);
}

// The text that readXlsxRows gives for a date cell: exceljs turns Excel's zone-less date into the
// same wall-clock time in UTC, so the date part is the date the sheet shows.
const XLSX_DATE_CELL = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const WALL_CLOCK_DATE =
  /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/;
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/;
const INSTANT_WITH_OFFSET =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses a completion date into a calendar date in Asia/Shanghai, or returns the reason it is
 * not a date. These forms are Shanghai wall-clock dates, optionally followed by a time:
 * `2023-05-12`, `2023/5/12`, `2023.5.12`, `2023年5月12日` and `20230512`. An xlsx date cell has no
 * time zone and keeps the date it shows. An ISO instant with an offset is converted to Shanghai,
 * so `2023-12-31T20:00:00Z` is 2024-01-01. Exception: CSV text of exactly the form readXlsxRows
 * gives date cells (`2023-12-31T20:00:00.000Z`) is read as the wall-clock date 2023-12-31.
 */
export function parseCompletedOn(text: string): { date: string } | { reason: string } {
  let parts = XLSX_DATE_CELL.exec(text) ?? WALL_CLOCK_DATE.exec(text) ?? COMPACT_DATE.exec(text);
  if (!parts && INSTANT_WITH_OFFSET.test(text)) {
    const instant = new Date(text);
    if (!Number.isNaN(instant.getTime())) {
      parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(shanghaiDate(instant));
    }
  }
  if (!parts) {
    return { reason: `invalid completion date (完成日期) '${text}': write it as YYYY-MM-DD` };
  }
  const date = calendarDate(Number(parts[1]), Number(parts[2]), Number(parts[3]));
  if (date === null) return { reason: `invalid completion date (完成日期) '${text}': no such day` };
  return { date };
}

/**
 * Parses an hour count: a decimal number greater than 0 and at most 200, rounded to one decimal
 * (a value that rounds to 0.0 is invalid). Units or words in the cell make it invalid.
 */
export function parseHours(text: string): { hours: number } | { reason: string } {
  if (!/^\d+(?:\.\d+)?$/.test(text)) {
    return { reason: `invalid hours (学时) '${text}': write a number such as 1.5` };
  }
  const hours = Math.round(Number(text) * 10) / 10;
  if (hours <= 0 || hours > MAX_RECORD_HOURS) {
    return {
      reason: `invalid hours (学时) '${text}': must be greater than 0 and at most ${MAX_RECORD_HOURS} after rounding to one decimal`,
    };
  }
  return { hours };
}

/** Compares names without whitespace, which rosters and exports insert inconsistently. */
function sameName(left: string, right: string): boolean {
  return left.replace(/\s/g, '') === right.replace(/\s/g, '');
}

function naturalKey(record: {
  sourceSystem: string;
  employeeNo: string;
  courseTitle: string;
  completedOn: string;
}): string {
  return JSON.stringify([
    record.sourceSystem,
    record.employeeNo,
    record.courseTitle,
    record.completedOn,
  ]);
}

interface ReadResult {
  rows: LegacyRow[];
  /** Data rows read, valid or not. */
  rowCount: number;
  problems: LegacyProblem[];
  accepted: boolean;
}

/**
 * Reads and validates the rows of a legacy file. Rows with a blank field, invalid hours or an
 * invalid or future date are problems with outcome 'invalid' and are left out.
 */
export async function readLegacyRecords(
  file: string,
  options: LegacyImportOptions = {},
): Promise<ReadResult> {
  const today = options.today ?? shanghaiDate(new Date());
  const fallbackSource = options.sourceSystem?.normalize('NFKC').trim() ?? '';
  const result: ReadResult = { rows: [], rowCount: 0, problems: [], accepted: true };
  const reject = (reason: string, line?: number): ReadResult => {
    const problem: LegacyProblem = { file, reason, severity: 'error', outcome: 'invalid' };
    if (line !== undefined) problem.line = line;
    return { rows: [], rowCount: 0, problems: [problem], accepted: false };
  };
  let columns: Record<LegacyField, number> | undefined;
  try {
    for await (const row of readTableRows(file)) {
      if (columns === undefined) {
        const header = row.cells;
        columns = {
          employeeNo: findColumn(header, LEGACY_HEADERS.employeeNo),
          name: findColumn(header, LEGACY_HEADERS.name),
          courseTitle: findColumn(header, LEGACY_HEADERS.courseTitle),
          hours: findColumn(header, LEGACY_HEADERS.hours),
          completedOn: findColumn(header, LEGACY_HEADERS.completedOn),
          sourceSystem: findColumn(header, LEGACY_HEADERS.sourceSystem),
        };
        const missing = REQUIRED_FIELDS.filter((field) => columns?.[field] === -1);
        if (columns.sourceSystem === -1 && fallbackSource === '') missing.push('sourceSystem');
        if (missing.length > 0) {
          const names = missing.map((field) => `${LEGACY_HEADERS[field][0]} (${field})`);
          const hint = missing.includes('sourceSystem') ? ', or pass --source NAME' : '';
          return reject(
            `missing column(s) ${names.join(', ')} in the header row${hint}; file not imported`,
            row.line,
          );
        }
        continue;
      }
      if (row.cells.every((cell) => cell.trim() === '')) continue;
      result.rowCount++;
      const invalid = (reason: string) =>
        result.problems.push({
          file,
          line: row.line,
          reason,
          severity: 'error',
          outcome: 'invalid',
        });

      const employeeNo = cellValue(row, columns.employeeNo);
      const name = cellValue(row, columns.name);
      const courseTitle = cellValue(row, columns.courseTitle);
      const sourceSystem = cellValue(row, columns.sourceSystem) || fallbackSource;
      const blank = [
        ['工号', employeeNo],
        ['姓名', name],
        ['课程名称', courseTitle],
        ['来源系统', sourceSystem],
      ].filter(([, value]) => value === '');
      if (blank.length > 0) {
        invalid(`blank ${blank.map(([header]) => header).join(', ')}`);
        continue;
      }
      const hours = parseHours(cellValue(row, columns.hours));
      if ('reason' in hours) {
        invalid(hours.reason);
        continue;
      }
      const completed = parseCompletedOn(cellValue(row, columns.completedOn));
      if ('reason' in completed) {
        invalid(completed.reason);
        continue;
      }
      if (completed.date < EARLIEST_COMPLETION_DATE || completed.date > today) {
        invalid(
          `completion date (完成日期) ${completed.date} is outside ${EARLIEST_COMPLETION_DATE} to today (${today})`,
        );
        continue;
      }
      result.rows.push({
        line: row.line,
        sourceSystem,
        employeeNo,
        name,
        courseTitle,
        completedOn: completed.date,
        year: Number(completed.date.slice(0, 4)),
        hours: hours.hours,
      });
    }
  } catch (error) {
    if (!(error instanceof TableReadError)) throw error;
    return reject(`${error.message}; file not imported`, error.line);
  }
  if (columns === undefined) return reject('file is empty: no header row; file not imported');
  return result;
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

async function loadRosterNames(employeeNos: readonly string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const chunk of chunks(employeeNos, LOOKUP_BATCH_SIZE)) {
    const employees = await EmployeeModel.find(
      { employeeNo: trusted({ $in: chunk }) },
      { employeeNo: 1, name: 1 },
    ).lean();
    for (const employee of employees) names.set(employee.employeeNo, employee.name);
  }
  return names;
}

/** Returns the hours of the stored records of these employees by natural key. */
async function loadStoredHours(employeeNos: readonly string[]): Promise<Map<string, number>> {
  const stored = new Map<string, number>();
  for (const chunk of chunks(employeeNos, LOOKUP_BATCH_SIZE)) {
    const records = await LegacyRecordModel.find(
      { employeeNo: trusted({ $in: chunk }) },
      { sourceSystem: 1, employeeNo: 1, courseTitle: 1, completedOn: 1, hours: 1 },
    ).lean();
    for (const record of records) stored.set(naturalKey(record), record.hours);
  }
  return stored;
}

/**
 * Inserts records, counting those that a concurrent import inserted first as duplicates. Returns
 * the lines of those duplicates.
 */
/** Inserts documents one at a time; returns the lines of rows that were already stored. */
async function insertOneByOne(
  rows: readonly LegacyRow[],
  documents: readonly Record<string, unknown>[],
): Promise<number[]> {
  const duplicateLines: number[] = [];
  for (const [index, document] of documents.entries()) {
    try {
      await LegacyRecordModel.create(document);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const row = rows[index];
      if (row) duplicateLines.push(row.line);
    }
  }
  return duplicateLines;
}

async function insertRecords(file: string, rows: readonly LegacyRow[]): Promise<number[]> {
  const duplicateLines: number[] = [];
  const fileName = path.basename(file);
  for (const chunk of chunks(rows, INSERT_BATCH_SIZE)) {
    const documents = chunk.map((row) => ({
      sourceSystem: row.sourceSystem,
      employeeNo: row.employeeNo,
      name: row.name,
      courseTitle: row.courseTitle,
      completedOn: row.completedOn,
      year: row.year,
      hours: row.hours,
      importedFrom: `${fileName}:${row.line}`,
    }));
    try {
      await LegacyRecordModel.insertMany(documents, { ordered: false, lean: true });
    } catch (error) {
      const writeErrors = (error as { writeErrors?: { index: number; code?: number }[] })
        .writeErrors;
      if (writeErrors?.every((writeError) => isDuplicateKeyError(writeError))) {
        for (const writeError of writeErrors) {
          const row = chunk[writeError.index];
          if (row) duplicateLines.push(row.line);
        }
        continue;
      }
      // NOTE: a concurrent import once made this bulk insert fail with something other than
      // duplicate-key errors on FerretDB; inserting the chunk row by row settles each row alone.
      duplicateLines.push(...(await insertOneByOne(chunk, documents)));
    }
  }
  return duplicateLines;
}

/**
 * Imports a legacy training-record file (CSV in UTF-8 or GB18030, or xlsx). Columns: 工号, 姓名,
 * 课程名称, 学时, 完成日期 and 来源系统 (or employeeNo, name, courseTitle, hours, completedOn,
 * sourceSystem). Valid rows of known employees are imported; every other row is in the report with
 * its line and reason. Importing the same file again imports nothing new.
 *
 * NOTE: the valid rows of the whole file are kept in memory until they are checked against the
 * roster and the stored records. That is untested beyond small files (xlsx files are loaded whole
 * by readXlsxRows anyway).
 */
export async function importLegacyRecordsFile(
  file: string,
  options: LegacyImportOptions = {},
): Promise<LegacyImportReport> {
  const read = await readLegacyRecords(file, options);
  const report: LegacyImportReport = {
    file,
    accepted: read.accepted,
    rows: read.rowCount,
    problems: [],
    imported: 0,
    duplicates: 0,
    unmatched: 0,
    conflicting: 0,
    invalid: read.problems.filter((problem) => problem.line !== undefined).length,
  };
  if (!read.accepted) {
    report.problems = read.problems;
    return report;
  }

  const employeeNos = [...new Set(read.rows.map((row) => row.employeeNo))];
  const rosterNames = await loadRosterNames(employeeNos);
  const storedHours = await loadStoredHours(employeeNos);
  const firstInFile = new Map<string, LegacyRow>();
  const toInsert: LegacyRow[] = [];
  const rowProblems: LegacyProblem[] = [...read.problems];
  const problem = (row: LegacyRow, outcome: LegacyOutcome, reason: string) => {
    rowProblems.push({
      file,
      line: row.line,
      reason,
      severity: outcome === 'duplicate' ? 'warning' : 'error',
      outcome,
    });
  };

  for (const row of read.rows) {
    const rosterName = rosterNames.get(row.employeeNo);
    if (rosterName === undefined) {
      report.unmatched++;
      problem(row, 'unmatched', `employee number ${row.employeeNo} is not in the roster`);
      continue;
    }
    if (!sameName(rosterName, row.name)) {
      report.conflicting++;
      problem(
        row,
        'conflicting',
        `name '${row.name}' differs from the roster's '${rosterName}' for employee ${row.employeeNo}`,
      );
      continue;
    }
    const key = naturalKey(row);
    const earlier = firstInFile.get(key);
    if (earlier) {
      if (earlier.hours === row.hours) {
        report.duplicates++;
        problem(row, 'duplicate', `repeats line ${earlier.line}; row skipped`);
      } else {
        report.conflicting++;
        problem(
          row,
          'conflicting',
          `same employee, course, date and source as line ${earlier.line} but ${row.hours} hours instead of ${earlier.hours}; row skipped`,
        );
      }
      continue;
    }
    firstInFile.set(key, row);
    const stored = storedHours.get(key);
    if (stored === undefined) {
      toInsert.push(row);
    } else if (stored === row.hours) {
      report.duplicates++;
    } else {
      report.conflicting++;
      problem(
        row,
        'conflicting',
        `already imported with ${stored} hours, the row has ${row.hours}; stored record kept`,
      );
    }
  }

  const raced = await insertRecords(file, toInsert);
  report.imported = toInsert.length - raced.length;
  report.duplicates += raced.length;
  rowProblems.sort((left, right) => (left.line ?? 0) - (right.line ?? 0));
  report.problems = rowProblems;
  return report;
}
