// Import of an FAQ knowledge base for the assistant, from either of two layouts:
// - the common Chinese FAQ workbook (BEFAQ's template, .xlsx): one sheet per category with the
//   columns 答案 | 原始问题 | 同义问题1 … 同义问题N (a 数据填写人姓名 column and any other column
//   are ignored), optionally 编号 for the entry code, and a 同义词 sheet whose rows are a term
//   followed by its synonyms;
// - this project's own JSON: `{ "synonyms": [{ term, synonyms }], "entries": [{ code, category,
//   standardQuestion, paraphrases, answer, enabled? }] }`, or JSON Lines with one entry per line
//   (also BEFAQ's derived `{ domain, faq_id, answer, standard_question, similar_questions }`).
//
// Entries are written by code and synonym groups by term, so importing a file again changes
// nothing. A workbook row without 编号 gets the code `<sheet>-<hash>`, a hash of the sheet name
// and the standard question: editing a standard question in such a workbook therefore adds a new
// entry and leaves the old one in place. Each entry is independent, so a file whose rows have
// problems still imports its valid rows and reports the others with sheet and row (or line).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { z } from 'zod';
import {
  saveFaqEntry,
  saveFaqSynonymGroup,
  type FaqEntryInput,
  type FaqImportOutcome,
} from '@wxlearn/server/modules/assistant/faq-import.service.js';
import type { SynonymGroup } from '@wxlearn/server/modules/assistant/faq-text.js';
import { cellText, findColumn } from './parse/table.js';
import type { ParseProblem } from './parse/types.js';

/** Maximum question length in characters, the same limit as the assistant's. */
export const MAX_FAQ_QUESTION_CHARS = 200;
export const MAX_FAQ_ANSWER_CHARS = 2000;
export const MAX_FAQ_PARAPHRASES = 50;

/** Entry codes: 1 to 64 letters, digits, `_`, `.` or `-`, such as `hours-001`. */
const CODE_PATTERN = /^[\p{L}\p{N}_.-]{1,64}$/u;

/** Name of the workbook sheet that lists synonyms. */
export const SYNONYM_SHEET = '同义词';
/** Sheets of the BEFAQ template that this import does not use. */
const IGNORED_SHEETS: Record<string, string> = {
  词典: 'a custom segmentation dictionary is not supported',
  停用词: 'the assistant uses its own stop words',
};

const WORKBOOK_HEADERS = {
  answer: ['答案', 'answer'],
  standardQuestion: ['原始问题', '标准问题', 'standardQuestion'],
  code: ['编号', 'code'],
} as const;
const PARAPHRASE_HEADER = /^(同义问题|相似问题)\s*\d*$/;

/** Content of an FAQ file as read, before anything is written. */
export interface FaqFileContent {
  entries: FaqEntryInput[];
  synonyms: SynonymGroup[];
  /** Errors (items not imported) and warnings (ignored sheets, dropped repeats). */
  problems: ParseProblem[];
}

export interface FaqImportCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface FaqImportReport {
  file: string;
  entries: FaqImportCounts;
  synonyms: FaqImportCounts;
  problems: ParseProblem[];
}

/** Row or line of each entry read from a workbook or JSON Lines file, for repeat reports. */
const sourceLines = new WeakMap<FaqEntryInput, number>();

/** Reads an FAQ file chosen by extension: `.xlsx`, `.json` or `.jsonl`. */
export async function readFaqFile(file: string): Promise<FaqFileContent> {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.xlsx') return readFaqWorkbook(file);
  if (extension === '.json') return readFaqJson(file);
  if (extension === '.jsonl') return readFaqJsonLines(file);
  return {
    entries: [],
    synonyms: [],
    problems: [
      {
        file: path.basename(file),
        reason: `unsupported file type '${extension || '(none)'}': use .xlsx, .json or .jsonl`,
      },
    ],
  };
}

/**
 * Collapses whitespace and trims a one-line field. Full-width punctuation is kept, because the
 * learner reads these texts; retrieval normalises its own copy.
 */
function clean(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Trims an answer and each of its lines, keeping its line breaks. */
function cleanAnswer(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[^\S\n]+/g, ' ').trim())
    .join('\n')
    .trim();
}

/** Keeps the first copy of each paraphrase and drops copies of the standard question. */
function distinctParaphrases(standardQuestion: string, paraphrases: readonly string[]): string[] {
  const seen = new Set([standardQuestion]);
  const kept: string[] = [];
  for (const paraphrase of paraphrases.map(clean)) {
    if (paraphrase === '' || seen.has(paraphrase)) continue;
    seen.add(paraphrase);
    kept.push(paraphrase);
  }
  return kept;
}

/** Returns the code of a workbook row without 编号: stable for one sheet and standard question. */
export function workbookEntryCode(sheet: string, standardQuestion: string): string {
  const hash = createHash('sha256').update(`${sheet}\n${standardQuestion}`).digest('hex');
  const prefix = [...sheet.replace(/[^\p{L}\p{N}_.-]+/gu, '_')].slice(0, 50).join('');
  return `${prefix}-${hash.slice(0, 10)}`;
}

/** Checks the lengths of an entry's fields; returns the reason it is invalid, or null. */
function invalidEntryReason(entry: FaqEntryInput): string | null {
  if (!CODE_PATTERN.test(entry.code)) {
    return `invalid code '${entry.code}': use 1 to 64 letters, digits, _, . or -`;
  }
  const tooLong = [entry.standardQuestion, ...entry.paraphrases].find(
    (question) => [...question].length > MAX_FAQ_QUESTION_CHARS,
  );
  if (tooLong !== undefined) {
    return `question longer than ${MAX_FAQ_QUESTION_CHARS} characters: '${tooLong.slice(0, 20)}…'`;
  }
  if ([...entry.answer].length > MAX_FAQ_ANSWER_CHARS) {
    return `answer longer than ${MAX_FAQ_ANSWER_CHARS} characters`;
  }
  if (entry.paraphrases.length > MAX_FAQ_PARAPHRASES) {
    return `more than ${MAX_FAQ_PARAPHRASES} paraphrases`;
  }
  return null;
}

function rowCells(row: ExcelJS.Row): string[] {
  const values = row.values as unknown[];
  const cells: string[] = [];
  for (let column = 1; column < values.length; column++) cells.push(faqCellText(values[column]));
  return cells;
}

/**
 * Returns a cell's text as a learner should read it in an answer: a hyperlink keeps its address
 * after the link text, and a date shows as the sheet shows it (`2025-01-01`, with the time when it
 * has one) instead of an ISO instant. Other cells read as in every import (cellText).
 */
export function faqCellText(value: unknown): string {
  if (value instanceof Date) {
    // exceljs reads Excel's zone-less dates as the same wall-clock time in UTC.
    const [date, time] = value.toISOString().slice(0, 16).split('T') as [string, string];
    return time === '00:00' ? date : `${date} ${time}`;
  }
  if (typeof value === 'object' && value !== null && 'hyperlink' in value) {
    const { hyperlink } = value as { hyperlink: unknown };
    const text = cellText(value);
    if (typeof hyperlink === 'string' && hyperlink !== '' && !text.includes(hyperlink)) {
      return text === '' ? hyperlink : `${text}（${hyperlink}）`;
    }
    return text;
  }
  return cellText(value);
}

function readSynonymSheet(sheet: ExcelJS.Worksheet, file: string, content: FaqFileContent): void {
  // Row 1 is the header (原义词 | 同义词 …).
  for (let number = 2; number <= sheet.rowCount; number++) {
    const row = sheet.findRow(number);
    if (!row) continue;
    const [term = '', ...rest] = rowCells(row).map(clean);
    const synonyms = [...new Set(rest.filter((word) => word !== '' && word !== term))];
    if (term === '' && synonyms.length === 0) continue;
    if (term === '' || synonyms.length === 0) {
      content.problems.push({
        file,
        line: number,
        reason: `sheet ${sheet.name}, row ${number}: a synonym row needs a term and at least one synonym`,
      });
      continue;
    }
    content.synonyms.push({ term, synonyms });
  }
}

function readEntrySheet(sheet: ExcelJS.Worksheet, file: string, content: FaqFileContent): void {
  const headerRow = sheet.findRow(1);
  const header = headerRow ? rowCells(headerRow).map(clean) : [];
  const answerColumn = findColumn(header, WORKBOOK_HEADERS.answer);
  const questionColumn = findColumn(header, WORKBOOK_HEADERS.standardQuestion);
  const codeColumn = findColumn(header, WORKBOOK_HEADERS.code);
  const paraphraseColumns = header.flatMap((cell, column) =>
    PARAPHRASE_HEADER.test(cell) ? [column] : [],
  );
  if (answerColumn < 0 || questionColumn < 0) {
    content.problems.push({
      file,
      line: 1,
      severity: 'warning',
      reason: `sheet ${sheet.name} skipped: its first row has no 答案 and 原始问题 columns`,
    });
    return;
  }

  for (let number = 2; number <= sheet.rowCount; number++) {
    const row = sheet.findRow(number);
    if (!row) continue;
    const cells = rowCells(row);
    const answer = cleanAnswer(cells[answerColumn] ?? '');
    const standardQuestion = clean(cells[questionColumn] ?? '');
    const paraphrases = paraphraseColumns.map((column) => clean(cells[column] ?? ''));
    // A row with nothing in the FAQ columns is an empty row, even when column A has a name.
    if (answer === '' && standardQuestion === '' && paraphrases.every((cell) => cell === '')) {
      continue;
    }
    const where = `sheet ${sheet.name}, row ${number}`;
    if (answer === '' || standardQuestion === '') {
      const missing = answer === '' ? '答案 (answer)' : '原始问题 (standard question)';
      content.problems.push({ file, line: number, reason: `${where}: ${missing} is blank` });
      continue;
    }
    const code =
      (codeColumn >= 0 ? clean(cells[codeColumn] ?? '') : '') ||
      workbookEntryCode(sheet.name, standardQuestion);
    const entry: FaqEntryInput = {
      code,
      category: sheet.name,
      standardQuestion,
      paraphrases: distinctParaphrases(standardQuestion, paraphrases),
      answer,
    };
    const invalid = invalidEntryReason(entry);
    if (invalid) {
      content.problems.push({ file, line: number, reason: `${where}: ${invalid}` });
      continue;
    }
    sourceLines.set(entry, number);
    content.entries.push(entry);
  }
}

/** Reads a workbook in the BEFAQ layout: category sheets and a 同义词 sheet. */
export async function readFaqWorkbook(file: string): Promise<FaqFileContent> {
  const name = path.basename(file);
  const content: FaqFileContent = { entries: [], synonyms: [], problems: [] };
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.readFile(file);
  } catch (error) {
    content.problems.push({
      file: name,
      reason: `invalid xlsx workbook: ${(error as Error).message}`,
    });
    return content;
  }
  for (const sheet of workbook.worksheets) {
    const ignoredBecause = IGNORED_SHEETS[sheet.name];
    if (ignoredBecause) {
      content.problems.push({
        file: name,
        severity: 'warning',
        reason: `sheet ${sheet.name} ignored: ${ignoredBecause}`,
      });
    } else if (sheet.name === SYNONYM_SHEET) {
      readSynonymSheet(sheet, name, content);
    } else {
      readEntrySheet(sheet, name, content);
    }
  }
  return withoutRepeatedKeys(content, name);
}

const text = (max: number) => z.string().transform(clean).pipe(z.string().min(1).max(max));
const answerText = z
  .string()
  .transform(cleanAnswer)
  .pipe(z.string().min(1).max(MAX_FAQ_ANSWER_CHARS));

const entrySchema = z.strictObject({
  code: z.string().trim().regex(CODE_PATTERN, 'must be 1 to 64 letters, digits, _, . or -'),
  category: text(50),
  standardQuestion: text(MAX_FAQ_QUESTION_CHARS),
  paraphrases: z.array(z.string()).max(MAX_FAQ_PARAPHRASES).default([]),
  answer: answerText,
  enabled: z.boolean().optional(),
});

/** BEFAQ's derived JSON Lines layout (faq.jsonl next to the sample workbook). */
const befaqLineSchema = z
  .object({
    domain: text(50),
    faq_id: z.string().trim().min(1).max(64),
    answer: answerText,
    standard_question: text(MAX_FAQ_QUESTION_CHARS),
    similar_questions: z.array(z.string()).max(MAX_FAQ_PARAPHRASES).default([]),
  })
  .transform((line) => ({
    code: line.faq_id,
    category: line.domain,
    standardQuestion: line.standard_question,
    paraphrases: line.similar_questions,
    answer: line.answer,
  }));

const synonymSchema = z.strictObject({
  term: text(50),
  synonyms: z.array(text(50)).min(1),
});

const fileSchema = z.strictObject({
  synonyms: z.array(z.unknown()).default([]),
  entries: z.array(z.unknown()),
});

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Validates one entry; pushes a problem and returns null when it is invalid. */
function parseEntry(
  value: unknown,
  file: string,
  where: { line?: number; label: string },
  problems: ParseProblem[],
): FaqEntryInput | null {
  const befaqLayout = typeof value === 'object' && value !== null && 'faq_id' in value;
  const parsed = befaqLayout ? befaqLineSchema.safeParse(value) : entrySchema.safeParse(value);
  if (!parsed.success) {
    problems.push({
      file,
      line: where.line,
      reason: `${where.label}: ${describeIssues(parsed.error)}`,
    });
    return null;
  }
  const entry: FaqEntryInput = {
    ...parsed.data,
    paraphrases: distinctParaphrases(parsed.data.standardQuestion, parsed.data.paraphrases),
  };
  const invalid = invalidEntryReason(entry);
  if (invalid) {
    problems.push({ file, line: where.line, reason: `${where.label}: ${invalid}` });
    return null;
  }
  if (where.line !== undefined) sourceLines.set(entry, where.line);
  return entry;
}

/** Reads this project's JSON knowledge base, or a JSON array of entries. */
export async function readFaqJson(file: string): Promise<FaqFileContent> {
  const name = path.basename(file);
  const content: FaqFileContent = { entries: [], synonyms: [], problems: [] };
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    content.problems.push({ file: name, reason: `invalid JSON: ${(error as Error).message}` });
    return content;
  }
  const shape = fileSchema.safeParse(Array.isArray(data) ? { entries: data } : data);
  if (!shape.success) {
    content.problems.push({
      file: name,
      reason: `invalid FAQ file: ${describeIssues(shape.error)}`,
    });
    return content;
  }
  shape.data.synonyms.forEach((value, position) => {
    const group = synonymSchema.safeParse(value);
    if (group.success) content.synonyms.push(group.data);
    else {
      content.problems.push({
        file: name,
        reason: `synonyms[${position}]: ${describeIssues(group.error)}`,
      });
    }
  });
  shape.data.entries.forEach((value, position) => {
    const entry = parseEntry(value, name, { label: `entries[${position}]` }, content.problems);
    if (entry) content.entries.push(entry);
  });
  return withoutRepeatedKeys(content, name);
}

/** Reads JSON Lines with one entry per line; blank lines are skipped. */
export async function readFaqJsonLines(file: string): Promise<FaqFileContent> {
  const name = path.basename(file);
  const content: FaqFileContent = { entries: [], synonyms: [], problems: [] };
  const lines = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, position) => {
    if (line.trim() === '') return;
    const number = position + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      content.problems.push({
        file: name,
        line: number,
        reason: `line ${number}: invalid JSON: ${(error as Error).message}`,
      });
      return;
    }
    const entry = parseEntry(
      value,
      name,
      { line: number, label: `line ${number}` },
      content.problems,
    );
    if (entry) content.entries.push(entry);
  });
  return withoutRepeatedKeys(content, name);
}

/** Keeps the first entry of each code and the first group of each term, reporting the others. */
function withoutRepeatedKeys(content: FaqFileContent, file: string): FaqFileContent {
  const codes = new Set<string>();
  const entries = content.entries.filter((entry) => {
    if (!codes.has(entry.code)) {
      codes.add(entry.code);
      return true;
    }
    // In a workbook without 编号 the code comes from the sheet and the standard question.
    content.problems.push({
      file,
      line: sourceLines.get(entry),
      reason: `category ${entry.category}: entry ${entry.code} ('${entry.standardQuestion}') repeats the code of an earlier entry: only the first is imported`,
    });
    return false;
  });
  const terms = new Set<string>();
  const synonyms = content.synonyms.filter((group) => {
    if (!terms.has(group.term)) {
      terms.add(group.term);
      return true;
    }
    content.problems.push({
      file,
      reason: `synonym term ${group.term} is listed twice: only the first row is imported`,
    });
    return false;
  });
  return { entries, synonyms, problems: content.problems };
}

/** Writes the entries and synonym groups of a file that was read; see the file header for keys. */
export async function importFaqContent(
  content: FaqFileContent,
  file: string,
): Promise<FaqImportReport> {
  const count = () => ({ created: 0, updated: 0, unchanged: 0 });
  const report: FaqImportReport = {
    file: path.basename(file),
    entries: count(),
    synonyms: count(),
    problems: content.problems,
  };
  const tally = (counts: FaqImportCounts, outcome: FaqImportOutcome) => {
    counts[outcome] += 1;
  };
  for (const group of content.synonyms) tally(report.synonyms, await saveFaqSynonymGroup(group));
  for (const entry of content.entries) tally(report.entries, await saveFaqEntry(entry));
  return report;
}

/** Reads and imports an FAQ file; see readFaqFile for the layouts. */
export async function importFaqFile(file: string): Promise<FaqImportReport> {
  return importFaqContent(await readFaqFile(file), file);
}
