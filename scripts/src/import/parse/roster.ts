// Employee rosters as customers deliver them: CSV or xlsx with one employee per row.
import { findColumn, readTableRows, TableReadError, writeTable, type TableRow } from './table.js';
import type { EmployeeRecord, ParseProblem, ParseResult } from './types.js';

/** Accepted header names per field; the first name of each list is what `writeRoster` writes. */
export const ROSTER_HEADERS = {
  employeeNo: ['工号', '员工编号', '员工号', 'employeeNo', 'employee_no'],
  name: ['姓名', '员工姓名', 'name'],
  orgUnitCode: ['单位编码', '机构编码', '组织编码', '部门编码', 'orgUnitCode', 'org_unit_code'],
  post: ['岗位', '职位', '岗位名称', 'post'],
  mobile: ['手机', '手机号', '手机号码', 'mobile'],
} as const;

type RosterField = keyof typeof ROSTER_HEADERS;
const REQUIRED_FIELDS: readonly RosterField[] = ['employeeNo', 'name', 'orgUnitCode', 'post'];

export interface RosterReadOptions {
  /** When given, a row whose 单位编码 is not in the set is a problem and is left out. */
  orgUnitCodes?: ReadonlySet<string>;
}

function value(row: TableRow, column: number): string {
  // NFKC turns full-width digits and letters typed in Chinese input mode into ASCII.
  return column < 0 ? '' : (row.cells[column] ?? '').normalize('NFKC').trim();
}

/**
 * Reads a roster from `.csv` (UTF-8 or GB18030) or `.xlsx`. The header row must name the
 * columns 工号, 姓名, 单位编码 and 岗位 (or employeeNo, name, orgUnitCode, post), and 手机/mobile
 * is optional. A missing column rejects the file. These rows are problems at their line and
 * are left out: a blank 工号, 姓名 or 单位编码, an unknown 单位编码 (when `orgUnitCodes` is
 * given), and a 工号 already seen on an earlier row, whose first row is kept. An empty 岗位 is
 * accepted. Employee numbers are kept as text, so leading zeros stay.
 */
export async function readRoster(
  file: string,
  options: RosterReadOptions = {},
): Promise<ParseResult<EmployeeRecord>> {
  const result: ParseResult<EmployeeRecord> = { records: [], problems: [], unsupported: {} };
  const firstLineByNumber = new Map<string, number>();
  let columns: Record<RosterField, number> | undefined;
  try {
    for await (const row of readTableRows(file)) {
      if (columns === undefined) {
        const header = row.cells;
        columns = {
          employeeNo: findColumn(header, ROSTER_HEADERS.employeeNo),
          name: findColumn(header, ROSTER_HEADERS.name),
          orgUnitCode: findColumn(header, ROSTER_HEADERS.orgUnitCode),
          post: findColumn(header, ROSTER_HEADERS.post),
          mobile: findColumn(header, ROSTER_HEADERS.mobile),
        };
        const missing = REQUIRED_FIELDS.filter((field) => columns?.[field] === -1);
        if (missing.length > 0) {
          const names = missing.map((field) => `${ROSTER_HEADERS[field][0]} (${field})`);
          result.problems.push({
            file,
            line: row.line,
            reason: `missing column(s) ${names.join(', ')} in the header row; file not imported`,
            severity: 'error',
          });
          return result;
        }
        continue;
      }
      if (row.cells.every((cell) => cell.trim() === '')) continue;
      const problemAt = (reason: string): ParseProblem => ({
        file,
        line: row.line,
        reason,
        severity: 'error',
      });

      const employee: EmployeeRecord = {
        employeeNo: value(row, columns.employeeNo),
        name: value(row, columns.name),
        orgUnitCode: value(row, columns.orgUnitCode),
        post: value(row, columns.post),
      };
      const mobile = value(row, columns.mobile);
      if (mobile !== '') employee.mobile = mobile;

      if (employee.employeeNo === '') {
        result.problems.push(problemAt('blank employee number (工号)'));
        continue;
      }
      if (employee.name === '') {
        result.problems.push(problemAt(`blank name (姓名) for employee ${employee.employeeNo}`));
        continue;
      }
      if (employee.orgUnitCode === '') {
        result.problems.push(
          problemAt(`blank org unit code (单位编码) for employee ${employee.employeeNo}`),
        );
        continue;
      }
      if (options.orgUnitCodes && !options.orgUnitCodes.has(employee.orgUnitCode)) {
        result.problems.push(
          problemAt(
            `unknown org unit code '${employee.orgUnitCode}' for employee ${employee.employeeNo}`,
          ),
        );
        continue;
      }
      const firstLine = firstLineByNumber.get(employee.employeeNo);
      if (firstLine !== undefined) {
        result.problems.push(
          problemAt(
            `duplicate employee number ${employee.employeeNo} (first on line ${firstLine}); row skipped`,
          ),
        );
        continue;
      }
      firstLineByNumber.set(employee.employeeNo, row.line);
      result.records.push(employee);
    }
  } catch (error) {
    const problem: ParseProblem = {
      file,
      reason: `${(error as Error).message}; file not imported`,
      severity: 'error',
    };
    if (error instanceof TableReadError && error.line !== undefined) problem.line = error.line;
    return { records: [], problems: [problem], unsupported: {} };
  }
  if (columns === undefined) {
    result.problems.push({ file, reason: 'file is empty: no header row', severity: 'error' });
  }
  return result;
}

/**
 * Writes employees to `.csv` or `.xlsx` with the Chinese headers 工号, 姓名, 单位编码, 岗位, 手机,
 * the layout `readRoster` reads. Accepts any iterable, e.g. `generateEmployees(...)`, and
 * streams it. Returns the number of employees written.
 */
export function writeRoster(file: string, employees: Iterable<EmployeeRecord>): Promise<number> {
  const header = [
    ROSTER_HEADERS.employeeNo[0],
    ROSTER_HEADERS.name[0],
    ROSTER_HEADERS.orgUnitCode[0],
    ROSTER_HEADERS.post[0],
    ROSTER_HEADERS.mobile[0],
  ];
  function* rows(): Generator<string[]> {
    for (const employee of employees) {
      yield [
        employee.employeeNo,
        employee.name,
        employee.orgUnitCode,
        employee.post,
        employee.mobile ?? '',
      ];
    }
  }
  return writeTable(file, header, rows());
}
