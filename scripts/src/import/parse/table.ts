// Rows of a spreadsheet-like file (CSV or xlsx) with the line or row number where each
// row starts, for parsers that report problems by line.
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { parse as parseCsvStream } from 'csv-parse';
import { parse as parseCsvSync } from 'csv-parse/sync';
import ExcelJS from 'exceljs';

export interface TableRow {
  /** CSV: the 1-based line where the row starts. xlsx: the 1-based row number. */
  line: number;
  cells: string[];
}

export type TableFormat = 'csv' | 'xlsx';

/** A file that cannot be read as a table; `line` is set when the error has a position. */
export class TableReadError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'TableReadError';
  }
}

/** Picks the table format from the file extension; null for anything else (e.g. `.xls`). */
export function tableFormatOf(file: string): TableFormat | null {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv' || extension === '.txt') return 'csv';
  if (extension === '.xlsx') return 'xlsx';
  return null;
}

const CSV_OPTIONS = {
  bom: true,
  info: true,
  relax_column_count: true,
  skip_empty_lines: true,
} as const;

interface CsvInfoRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Returns the line where a record starts. csv-parse reports the line where it ends
 * (`info.lines`), so the line breaks inside its quoted cells are subtracted. That only
 * holds for LF line breaks: csv-parse 7 counts a CRLF inside a quoted cell as two lines, so
 * callers normalise CRLF and CR to LF first.
 */
function startLine(entry: CsvInfoRecord): number {
  let breaks = 0;
  for (const cell of entry.record) {
    for (let i = 0; i < cell.length; i++) {
      if (cell.charCodeAt(i) === 10) breaks++;
    }
  }
  return entry.info.lines - breaks;
}

function csvError(error: unknown): TableReadError {
  const lines = (error as { lines?: unknown }).lines;
  return new TableReadError(
    `invalid CSV: ${(error as Error).message}`,
    typeof lines === 'number' ? lines : undefined,
  );
}

/** Splits CSV text into rows; line breaks inside cells come out as LF. */
export function csvTextRows(text: string): TableRow[] {
  let entries: CsvInfoRecord[];
  try {
    entries = parseCsvSync(text.replace(/\r\n?/g, '\n'), CSV_OPTIONS) as unknown as CsvInfoRecord[];
  } catch (error) {
    throw csvError(error);
  }
  return entries.map((entry) => ({ line: startLine(entry), cells: entry.record }));
}

/**
 * Chooses the text encoding of a CSV file from its first 64 KiB. It is UTF-8 when those bytes
 * are valid UTF-8 (a multi-byte character cut at the end of the sample is allowed). Otherwise
 * it is GB18030, the encoding that Chinese Excel uses when it saves "CSV".
 */
async function sniffEncoding(file: string): Promise<'utf-8' | 'gb18030'> {
  const handle = await open(file, 'r');
  try {
    const sample = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(sample, 0, sample.length, 0);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, bytesRead), {
        stream: true,
      });
      return 'utf-8';
    } catch {
      return 'gb18030';
    }
  } finally {
    await handle.close();
  }
}

/** Decodes a byte stream and turns CRLF and CR into LF, keeping a CR split across chunks. */
async function* decodedText(file: string, encoding: 'utf-8' | 'gb18030'): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding, { fatal: true });
  let pendingCarriageReturn = false;
  const normalise = (chunk: string): string => {
    let text = pendingCarriageReturn ? `\r${chunk}` : chunk;
    pendingCarriageReturn = text.endsWith('\r');
    if (pendingCarriageReturn) text = text.slice(0, -1);
    return text.replace(/\r\n?/g, '\n');
  };
  const decode = (chunk?: Buffer): string => {
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch (error) {
      throw new TableReadError(
        `file is neither UTF-8 nor GB18030 text: ${(error as Error).message}`,
      );
    }
  };
  for await (const chunk of createReadStream(file)) {
    yield normalise(decode(chunk as Buffer));
  }
  const tail = decode() + (pendingCarriageReturn ? '\r' : '');
  yield tail.replace(/\r\n?/g, '\n');
}

/** Streams the rows of a CSV file (UTF-8 with or without BOM, or GB18030). */
export async function* readCsvRows(file: string): AsyncGenerator<TableRow> {
  const encoding = await sniffEncoding(file);
  const parser = parseCsvStream(CSV_OPTIONS);
  // Errors of either side reach the loop below through the parser, which pipeline destroys.
  pipeline(Readable.from(decodedText(file, encoding)), parser, () => undefined);
  try {
    for await (const entry of parser as AsyncIterable<CsvInfoRecord>) {
      yield { line: startLine(entry), cells: entry.record };
    }
  } catch (error) {
    throw error instanceof TableReadError ? error : csvError(error);
  }
}

/** Returns a cell's displayed text for the value types exceljs produces. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const cell = value as Record<string, unknown>;
    if (Array.isArray(cell.richText)) {
      return cell.richText.map((run: { text?: string }) => run.text ?? '').join('');
    }
    if ('result' in cell) return cellText(cell.result);
    if (typeof cell.text === 'string') return cell.text;
    if ('error' in cell) return '';
  }
  return String(value);
}

/**
 * Yields the non-empty rows of the first worksheet of an xlsx workbook.
 *
 * NOTE: this loads the whole workbook (measured: 600,000 rows x 5 cells took 44 s and 1.6 GB
 * on the 2-core machine). The streaming WorkbookReader of exceljs 4.4.0 is not used
 * because its lib/utils/parse-sax.js decodes every zip chunk to a string on its own, so a
 * multi-byte character split across two chunks turns into U+FFFD. Read that way, 7 cells of
 * the 753-row Gaokao question sheet came out garbled. Large rosters are faster as CSV, which is streamed.
 */
export async function* readXlsxRows(file: string): AsyncGenerator<TableRow> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.readFile(file);
  } catch (error) {
    throw new TableReadError(`invalid xlsx workbook: ${(error as Error).message}`);
  }
  const worksheet = workbook.worksheets[0];
  if (worksheet === undefined) return;
  for (let number = 1; number <= worksheet.rowCount; number++) {
    const row = worksheet.findRow(number);
    if (row === undefined) continue;
    const values = row.values as unknown[];
    const cells: string[] = [];
    for (let column = 1; column < values.length; column++) {
      cells.push(cellText(values[column]));
    }
    if (cells.some((cell) => cell.trim() !== '')) {
      yield { line: number, cells };
    }
  }
}

/** Streams the rows of a CSV or xlsx file, chosen by extension. */
export function readTableRows(file: string): AsyncGenerator<TableRow> {
  const format = tableFormatOf(file);
  if (format === 'csv') return readCsvRows(file);
  if (format === 'xlsx') return readXlsxRows(file);
  throw new TableReadError(
    `unsupported file type '${path.extname(file) || '(none)'}': use .csv (UTF-8 or GB18030) or .xlsx`,
  );
}

/** Returns the index of the first header that matches one of the names (trimmed, case-insensitive). */
export function findColumn(header: readonly string[], names: readonly string[]): number {
  const accepted = new Set(names.map((name) => name.toLowerCase()));
  return header.findIndex((cell) => accepted.has(cell.trim().toLowerCase()));
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Writes rows to a `.csv` (UTF-8 with a byte-order mark so that Excel shows Chinese text,
 * CRLF line ends) or `.xlsx` file (first worksheet, every cell a string so that leading
 * zeros survive). Streams, so millions of rows use little memory. Returns the number of
 * data rows written.
 */
export async function writeTable(
  file: string,
  header: readonly string[],
  rows: Iterable<readonly string[]>,
): Promise<number> {
  const format = tableFormatOf(file);
  let written = 0;
  if (format === 'csv') {
    const output = createWriteStream(file, { encoding: 'utf8' });
    const finished = new Promise<void>((resolve, reject) => {
      output.once('finish', resolve);
      output.once('error', reject);
    });
    const write = async (line: string): Promise<void> => {
      if (!output.write(line)) {
        await new Promise<void>((resolve) => output.once('drain', resolve));
      }
    };
    await write(`\uFEFF${header.map(csvField).join(',')}\r\n`);
    // Batching lines keeps the number of write calls small for large rosters.
    let batch: string[] = [];
    for (const row of rows) {
      batch.push(row.map(csvField).join(','));
      written++;
      if (batch.length === 1000) {
        await write(`${batch.join('\r\n')}\r\n`);
        batch = [];
      }
    }
    if (batch.length > 0) await write(`${batch.join('\r\n')}\r\n`);
    output.end();
    await finished;
    return written;
  }
  if (format === 'xlsx') {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      filename: file,
      useSharedStrings: false,
      useStyles: false,
    });
    const sheet = workbook.addWorksheet('Sheet1');
    sheet.addRow([...header]).commit();
    for (const row of rows) {
      sheet.addRow([...row]).commit();
      written++;
    }
    sheet.commit();
    await workbook.commit();
    return written;
  }
  throw new Error(`cannot write '${file}': unsupported file type, use .csv or .xlsx`);
}
