import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { GIFTQuestion, TextChoice, TextFormat as GiftText } from 'gift-pegjs';
import { describe, expect, it } from 'vitest';
import { giftFormatToTextFormat, giftItemStartLines, parseGift, parseGiftFile } from './gift.js';
import { FIXTURES, SHARED_DATA } from './test-paths.js';
import { convertText, normaliseCategoryPath } from './text.js';
import type { QuestionRecord, TextFormat } from './types.js';

const CORPUS = path.join(SHARED_DATA, 'gift-peg-test-questions');
const MOODLE = path.join(SHARED_DATA, 'moodle-core-question-format-fixtures');
const corpusFiles = readdirSync(CORPUS)
  .filter((name) => name.endsWith('.gift'))
  .sort();

/** The text a record should hold for a gift-pegjs text, in the record's format. */
function inFormat(text: GiftText, format: TextFormat): string {
  return convertText(text.text, giftFormatToTextFormat(text.format), format);
}

/** Expected correct option indexes of an MC question: full credit, else positive weight. */
function expectedCorrect(choices: TextChoice[]): number[] {
  const credit = choices.map((choice) => choice.weight ?? (choice.isCorrect ? 100 : 0));
  const full = credit.flatMap((value, index) => (value >= 100 ? [index] : []));
  return full.length > 0 ? full : credit.flatMap((value, index) => (value > 0 ? [index] : []));
}

function keyOf(index: number): string {
  return String.fromCharCode(65 + index);
}

function expectMultipleChoice(
  record: QuestionRecord,
  question: Extract<GIFTQuestion, { type: 'MC' }>,
): void {
  const correct = expectedCorrect(question.choices);
  expect(record.type).toBe(correct.length > 1 ? 'multiple' : 'single');
  expect(record.stem).toBe(inFormat(question.stem, record.format));
  expect(record.options.map((option) => option.text)).toEqual(
    question.choices.map((choice) => inFormat(choice.text, record.format)),
  );
  expect(record.options.map((option) => option.feedback)).toEqual(
    question.choices.map((choice) =>
      choice.feedback && choice.feedback.text !== ''
        ? inFormat(choice.feedback, record.format)
        : undefined,
    ),
  );
  expect(record.answer).toEqual(correct.map(keyOf));
}

/**
 * gift-pegjs stores the two TF feedback texts by position; Moodle shows the first for a wrong
 * response and the second for a right one, so the first belongs to the option that is wrong.
 */
function expectTrueFalse(
  record: QuestionRecord,
  question: Extract<GIFTQuestion, { type: 'TF' }>,
): void {
  const first = question.trueFeedback ? inFormat(question.trueFeedback, record.format) : undefined;
  const second = question.falseFeedback
    ? inFormat(question.falseFeedback, record.format)
    : undefined;
  expect(record.type).toBe('truefalse');
  expect(record.stem).toBe(inFormat(question.stem, record.format));
  expect(record.options.map((option) => [option.key, option.text])).toEqual([
    ['T', '正确'],
    ['F', '错误'],
  ]);
  expect(record.answer).toEqual([question.isTrue ? 'T' : 'F']);
  expect(record.options[0]?.feedback).toBe(question.isTrue ? second : first);
  expect(record.options[1]?.feedback).toBe(question.isTrue ? first : second);
}

describe.each(corpusFiles)('parseGift on %s', (name) => {
  const text = readFileSync(path.join(CORPUS, name), 'utf8');
  const expected = JSON.parse(
    readFileSync(path.join(CORPUS, name.replace(/\.gift$/, '.json')), 'utf8'),
  ) as GIFTQuestion[];
  const result = parseGift(text, name);

  it('reports no errors', () => {
    expect(result.problems.filter((problem) => problem.severity !== 'warning')).toEqual([]);
  });

  it('finds a start line for every expected item', () => {
    expect(giftItemStartLines(text)).toHaveLength(expected.length);
  });

  it('agrees with the expected parse', () => {
    const lines = giftItemStartLines(text);
    const duplicateLines = new Set(
      result.problems
        .filter((problem) => problem.reason.startsWith('duplicate'))
        .map((problem) => problem.line),
    );
    let category: string | undefined;
    let checked = 0;
    expected.forEach((question, index) => {
      if (question.type === 'Category') {
        category = normaliseCategoryPath(question.title) || undefined;
        return;
      }
      if (question.type !== 'MC' && question.type !== 'TF') return;
      const line = lines[index];
      if (duplicateLines.has(line)) return;
      const record = result.records.find((candidate) => candidate.source === `${name}:${line}`);
      expect(record, `question at line ${line}`).toBeDefined();
      if (!record) return;
      if (question.type === 'MC') expectMultipleChoice(record, question);
      else expectTrueFalse(record, question);
      expect(record.title).toBe(question.title ?? undefined);
      expect(record.category).toBe(category);
      expect(record.explanation).toBe(
        question.globalFeedback ? inFormat(question.globalFeedback, record.format) : undefined,
      );
      checked++;
    });
    expect(checked).toBe(result.records.length);
  });

  it('counts every other question type as unsupported', () => {
    const counts: Record<string, number> = {};
    for (const question of expected) {
      if (question.type !== 'MC' && question.type !== 'TF' && question.type !== 'Category') {
        counts[question.type] = (counts[question.type] ?? 0) + 1;
      }
    }
    expect(result.unsupported).toEqual(counts);
  });
});

describe('parseGift on the whole corpus', () => {
  it('maps the expected number of questions', () => {
    const totals: Record<string, number> = {};
    const unsupported: Record<string, number> = {};
    let duplicates = 0;
    for (const name of corpusFiles) {
      const result = parseGift(readFileSync(path.join(CORPUS, name), 'utf8'), name);
      for (const record of result.records) totals[record.type] = (totals[record.type] ?? 0) + 1;
      for (const [type, count] of Object.entries(result.unsupported)) {
        unsupported[type] = (unsupported[type] ?? 0) + count;
      }
      duplicates += result.problems.filter((problem) =>
        problem.reason.startsWith('duplicate'),
      ).length;
    }
    expect(totals).toEqual({ single: 25, multiple: 4, truefalse: 16 });
    expect(unsupported).toEqual({
      Description: 7,
      Essay: 8,
      Short: 19,
      Numerical: 14,
      Matching: 4,
    });
    expect(duplicates).toBe(3);
  });
});

describe('parseGift escapes and layout', () => {
  it('turns escapes into literal characters', () => {
    const source = [
      '::标题\\: 含冒号::花括号\\{x\\}、等号\\=、井号\\#、波浪号\\~、冒号\\:\\n第二行 {',
      '  =答\\=案 # 反馈\\: 好',
      '  ~错\\}误',
      '}',
    ].join('\n');
    const { records, problems } = parseGift(source, 'escapes.gift');
    expect(problems).toEqual([]);
    expect(records[0]?.title).toBe('标题: 含冒号');
    expect(records[0]?.stem).toBe('花括号{x}、等号=、井号#、波浪号~、冒号:\n第二行');
    expect(records[0]?.options.map((option) => option.text)).toEqual(['答=案', '错}误']);
    expect(records[0]?.options[0]?.feedback).toBe('反馈: 好');
  });

  it('parses every escape of escapeAll.gift', () => {
    const { records } = parseGift(
      readFileSync(path.join(CORPUS, 'escapeAll.gift'), 'utf8'),
      'escapeAll.gift',
    );
    expect(records[0]?.options.map((option) => option.text)).toEqual([
      '~',
      '=',
      '#',
      '{',
      '}',
      ':',
      '\\',
    ]);
    expect(records[0]?.answer).toEqual(['G']);
  });

  it('applies $CATEGORY to the questions after it', () => {
    const source = [
      '$CATEGORY: $course$/top/专卖法规/第一章',
      '',
      '第一题 {=甲 ~乙}',
      '',
      '$CATEGORY: $course$/营销',
      '',
      '第二题 {T}',
    ].join('\n');
    const { records, unsupported } = parseGift(source, 'categories.gift');
    expect(records.map((record) => record.category)).toEqual(['专卖法规/第一章', '营销']);
    expect(records.map((record) => record.source)).toEqual([
      'categories.gift:3',
      'categories.gift:7',
    ]);
    expect(unsupported).toEqual({});
  });

  it('maps MC weights to single or multiple', () => {
    const source = [
      '部分得分 {~错 ~%50%半对 =全对}',
      '',
      '多个全对 {=甲 =乙 ~丙}',
      '',
      '按权重 {~%50%甲 ~%50%乙 ~%-100%丙}',
    ].join('\n');
    const { records } = parseGift(source, 'weights.gift');
    expect(records.map((record) => [record.type, record.answer.join('')])).toEqual([
      ['single', 'C'],
      ['multiple', 'AB'],
      ['multiple', 'AB'],
    ]);
    expect(records[0]?.options[1]?.weight).toBe(50);
    expect(records[2]?.options[2]?.weight).toBe(-100);
  });

  it('rejects an MC question without a correct option', () => {
    const { records, problems } = parseGift('题一 {=甲 ~乙}\n\n题二 {~甲 ~乙}', 'none.gift');
    expect(records).toHaveLength(1);
    expect(problems).toEqual([
      {
        file: 'none.gift',
        line: 3,
        reason: 'multiple-choice question has no correct option (no "=" and no positive %weight%)',
        severity: 'error',
      },
    ]);
  });

  it('rejects an MC option without text', () => {
    const { records, problems } = parseGift('题 {=甲 ~ #反馈}', 'empty.gift');
    expect(records).toEqual([]);
    expect(problems.map((problem) => [problem.line, problem.severity])).toEqual([[1, 'error']]);
    expect(problems[0]?.reason).toMatch(/^GIFT syntax error, file not imported/);
  });

  it('escapes plain options inside an html question', () => {
    const { records } = parseGift('[html]<p>选择</p> {=[plain]a<b ~[plain]c&d}', 'mixed.gift');
    expect(records[0]?.format).toBe('html');
    expect(records[0]?.options.map((option) => option.text)).toEqual(['a&lt;b', 'c&amp;d']);
  });
});

describe('parseGift ids', () => {
  it('keeps the content id across runs', () => {
    const text = '甲是乙吗？ {T}';
    expect(parseGift(text, 'a.gift').records[0]?.externalId).toBe(
      parseGift(text, 'a.gift').records[0]?.externalId,
    );
  });

  it('changes the content id with the bank', () => {
    const text = '甲是乙吗？ {T}';
    const first = parseGift(text, 'a.gift').records[0]?.externalId;
    const second = parseGift(text, 'a.gift', { bank: 'other' }).records[0]?.externalId;
    expect(first).not.toBe(second);
  });

  it('keeps a source id when the text changes', () => {
    const before = parseGift('// [id:Q-1]\n甲是乙吗？ {T}', 'a.gift').records[0];
    const after = parseGift('// [id:Q-1]\n甲是不是乙？ {F}', 'a.gift').records[0];
    expect(before?.externalId).toBe(after?.externalId);
  });
});

describe('parseGift on broken and Moodle files', () => {
  it('rejects a file with an unclosed brace', async () => {
    const file = path.join(FIXTURES, 'unclosed-brace.gift');
    const result = await parseGiftFile(file);
    expect(result.records).toEqual([]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.file).toBe(file);
    expect(result.problems[0]?.line).toBe(6);
    expect(result.problems[0]?.reason).toMatch(
      /^GIFT syntax error, file not imported: Expected "}"/,
    );
  });

  it('parses Moodle examples.gift.txt', async () => {
    const result = await parseGiftFile(path.join(MOODLE, 'examples.gift.txt'));
    const byType: Record<string, number> = {};
    for (const record of result.records) byType[record.type] = (byType[record.type] ?? 0) + 1;
    expect(byType).toEqual({ single: 10, multiple: 1, truefalse: 2 });
    expect(result.unsupported).toEqual({ Short: 9, Numerical: 8, Matching: 3 });
    expect(result.problems.every((problem) => problem.severity === 'warning')).toBe(true);
    expect(result.problems).toHaveLength(10);
  });

  it('rejects Moodle questions.gift.txt, which gift-pegjs cannot read', async () => {
    const result = await parseGiftFile(path.join(MOODLE, 'questions.gift.txt'));
    expect(result.records).toEqual([]);
    expect(result.problems.map((problem) => problem.line)).toEqual([31]);
  });
});
