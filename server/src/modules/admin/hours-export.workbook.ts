// The xlsx layout of the manager's hours export: sheet and column names (Chinese, as managers
// read them), widths, number formats and the frozen bold header row.
import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';

export const XLSX_CONTENT_TYPE =
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** One employee's year. Hours have one decimal. */
export interface SummaryRow {
  employeeNo: string;
  name: string;
  /** Unit names from the head office down, joined with ` / `. */
  unitPath: string;
  /** Null when no unit on the employee's path sets a requirement for the year. */
  requiredHours: number | null;
  earnedHours: number;
  platformHours: number;
  legacyHours: number;
  /** max(0, required - earned); null without a requirement. */
  missingHours: number | null;
  learningHours: number;
  /** Null without a requirement. */
  met: boolean | null;
}

/** One official-hour record: a course completed on this platform or an imported legacy record. */
export interface RecordRow {
  employeeNo: string;
  name: string;
  unitPath: string;
  courseTitle: string;
  hours: number;
  /** Calendar date in Asia/Shanghai, `YYYY-MM-DD`. */
  completedOn: string;
  source: string;
}

interface ColumnSpec<Row> {
  header: string;
  key: keyof Row & string;
  width: number;
  numFmt?: string;
}

const HOURS_FORMAT = '0.0';
const DATE_FORMAT = 'yyyy-mm-dd';

const SUMMARY_COLUMNS: ColumnSpec<SummaryRow>[] = [
  { header: '工号', key: 'employeeNo', width: 14 },
  { header: '姓名', key: 'name', width: 12 },
  { header: '单位', key: 'unitPath', width: 44 },
  { header: '要求学时', key: 'requiredHours', width: 11, numFmt: HOURS_FORMAT },
  { header: '已获学时', key: 'earnedHours', width: 11, numFmt: HOURS_FORMAT },
  { header: '其中平台学时', key: 'platformHours', width: 14, numFmt: HOURS_FORMAT },
  { header: '其中历史导入学时', key: 'legacyHours', width: 18, numFmt: HOURS_FORMAT },
  { header: '还差学时', key: 'missingHours', width: 11, numFmt: HOURS_FORMAT },
  { header: '学习时长（小时）', key: 'learningHours', width: 18, numFmt: HOURS_FORMAT },
  { header: '是否达标', key: 'met', width: 14 },
];

const RECORD_COLUMNS: ColumnSpec<RecordRow>[] = [
  { header: '工号', key: 'employeeNo', width: 14 },
  { header: '姓名', key: 'name', width: 12 },
  { header: '单位', key: 'unitPath', width: 44 },
  { header: '课程名称', key: 'courseTitle', width: 40 },
  { header: '学时', key: 'hours', width: 8, numFmt: HOURS_FORMAT },
  { header: '完成日期', key: 'completedOn', width: 12, numFmt: DATE_FORMAT },
  { header: '来源', key: 'source', width: 14 },
];

const MET_TEXT = { met: '是', notMet: '否', noRequirement: '未设置要求' } as const;

/**
 * Writes the export with exceljs' streaming writer, so rows become compressed XML as they are
 * added instead of staying in memory as cell objects. The zip entries are written in sheet order:
 * rows of 学时记录 wait in memory as XML until 汇总 is finished by `finish()`.
 */
export class HoursWorkbook {
  private readonly chunks: Buffer[] = [];
  private readonly writer: ExcelJS.stream.xlsx.WorkbookWriter;
  private readonly summary: ExcelJS.Worksheet;
  private readonly records: ExcelJS.Worksheet;

  constructor() {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.chunks.push(chunk);
        callback();
      },
    });
    this.writer = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream: sink,
      useStyles: true,
      useSharedStrings: false,
    });
    this.summary = addSheet(this.writer, '汇总', SUMMARY_COLUMNS);
    this.records = addSheet(this.writer, '学时记录', RECORD_COLUMNS);
  }

  addSummaryRows(rows: readonly SummaryRow[]): void {
    for (const row of rows) {
      this.summary.addRow({ ...row, met: metText(row.met) });
    }
    this.summary.lastRow?.commit();
  }

  addRecordRows(rows: readonly RecordRow[]): void {
    for (const row of rows) {
      this.records.addRow({ ...row, completedOn: excelDate(row.completedOn) });
    }
    this.records.lastRow?.commit();
  }

  /** Finishes both sheets and returns the xlsx file. */
  async finish(): Promise<Buffer> {
    await this.writer.commit();
    return Buffer.concat(this.chunks);
  }
}

function addSheet<Row>(
  writer: ExcelJS.stream.xlsx.WorkbookWriter,
  name: string,
  columns: ColumnSpec<Row>[],
): ExcelJS.Worksheet {
  // The streaming writer writes sheet views when the sheet is created, so the frozen header row
  // must be passed here rather than set afterwards.
  const sheet = writer.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map((column) => ({
    key: column.key,
    width: column.width,
    ...(column.numFmt ? { style: { numFmt: column.numFmt } } : {}),
  }));
  const header = sheet.addRow(columns.map((column) => column.header));
  header.font = { bold: true };
  header.commit();
  return sheet;
}

function metText(met: boolean | null): string {
  if (met === null) return MET_TEXT.noRequirement;
  return met ? MET_TEXT.met : MET_TEXT.notMet;
}

/**
 * Turns a `YYYY-MM-DD` date into the Date that Excel shows as that day. exceljs converts a Date to
 * Excel's zone-less date serial in UTC, so the day is built at 00:00 UTC.
 */
function excelDate(date: string): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day));
}
