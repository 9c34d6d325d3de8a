import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuestionCsv, parseQuestionSheet } from './question-csv.js';
import { csvTextRows, writeTable } from './table.js';
import { FIXTURES, SHARED_DATA } from './test-paths.js';
import type { ParseResult, QuestionRecord } from './types.js';

const GAOKAO = path.join(SHARED_DATA, 'gaokao-bench-questions-zh/gaokao_mcq_template_style.csv');

let workDirectory: string;
beforeAll(async () => {
  workDirectory = await mkdtemp(path.join(tmpdir(), 'question-sheet-'));
});
afterAll(async () => {
  await rm(workDirectory, { recursive: true, force: true });
});

function withoutSource(records: readonly QuestionRecord[]): Omit<QuestionRecord, 'source'>[] {
  return records.map(({ source: _source, ...rest }) => rest);
}

describe('parseQuestionSheet on the Gaokao bank', () => {
  let result: ParseResult<QuestionRecord>;
  let lines: string[];

  beforeAll(async () => {
    result = await parseQuestionSheet(GAOKAO);
    lines = (await readFile(GAOKAO, 'utf8')).split('\n');
  });

  it('parses all 753 rows without problems', () => {
    expect(result.records).toHaveLength(753);
    expect(result.problems).toEqual([]);
    expect(result.unsupported).toEqual({});
  });

  it('maps 单选题 rows to single-choice questions', () => {
    expect(result.records.every((record) => record.type === 'single')).toBe(true);
    expect(result.records.every((record) => record.options.length === 4)).toBe(true);
    expect(result.records.every((record) => record.answer.length === 1)).toBe(true);
  });

  it('points each record at the line where its row starts', () => {
    for (const record of result.records) {
      const line = Number(record.source.slice(record.source.lastIndexOf(':') + 1));
      expect(lines[line - 1]?.startsWith('单选题,'), record.source).toBe(true);
    }
  });

  it('keeps the multi-line stem, options, answer and explanation', () => {
    const second = result.records[1];
    expect(second?.source).toBe(`${GAOKAO}:12`);
    expect(second?.stem.startsWith('2．（ 3分）在河北曹妃甸的矿石码头')).toBe(true);
    expect(second?.stem.split('\n')).toHaveLength(8);
    expect(second?.options.map((option) => option.text)).toEqual(['①②', '②③', '②④', '③④']);
    expect(second?.answer).toEqual(['B']);
    expect(second?.explanation?.endsWith('故答案选择 B')).toBe(true);
    expect(second?.score).toBe(4);
    expect(second?.bank).toBe('gaokao_mcq_template_style');
  });

  it('gives unique, repeatable externalIds', async () => {
    const again = await parseQuestionSheet(GAOKAO);
    const ids = result.records.map((record) => record.externalId);
    expect(new Set(ids).size).toBe(753);
    expect(again.records.map((record) => record.externalId)).toEqual(ids);
  });

  it('reads the same records from an xlsx copy', async () => {
    const rows = csvTextRows(await readFile(GAOKAO, 'utf8'));
    const [header, ...body] = rows.map((row) => row.cells);
    const xlsx = path.join(workDirectory, 'gaokao_mcq_template_style.xlsx');
    await writeTable(xlsx, header ?? [], body);

    const fromXlsx = await parseQuestionSheet(xlsx);
    expect(fromXlsx.problems).toEqual([]);
    expect(withoutSource(fromXlsx.records)).toEqual(withoutSource(result.records));
    expect(fromXlsx.records[1]?.source).toBe(`${xlsx}:3`);
  });
});

describe('parseQuestionSheet on hand-made sheets', () => {
  it('maps every supported 题型 and answer form', async () => {
    const file = path.join(FIXTURES, 'questions-mixed.csv');
    const result = await parseQuestionSheet(file);
    expect(
      result.records.map((record) => [record.source, record.type, record.answer.join('')]),
    ).toEqual([
      [`${file}:2`, 'single', 'B'],
      [`${file}:3`, 'multiple', 'ACD'],
      [`${file}:5`, 'multiple', 'AB'],
      [`${file}:6`, 'truefalse', 'F'],
      [`${file}:7`, 'truefalse', 'T'],
      [`${file}:9`, 'single', 'A'],
    ]);
  });

  it('keeps category, score and explanation', async () => {
    const result = await parseQuestionSheet(path.join(FIXTURES, 'questions-mixed.csv'));
    const first = result.records[0];
    expect(first?.category).toBe('专卖法规');
    expect(first?.score).toBe(2);
    expect(first?.explanation).toBe('依据《烟草专卖法》。');
    expect(result.records[1]?.stem).toBe('下列属于客户经理日常工作的有：\n（多选）');
  });

  it('uses the fixed true/false options', async () => {
    const result = await parseQuestionSheet(path.join(FIXTURES, 'questions-mixed.csv'));
    const trueFalse = result.records.find((record) => record.type === 'truefalse');
    expect(trueFalse?.options).toEqual([
      { key: 'T', text: '正确' },
      { key: 'F', text: '错误' },
    ]);
  });

  it('counts 填空题 as unsupported and warns about the repeated row', async () => {
    const file = path.join(FIXTURES, 'questions-mixed.csv');
    const result = await parseQuestionSheet(file);
    expect(result.unsupported).toEqual({ 填空题: 1 });
    expect(result.problems).toEqual([
      {
        file,
        line: 10,
        reason: 'duplicate of the question on line 2 (same stem, options and answer); row skipped',
        severity: 'warning',
      },
    ]);
  });

  it('reads a GB18030 CSV saved by Chinese Excel', async () => {
    const result = await parseQuestionSheet(path.join(FIXTURES, 'questions-gb18030.csv'));
    expect(result.problems).toEqual([]);
    expect(result.records.map((record) => record.stem)).toEqual([
      '用 GB18030 编码保存的题目：哪一项是省会？',
      '这一行是判断题。',
    ]);
  });

  it('accepts options A and B labelled 正确 and 错误 for 判断题', () => {
    const csv =
      '题型,题干,选项A,选项B,答案\n判断题,地球是圆的。,正确,错误,A\n判断题,太阳从西边升起。,对,错,B\n';
    const result = parseQuestionCsv(csv, 'letters.csv');
    expect(result.problems).toEqual([]);
    expect(result.records.map((record) => record.answer)).toEqual([['T'], ['F']]);
  });
});

describe('parseQuestionSheet on broken sheets', () => {
  it('reports each broken row with its line and returns no records', async () => {
    const file = path.join(FIXTURES, 'questions-broken.csv');
    const result = await parseQuestionSheet(file);
    expect(result.records).toEqual([]);
    expect(result.problems).toEqual([
      { file, line: 2, reason: 'missing stem (题干 is empty)', severity: 'error' },
      {
        file,
        line: 3,
        reason: "answer 'AC' refers to option C, but 选项C is empty",
        severity: 'error',
      },
      {
        file,
        line: 4,
        reason: "answer 'E' refers to option E, but the sheet has no 选项E column",
        severity: 'error',
      },
    ]);
  });

  it('rejects a CSV with an unclosed quote', async () => {
    const file = path.join(FIXTURES, 'questions-unclosed-quote.csv');
    const result = await parseQuestionSheet(file);
    expect(result.records).toEqual([]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.line).toBe(3);
    expect(result.problems[0]?.reason).toMatch(/^invalid CSV: Quote Not Closed/);
  });

  it('rejects a sheet without 题干 or 答案', () => {
    const result = parseQuestionCsv('题型,题目说明,选项A\n单选题,x,y\n', 'columns.csv');
    expect(result.records).toEqual([]);
    expect(result.problems).toEqual([
      {
        file: 'columns.csv',
        line: 1,
        reason: 'missing column(s) 题干, 答案 in the header row; file not imported',
        severity: 'error',
      },
    ]);
  });

  it('rejects a single-choice row with two letters', () => {
    const result = parseQuestionCsv('题型,题干,选项A,选项B,答案\n单选题,题,甲,乙,AB\n', 'two.csv');
    expect(result.problems[0]?.reason).toBe(
      "single-choice (单选题) answer must be one letter, found 'AB'",
    );
  });

  it('rejects an unknown true/false answer', () => {
    const result = parseQuestionCsv('题型,题干,答案\n判断题,题,也许\n', 'tf.csv');
    expect(result.problems[0]?.reason).toBe(
      "true/false answer '也许' is not one of 对/错, 正确/错误, √/×, T/F",
    );
  });

  it('rejects an unsupported file type', async () => {
    const file = path.join(workDirectory, 'bank.xls');
    await writeFile(file, 'not a workbook');
    const result = await parseQuestionSheet(file);
    expect(result.records).toEqual([]);
    expect(result.problems[0]?.reason).toMatch(/unsupported file type/);
  });

  it('rejects a corrupt xlsx file', async () => {
    const file = path.join(workDirectory, 'corrupt.xlsx');
    await writeFile(file, 'this is not a zip archive');
    const result = await parseQuestionSheet(file);
    expect(result.records).toEqual([]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.file).toBe(file);
  });
});
