// Question banks in the common Chinese spreadsheet layout: 题型, 题干, 选项A–选项H, 答案, 解析
// (optional 分值 and 分类), one question per row, as CSV or xlsx.
import { readFile } from 'node:fs/promises';
import {
  recordFromDraft,
  trueFalseOptions,
  type DraftContext,
  type QuestionDraft,
  type QuestionParseOptions,
} from './question-draft.js';
import {
  csvTextRows,
  findColumn,
  readXlsxRows,
  TableReadError,
  tableFormatOf,
  type TableRow,
} from './table.js';
import { bankNameFromFile, countUnsupported, decodeText } from './text.js';
import type { ParseProblem, ParseResult, QuestionRecord, QuestionType } from './types.js';

const STEM_HEADERS = ['题干', '题目', '题目内容', '试题内容', 'stem', 'question'];
const TYPE_HEADERS = ['题型', '题目类型', '试题类型', '类型', 'type'];
const ANSWER_HEADERS = ['答案', '正确答案', '标准答案', 'answer'];
const EXPLANATION_HEADERS = ['解析', '答案解析', '试题解析', 'explanation', 'analysis'];
const SCORE_HEADERS = ['分值', '分数', 'score'];
const CATEGORY_HEADERS = ['分类', '题库分类', '知识点', '章节', 'category'];

const TYPE_BY_LABEL: Record<string, QuestionType> = {
  单选题: 'single',
  单选: 'single',
  单项选择题: 'single',
  单项选择: 'single',
  single: 'single',
  多选题: 'multiple',
  多选: 'multiple',
  多项选择题: 'multiple',
  多项选择: 'multiple',
  不定项选择题: 'multiple',
  不定项选择: 'multiple',
  multiple: 'multiple',
  判断题: 'truefalse',
  判断: 'truefalse',
  是非题: 'truefalse',
  对错题: 'truefalse',
  truefalse: 'truefalse',
};

const TRUE_WORDS = new Set(['对', '正确', '√', '✓', '✔', 'T', 'TRUE', '是', 'Y', 'YES']);
const FALSE_WORDS = new Set(['错', '错误', '×', '✗', '✘', 'X', 'F', 'FALSE', '否', 'N', 'NO']);

interface Columns {
  stem: number;
  answer: number;
  type: number;
  explanation: number;
  score: number;
  category: number;
  /** Column index of option A, B, …; -1 where the sheet has no such column. */
  options: number[];
}

function optionColumns(header: readonly string[]): number[] {
  const columns: number[] = [];
  header.forEach((cell, index) => {
    const match = /^(?:选项|option)?\s*([A-H])$/i.exec(cell.trim().normalize('NFKC'));
    if (match?.[1]) {
      const position = match[1].toUpperCase().charCodeAt(0) - 65;
      if (columns[position] === undefined) columns[position] = index;
    }
  });
  return Array.from({ length: columns.length }, (_, position) => columns[position] ?? -1);
}

function mapColumns(header: readonly string[]): Columns {
  return {
    stem: findColumn(header, STEM_HEADERS),
    answer: findColumn(header, ANSWER_HEADERS),
    type: findColumn(header, TYPE_HEADERS),
    explanation: findColumn(header, EXPLANATION_HEADERS),
    score: findColumn(header, SCORE_HEADERS),
    category: findColumn(header, CATEGORY_HEADERS),
    options: optionColumns(header),
  };
}

function cell(row: TableRow, column: number): string {
  return column < 0 ? '' : (row.cells[column] ?? '').trim();
}

type RowResult = { draft: QuestionDraft } | { error: string } | { unsupported: string };

/** Splits an answer such as "AC", "A,C", "A、C" or "a c" into distinct letters. */
function answerLetters(raw: string): string[] | null {
  const compact = raw
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s,，、;；/|和及]+/g, '');
  if (!/^[A-Z]+$/.test(compact)) return null;
  return [...new Set(compact)];
}

function parseTrueFalseAnswer(raw: string, optionTexts: readonly string[]): 0 | 1 | null {
  const word = raw.normalize('NFKC').trim().toUpperCase();
  if (TRUE_WORDS.has(word)) return 0;
  if (FALSE_WORDS.has(word)) return 1;
  // Some templates list 正确/错误 as options A and B and answer with the letter.
  const position = ['A', 'B'].indexOf(word);
  const optionText = (optionTexts[position] ?? '').normalize('NFKC').toUpperCase();
  if (TRUE_WORDS.has(optionText)) return 0;
  if (FALSE_WORDS.has(optionText)) return 1;
  return null;
}

function inferType(answer: string): QuestionType {
  if (parseTrueFalseAnswer(answer, []) !== null) return 'truefalse';
  const letters = answerLetters(answer);
  return letters !== null && letters.length > 1 ? 'multiple' : 'single';
}

function draftFromRow(row: TableRow, columns: Columns): RowResult {
  const typeLabel = cell(row, columns.type);
  const stem = cell(row, columns.stem);
  const answer = cell(row, columns.answer);
  let type: QuestionType | undefined;
  if (typeLabel === '') {
    type = inferType(answer);
  } else {
    type = TYPE_BY_LABEL[typeLabel.normalize('NFKC').toLowerCase()] ?? TYPE_BY_LABEL[typeLabel];
    if (type === undefined) return { unsupported: typeLabel };
  }
  if (stem === '') return { error: 'missing stem (题干 is empty)' };
  if (answer === '') return { error: 'missing answer (答案 is empty)' };
  const optionTexts = columns.options.map((column) => cell(row, column));

  if (type === 'truefalse') {
    const correct = parseTrueFalseAnswer(answer, optionTexts);
    if (correct === null) {
      return { error: `true/false answer '${answer}' is not one of 对/错, 正确/错误, √/×, T/F` };
    }
    return {
      draft: {
        type,
        stem: { text: stem, format: 'plain' },
        options: trueFalseOptions(),
        answerIndexes: [correct],
      },
    };
  }

  let lastFilled = -1;
  optionTexts.forEach((text, index) => {
    if (text !== '') lastFilled = index;
  });
  const letters = answerLetters(answer);
  if (letters === null) {
    return { error: `answer '${answer}' is not a list of option letters such as 'A' or 'AC'` };
  }
  for (const letter of letters) {
    const index = letter.charCodeAt(0) - 65;
    if (index >= columns.options.length || columns.options[index] === -1) {
      return {
        error: `answer '${answer}' refers to option ${letter}, but the sheet has no 选项${letter} column`,
      };
    }
    if (optionTexts[index] === '') {
      return { error: `answer '${answer}' refers to option ${letter}, but 选项${letter} is empty` };
    }
  }
  const gap = optionTexts.findIndex((text, index) => text === '' && index < lastFilled);
  if (gap !== -1) {
    const letter = String.fromCharCode(65 + gap);
    return { error: `选项${letter} is empty but a later option is filled` };
  }
  if (lastFilled < 1) {
    return { error: `choice question needs at least 2 options, found ${lastFilled + 1}` };
  }
  if (type === 'single' && letters.length > 1) {
    return {
      error: `single-choice (${typeLabel || '单选题'}) answer must be one letter, found '${answer}'`,
    };
  }
  const answerIndexes = letters.map((letter) => letter.charCodeAt(0) - 65).sort((a, b) => a - b);
  return {
    draft: {
      type,
      stem: { text: stem, format: 'plain' },
      options: optionTexts
        .slice(0, lastFilled + 1)
        .map((text) => ({ text: { text, format: 'plain' } })),
      answerIndexes,
    },
  };
}

/**
 * Parses question rows; the first row is the header. Missing 题干 or 答案 columns reject the
 * file. A row with an empty stem, an unknown answer letter or an answer pointing at an empty
 * option is a problem at its line and is left out. 题型 values that are not single-choice,
 * multiple-choice or true/false (e.g. 填空题) are counted in `unsupported`; an empty 题型 is
 * inferred from the answer.
 */
export function parseQuestionRows(
  rows: readonly TableRow[],
  file: string,
  options: QuestionParseOptions = {},
): ParseResult<QuestionRecord> {
  const bank = options.bank ?? bankNameFromFile(file);
  const result: ParseResult<QuestionRecord> = { records: [], problems: [], unsupported: {} };
  const [header, ...body] = rows;
  if (header === undefined) {
    result.problems.push({
      file,
      reason: 'file has no header row and no questions',
      severity: 'error',
    });
    return result;
  }
  const columns = mapColumns(header.cells);
  const missing = [
    columns.stem === -1 ? '题干' : undefined,
    columns.answer === -1 ? '答案' : undefined,
  ].filter((name) => name !== undefined);
  if (missing.length > 0) {
    result.problems.push({
      file,
      line: header.line,
      reason: `missing column(s) ${missing.join(', ')} in the header row; file not imported`,
      severity: 'error',
    });
    return result;
  }

  const seen = new Map<string, number>();
  for (const row of body) {
    if (row.cells.every((value) => value.trim() === '')) continue;
    const problemAt = (reason: string, severity: 'error' | 'warning' = 'error'): ParseProblem => ({
      file,
      line: row.line,
      reason,
      severity,
    });
    const drafted = draftFromRow(row, columns);
    if ('unsupported' in drafted) {
      countUnsupported(result.unsupported, drafted.unsupported);
      continue;
    }
    if ('error' in drafted) {
      result.problems.push(problemAt(drafted.error));
      continue;
    }
    const explanation = cell(row, columns.explanation);
    if (explanation !== '') drafted.draft.explanation = { text: explanation, format: 'plain' };
    const context: DraftContext = { bank, source: `${file}:${row.line}` };
    const category = cell(row, columns.category);
    if (category !== '') context.category = category;
    const score = Number(cell(row, columns.score) || Number.NaN);
    if (Number.isFinite(score) && score > 0) context.score = score;

    const record = recordFromDraft(drafted.draft, context);
    const firstLine = seen.get(record.externalId);
    if (firstLine !== undefined) {
      result.problems.push(
        problemAt(
          `duplicate of the question on line ${firstLine} (same stem, options and answer); row skipped`,
          'warning',
        ),
      );
      continue;
    }
    seen.set(record.externalId, row.line);
    result.records.push(record);
  }
  return result;
}

function tableProblem(file: string, error: unknown): ParseProblem {
  const problem: ParseProblem = {
    file,
    reason: `${(error as Error).message}; file not imported`,
    severity: 'error',
  };
  if (error instanceof TableReadError && error.line !== undefined) problem.line = error.line;
  return problem;
}

/** Parses CSV text in the template layout; `file` names the source in problems. */
export function parseQuestionCsv(
  text: string,
  file: string,
  options: QuestionParseOptions = {},
): ParseResult<QuestionRecord> {
  let rows: TableRow[];
  try {
    rows = csvTextRows(text);
  } catch (error) {
    return { records: [], problems: [tableProblem(file, error)], unsupported: {} };
  }
  return parseQuestionRows(rows, file, options);
}

/**
 * Reads a question sheet, `.csv` (UTF-8, or GB18030 as saved by Chinese Excel) or `.xlsx`
 * (first worksheet), and parses it.
 */
export async function parseQuestionSheet(
  file: string,
  options: QuestionParseOptions = {},
): Promise<ParseResult<QuestionRecord>> {
  const format = tableFormatOf(file);
  try {
    if (format === 'csv') {
      const decoded = decodeText(await readFile(file));
      if (decoded === null) {
        throw new TableReadError('file is neither UTF-8 nor GB18030 text');
      }
      return parseQuestionCsv(decoded.text, file, options);
    }
    if (format === 'xlsx') {
      const rows: TableRow[] = [];
      for await (const row of readXlsxRows(file)) rows.push(row);
      return parseQuestionRows(rows, file, options);
    }
    throw new TableReadError(`unsupported file type for a question sheet: use .csv or .xlsx`);
  } catch (error) {
    return { records: [], problems: [tableProblem(file, error)], unsupported: {} };
  }
}
