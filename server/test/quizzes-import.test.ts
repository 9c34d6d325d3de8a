import { parseGiftFile } from '@wxlearn/scripts/import/parse/gift.js';
import { parseMoodleXmlFile } from '@wxlearn/scripts/import/parse/moodle-xml.js';
import {
  QuestionImportError,
  ensureQuiz,
  importParsedQuestions,
  importQuestions,
  stripExamNumbering,
} from '@wxlearn/scripts/import/questions.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuestionModel } from '../src/modules/quizzes/question.model.js';
import { QuizModel } from '../src/modules/quizzes/quiz.model.js';
import { mainBank, questionRecord } from './quizzes-fixtures.js';
import { startTestServer, type TestServer } from './harness.js';

const MOODLE_FIXTURES = '/work/shared/data/moodle-core-question-format-fixtures';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

describe('importQuestions', () => {
  it('creates the questions, then changes nothing on a second run', async () => {
    const first = await importQuestions(mainBank('rerun'), 'rerun');
    const second = await importQuestions(mainBank('rerun'), 'rerun');

    expect(first.created).toBe(4);
    expect(first.updated).toBe(0);
    expect(first.unchanged).toBe(0);
    expect(second.created).toBe(0);
    expect(second.updated).toBe(0);
    expect(second.unchanged).toBe(4);
    expect(await QuestionModel.countDocuments({ bank: 'rerun' })).toBe(4);
  });

  it('stores every field of a record', async () => {
    await importQuestions(mainBank('fields'), 'fields');

    const stored = await QuestionModel.findOne({ bank: 'fields', externalId: 'ext-q2' }).lean();

    expect(stored?.type).toBe('multiple');
    expect(stored?.answer).toEqual(['A', 'C']);
    expect(stored?.explanation).toBe('EXPLANATION-q2');
    expect(stored?.category).toBe('basics/advanced');
    expect(stored?.score).toBe(3);
    expect(stored?.options[0]).toEqual({
      key: 'A',
      text: 'q2 option A',
      feedback: 'FEEDBACK-q2-A',
      weight: null,
    });
  });

  it('updates only the records whose content changed', async () => {
    await importQuestions(mainBank('edits'), 'edits');
    const edited = mainBank('edits').map((record) =>
      record.externalId === 'ext-q4' ? { ...record, explanation: '新的解析' } : record,
    );

    const report = await importQuestions(edited, 'edits');

    expect(report.created).toBe(0);
    expect(report.updated).toBe(1);
    expect(report.unchanged).toBe(3);
    const stored = await QuestionModel.findOne({ bank: 'edits', externalId: 'ext-q4' }).lean();
    expect(stored?.explanation).toBe('新的解析');
  });

  it('counts a record with a removed optional field as updated', async () => {
    await importQuestions(mainBank('removals'), 'removals');
    const withoutScore = mainBank('removals').map(({ score: _score, ...record }) => record);

    const report = await importQuestions(withoutScore, 'removals');

    expect(report.updated).toBe(3);
    expect(report.unchanged).toBe(1);
    const stored = await QuestionModel.findOne({ bank: 'removals', externalId: 'ext-q1' }).lean();
    expect(stored?.score).toBeNull();
  });

  it.each([
    ['an answer key that is not an option', { answer: ['E'] }],
    ['two answers on a single-choice question', { answer: ['A', 'B'] }],
    ['no answer', { answer: [] }],
    ['one option', { options: [{ key: 'A', text: 'only' }], answer: ['A'] }],
    ['true/false options other than T and F', { type: 'truefalse' as const, answer: ['A'] }],
    ['an empty stem', { stem: '  ' }],
    ['another bank', { bank: 'elsewhere' }],
  ])('rejects the whole batch for %s', async (_case, overrides) => {
    const bank = `bad-${Math.random().toString(36).slice(2, 8)}`;
    const records = [...mainBank(bank), questionRecord(bank, 'q9', overrides)];

    const attempt = importQuestions(records, bank);

    await expect(attempt).rejects.toThrow(QuestionImportError);
    expect(await QuestionModel.countDocuments({ bank })).toBe(0);
  });

  it('rejects a batch that repeats an externalId', async () => {
    const records = [...mainBank('repeats'), questionRecord('repeats', 'q1', { stem: 'other' })];

    const attempt = importQuestions(records, 'repeats');

    await expect(attempt).rejects.toThrow(/same externalId ext-q1/);
    expect(await QuestionModel.countDocuments({ bank: 'repeats' })).toBe(0);
  });
});

describe('importParsedQuestions', () => {
  it('rejects a file with a parse error and imports nothing', async () => {
    const parsed = await parseGiftFile(`${MOODLE_FIXTURES}/questions.gift.txt`, {
      bank: 'broken',
    });
    const withRecords = { ...parsed, records: mainBank('broken') };

    const attempt = importParsedQuestions(withRecords, 'broken');

    await expect(attempt).rejects.toThrow(/GIFT syntax error/);
    expect(await QuestionModel.countDocuments({ bank: 'broken' })).toBe(0);
  });

  it('imports a GIFT file with warnings and reports them', async () => {
    const parsed = await parseGiftFile(`${MOODLE_FIXTURES}/examples.gift.txt`, {
      bank: 'moodle-gift',
    });

    const first = await importParsedQuestions(parsed, 'moodle-gift');
    const second = await importParsedQuestions(parsed, 'moodle-gift');

    expect(first.created).toBe(parsed.records.length);
    expect(first.created).toBeGreaterThan(0);
    expect(first.warnings.length).toBeGreaterThan(0);
    expect(first.unsupported).toEqual(parsed.unsupported);
    expect(second.created).toBe(0);
    expect(second.updated).toBe(0);
    expect(second.unchanged).toBe(parsed.records.length);
  });

  it('imports nested Moodle XML categories that quizzes can filter', async () => {
    const parsed = await parseMoodleXmlFile(
      `${MOODLE_FIXTURES}/nested_categories_with_questions.xml`,
      { bank: 'moodle-xml' },
    );
    await importParsedQuestions(parsed, 'moodle-xml');

    const whole = await ensureQuiz({
      code: 'iota',
      title: 'Iota',
      bank: 'moodle-xml',
      category: 'Iota',
      questionCount: 4,
      passPercent: 50,
    });
    const branch = ensureQuiz({
      code: 'kappa',
      title: 'Kappa',
      bank: 'moodle-xml',
      category: 'Iota/Kappa',
      questionCount: 3,
      passPercent: 50,
    });

    expect(whole.available).toBe(4);
    await expect(branch).rejects.toThrow(
      /needs 3 questions but bank moodle-xml category Iota\/Kappa has 2/,
    );
  });
});

describe('ensureQuiz', () => {
  const spec = {
    code: 'ensure-me',
    title: '测验',
    bank: 'quiz-bank',
    questionCount: 3,
    timeLimitSeconds: 600,
    passPercent: 60,
  };

  beforeAll(async () => {
    await importQuestions(mainBank('quiz-bank'), 'quiz-bank');
  });

  it('creates a quiz, leaves it alone, then updates it', async () => {
    const created = await ensureQuiz(spec);
    const unchanged = await ensureQuiz(spec);
    const updated = await ensureQuiz({ ...spec, title: '新的测验', maxAttempts: 2 });

    expect(created.status).toBe('created');
    expect(created.available).toBe(4);
    expect(unchanged.status).toBe('unchanged');
    expect(unchanged.quizId).toBe(created.quizId);
    expect(updated.status).toBe('updated');
    const stored = await QuizModel.findById(created.quizId).lean();
    expect(stored?.title).toBe('新的测验');
    expect(stored?.maxAttempts).toBe(2);
    expect(stored?.shuffleOptions).toBe(false);
    expect(await QuizModel.countDocuments({ code: 'ensure-me' })).toBe(1);
  });

  it('creates one quiz when two runs race', async () => {
    const racing = { ...spec, code: 'ensure-race' };

    const reports = await Promise.all([ensureQuiz(racing), ensureQuiz(racing)]);

    expect(reports[0]?.quizId).toBe(reports[1]?.quizId);
    expect(await QuizModel.countDocuments({ code: 'ensure-race' })).toBe(1);
  });

  it('rejects a quiz that needs more questions than the bank has', async () => {
    const attempt = ensureQuiz({ ...spec, code: 'too-many', questionCount: 5 });

    await expect(attempt).rejects.toThrow(/needs 5 questions but bank quiz-bank has 4/);
    expect(await QuizModel.countDocuments({ code: 'too-many' })).toBe(0);
  });

  it.each([
    ['a pass mark above 100', { passPercent: 120 }],
    ['zero questions', { questionCount: 0 }],
    ['a code with spaces', { code: 'two words' }],
    ['a malformed course id', { courseId: 'course-1' }],
  ])('rejects %s', async (_case, overrides) => {
    const before = await QuizModel.countDocuments();

    const attempt = ensureQuiz({ ...spec, code: 'invalid-spec', ...overrides });

    await expect(attempt).rejects.toThrow(/Invalid quiz/);
    expect(await QuizModel.countDocuments()).toBe(before);
  });
});

describe('stripExamNumbering', () => {
  it.each([
    ['1．（ 3分）按照协议', '按照协议'],
    ['12．（4分）下列', '下列'],
    ['3. 某地', '某地'],
    ['没有编号的题干', '没有编号的题干'],
    ['2010年该商品', '2010年该商品'],
  ])('turns %j into %j', (stem, expected) => {
    expect(stripExamNumbering(stem)).toBe(expected);
  });
});
