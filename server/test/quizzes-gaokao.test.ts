import type { AttemptResult, AttemptView, QuizPage } from '@wxlearn/api-types';
import {
  GAOKAO_BANK,
  importGaokaoBank,
  type GaokaoImportReport,
} from '@wxlearn/scripts/import/questions.js';
import { trusted } from '../src/db/trusted.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuestionModel } from '../src/modules/quizzes/question.model.js';
import { startTestServer, type TestServer } from './harness.js';

const GAOKAO_CSV = '/work/shared/data/gaokao-bench-questions-zh/gaokao_mcq_template_style.csv';

let server: TestServer;
let firstImport: GaokaoImportReport;

beforeAll(async () => {
  server = await startTestServer();
  firstImport = await importGaokaoBank(GAOKAO_CSV);
});

afterAll(async () => {
  await server?.close();
});

describe('importGaokaoBank', () => {
  it('imports every row of the CSV with its subject as category', async () => {
    expect(firstImport.questions.created).toBe(753);
    expect(firstImport.questions.warnings).toEqual([]);
    expect(await QuestionModel.countDocuments({ bank: GAOKAO_BANK, category: '政治' })).toBe(316);
    expect(await QuestionModel.countDocuments({ bank: GAOKAO_BANK, category: '历史' })).toBe(287);
    expect(await QuestionModel.countDocuments({ bank: GAOKAO_BANK, category: '生物' })).toBe(150);
  });

  it('removes the exam numbering from stems and keeps the explanation', async () => {
    const first = await QuestionModel.findOne({
      bank: GAOKAO_BANK,
      source: 'gaokao_mcq_template_style.csv:2',
    }).lean();

    expect(first?.stem.startsWith('按照中国一东盟自由贸易协议')).toBe(true);
    expect(first?.answer).toEqual(['C']);
    expect(first?.explanation).toContain('故选： C。');
    expect(
      await QuestionModel.countDocuments({
        bank: GAOKAO_BANK,
        stem: trusted({ $regex: '^\\d+．' }),
      }),
    ).toBe(0);
  });

  it('creates one quiz per subject', () => {
    expect(firstImport.quizzes.map((quiz) => [quiz.code, quiz.status, quiz.available])).toEqual([
      ['gaokao-politics', 'created', 316],
      ['gaokao-history', 'created', 287],
      ['gaokao-biology', 'created', 150],
    ]);
  });

  it('changes nothing on a second run', async () => {
    const second = await importGaokaoBank(GAOKAO_CSV);

    expect(second.questions.created).toBe(0);
    expect(second.questions.updated).toBe(0);
    expect(second.questions.unchanged).toBe(753);
    expect(second.quizzes.map((quiz) => quiz.status)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
  });
});

describe('思想政治常识测验 over the imported bank', () => {
  it('draws ten political-science questions and grades them', async () => {
    const token = await server.loginAs('gaokao-learner');
    const quizzes = await server.request<QuizPage>('GET', '/api/quizzes', { token });
    const quiz = quizzes.body.items.find((item) => item.title === '思想政治常识测验');
    expect(quiz?.questionCount).toBe(10);
    expect(quiz?.timeLimitSeconds).toBe(1200);
    expect(quiz?.passPercent).toBe(60);

    const started = await server.request<AttemptView>('POST', `/api/quizzes/${quiz?.id}/attempts`, {
      token,
    });
    expect(started.status).toBe(200);
    expect(started.body.questions).toHaveLength(10);
    expect(started.text).not.toContain('故选');

    const ids = started.body.questions.map((question) => question.id);
    const stored = await QuestionModel.find({ _id: trusted({ $in: ids }) }).lean();
    expect(stored.every((question) => question.category === '政治')).toBe(true);
    const answerById = new Map(
      stored.map((question) => [question._id.toString(), question.answer]),
    );

    // Seven right answers and three wrong ones: 70 of 100 points.
    for (const [index, id] of ids.entries()) {
      const correct = answerById.get(id) ?? [];
      const wrong = ['A', 'B', 'C', 'D'].find((key) => key !== correct[0]) ?? 'A';
      const choice = index < 7 ? correct : [wrong];
      const saved = await server.request('PUT', `/api/attempts/${started.body.id}/answers/${id}`, {
        token,
        body: { choice },
      });
      expect(saved.status).toBe(200);
    }
    const result = await server.request<AttemptResult>(
      'POST',
      `/api/attempts/${started.body.id}/submit`,
      { token },
    );

    expect(result.status).toBe(200);
    expect(result.body.score).toBe(70);
    expect(result.body.maxScore).toBe(100);
    expect(result.body.percent).toBe(70);
    expect(result.body.passed).toBe(true);
    expect(result.body.questions.filter((question) => question.correct)).toHaveLength(7);
    expect(result.body.questions.every((question) => question.explanation !== null)).toBe(true);
  });
});
