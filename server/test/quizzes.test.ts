import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ApiErrorBody,
  AttemptResult,
  AttemptView,
  QuestionView,
  QuizDetail,
  QuizPage,
} from '@wxlearn/api-types';
import { ensureQuiz, importQuestions } from '@wxlearn/scripts/import/questions.js';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CourseModel } from '../src/modules/catalog/course.model.js';
import { AttemptAnswerModel } from '../src/modules/quizzes/attempt-answer.model.js';
import { AttemptResultModel } from '../src/modules/quizzes/attempt-result.model.js';
import { AttemptModel } from '../src/modules/quizzes/attempt.model.js';
import { QuizModel } from '../src/modules/quizzes/quiz.model.js';
import { listCourseQuizzes } from '../src/modules/quizzes/quizzes.service.js';
import { mainBank } from './quizzes-fixtures.js';
import { startTestServer, type TestServer } from './harness.js';

let server: TestServer;
const quizIds: Record<string, string> = {};
const courseId = new Types.ObjectId().toString();

beforeAll(async () => {
  server = await startTestServer();
  await importQuestions(mainBank('main'), 'main');

  const base = { bank: 'main', passPercent: 60 } as const;
  const specs = [
    { ...base, code: 'all', title: '全部题目', questionCount: 4, shuffleOptions: true },
    { ...base, code: 'once', title: '只能考一次', questionCount: 4, maxAttempts: 1 },
    { ...base, code: 'timed', title: '限时测验', questionCount: 4, timeLimitSeconds: 2 },
    {
      ...base,
      code: 'pick',
      title: '基础抽题',
      category: 'basics',
      questionCount: 2,
      pointsPerQuestion: 10,
      timeLimitSeconds: 1200,
      courseId,
    },
  ];
  for (const spec of specs) {
    quizIds[spec.code] = (await ensureQuiz(spec)).quizId;
  }
});

afterAll(async () => {
  await server?.close();
});

function quizId(code: string): string {
  const id = quizIds[code];
  if (!id) throw new Error(`quiz ${code} was not created`);
  return id;
}

async function startAttempt(token: string, code: string) {
  return server.request<AttemptView>('POST', `/api/quizzes/${quizId(code)}/attempts`, { token });
}

/** Returns the attempt's question whose stem starts with the fixture id (q1 … q4). */
function question(view: AttemptView, fixtureId: string): QuestionView {
  const found = view.questions.find((item) => item.stem.startsWith(`${fixtureId} `));
  if (!found) throw new Error(`question ${fixtureId} is not in attempt ${view.id}`);
  return found;
}

async function saveAnswer(token: string, view: AttemptView, fixtureId: string, choice: unknown) {
  const path = `/api/attempts/${view.id}/answers/${question(view, fixtureId).id}`;
  return server.request<ApiErrorBody>('PUT', path, { token, body: { choice } });
}

async function submit(token: string, attemptId: string) {
  return server.request<AttemptResult>('POST', `/api/attempts/${attemptId}/submit`, { token });
}

describe('GET /api/quizzes', () => {
  it('lists quizzes by code, one page at a time', async () => {
    const token = await server.loginAs('lister');

    const first = await server.request<QuizPage>('GET', '/api/quizzes?page=1&pageSize=3', {
      token,
    });
    const second = await server.request<QuizPage>('GET', '/api/quizzes?page=2&pageSize=3', {
      token,
    });

    expect(first.status).toBe(200);
    expect(first.body.total).toBe(4);
    expect(first.body.items.map((item) => item.title)).toEqual([
      '全部题目',
      '只能考一次',
      '基础抽题',
    ]);
    expect(second.body.items.map((item) => item.id)).toEqual([quizId('timed')]);
    expect(second.body.page).toBe(2);
    expect(second.body.pageSize).toBe(3);
  });

  it('uses page 1 of 20 by default', async () => {
    const token = await server.loginAs('lister');

    const response = await server.request<QuizPage>('GET', '/api/quizzes', { token });

    expect(response.status).toBe(200);
    expect(response.body.page).toBe(1);
    expect(response.body.pageSize).toBe(20);
    expect(response.body.items).toHaveLength(4);
  });

  it.each([
    ['page=0'],
    ['page=abc'],
    ['page=-1'],
    ['pageSize=51'],
    ['page=1&page=2'],
    ['page=1.5'],
    ['page[$gt]=0'],
    ['sort=-createdAt'],
  ])('rejects the query %s with 400', async (query) => {
    const token = await server.loginAs('lister');

    const response = await server.request<ApiErrorBody>('GET', `/api/quizzes?${query}`, { token });

    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
  });

  it('requires a session', async () => {
    const response = await server.request<ApiErrorBody>('GET', '/api/quizzes');

    expect(response.status).toBe(401);
    expect(response.body.error.id).toBe('unauthenticated');
  });
});

describe('GET /api/quizzes/:id', () => {
  it('returns the quiz settings and its course', async () => {
    const token = await server.loginAs('reader');

    const response = await server.request<QuizDetail>('GET', `/api/quizzes/${quizId('pick')}`, {
      token,
    });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: quizId('pick'),
      title: '基础抽题',
      questionCount: 2,
      timeLimitSeconds: 1200,
      passPercent: 60,
      maxAttempts: null,
      courseId,
    });
  });

  it('returns 404 for an unknown quiz and 400 for a malformed id', async () => {
    const token = await server.loginAs('reader');

    const unknown = await server.request<ApiErrorBody>(
      'GET',
      `/api/quizzes/${new Types.ObjectId().toString()}`,
      { token },
    );
    const malformed = await server.request<ApiErrorBody>('GET', '/api/quizzes/not-an-id', {
      token,
    });

    expect(unknown.status).toBe(404);
    expect(unknown.body.error.id).toBe('not_found');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.id).toBe('validation_failed');
  });
});

describe('listCourseQuizzes', () => {
  it('returns the quizzes attached to a course', async () => {
    const quizzes = await listCourseQuizzes(courseId);

    expect(quizzes.map((quiz) => quiz.id)).toEqual([quizId('pick')]);
    expect(await listCourseQuizzes(new Types.ObjectId())).toEqual([]);
    expect(await listCourseQuizzes('not-an-id')).toEqual([]);
  });
});

describe('POST /api/quizzes/:id/attempts', () => {
  it('starts an attempt with all four questions', async () => {
    const token = await server.loginAs('starter');

    const response = await startAttempt(token, 'all');

    expect(response.status).toBe(200);
    expect(response.body.quizId).toBe(quizId('all'));
    expect(response.body.quizTitle).toBe('全部题目');
    expect(response.body.state).toBe('in_progress');
    expect(response.body.deadline).toBeNull();
    expect(response.body.answers).toEqual({});
    expect(response.body.questions.map((item) => item.stem).sort()).toEqual([
      'q1 stem',
      'q2 stem',
      'q3 stem',
      'q4 stem',
    ]);
    expect(question(response.body, 'q2').points).toBe(3);
    expect(question(response.body, 'q3').points).toBe(1);
    expect(question(response.body, 'q3').options.map((option) => option.key)).toEqual(['T', 'F']);
    expect(question(response.body, 'q1').format).toBe('plain');
  });

  it('keeps the original option keys when it shuffles options', async () => {
    const token = await server.loginAs('shuffler');

    const view = (await startAttempt(token, 'all')).body;
    const options = question(view, 'q1').options;

    expect(options.map((option) => option.key).sort()).toEqual(['A', 'B', 'C', 'D']);
    for (const option of options) {
      expect(option.text).toBe(`q1 option ${option.key}`);
    }
  });

  it('draws from the category and its subcategories', async () => {
    const token = await server.loginAs('picker');

    const response = await startAttempt(token, 'pick');

    expect(response.status).toBe(200);
    expect(response.body.questions).toHaveLength(2);
    const stems = response.body.questions.map((item) => item.stem);
    expect(new Set(stems).size).toBe(2);
    expect(stems).not.toContain('q3 stem');
    expect(response.body.questions.every((item) => item.points === 10)).toBe(true);
    const deadline = Date.parse(response.body.deadline ?? '');
    expect(deadline - Date.parse(response.body.startedAt)).toBe(1_200_000);
  });

  it('resumes the open attempt', async () => {
    const token = await server.loginAs('resumer');
    const first = await startAttempt(token, 'all');
    await saveAnswer(token, first.body, 'q1', ['B']);

    const second = await startAttempt(token, 'all');

    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.questions).toEqual(first.body.questions);
    expect(second.body.answers).toEqual({ [question(first.body, 'q1').id]: ['B'] });
  });

  it('creates one attempt for five concurrent starts', async () => {
    const token = await server.loginAs('racer');

    const responses = await Promise.all(
      Array.from({ length: 5 }, () => startAttempt(token, 'all')),
    );

    for (const response of responses) {
      expect(response.status).toBe(200);
    }
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
    const learnerAttempts = await AttemptModel.countDocuments({
      _id: responses[0]?.body.id,
    });
    expect(learnerAttempts).toBe(1);
    const attempt = await AttemptModel.findById(responses[0]?.body.id).lean();
    expect(
      await AttemptModel.countDocuments({ learnerId: attempt?.learnerId, quizId: quizId('all') }),
    ).toBe(1);
  });

  it('starts a new attempt after a submit', async () => {
    const token = await server.loginAs('repeater');
    const first = await startAttempt(token, 'all');
    await submit(token, first.body.id);

    const second = await startAttempt(token, 'all');

    expect(second.status).toBe(200);
    expect(second.body.id).not.toBe(first.body.id);
    expect(second.body.state).toBe('in_progress');
  });

  it('returns 409 when maxAttempts is reached', async () => {
    const token = await server.loginAs('limited');
    const first = await startAttempt(token, 'once');
    await submit(token, first.body.id);

    const second = await server.request<ApiErrorBody>(
      'POST',
      `/api/quizzes/${quizId('once')}/attempts`,
      { token },
    );

    expect(second.status).toBe(409);
    expect(second.body.error.id).toBe('attempt_limit_reached');
  });

  it('returns 409 for a quiz whose bank is empty', async () => {
    const token = await server.loginAs('starter');
    const empty = await QuizModel.create({
      code: 'empty',
      title: '空题库',
      bank: 'no-such-bank',
      questionCount: 5,
      passPercent: 60,
    });

    const response = await server.request<ApiErrorBody>(
      'POST',
      `/api/quizzes/${empty._id.toString()}/attempts`,
      { token },
    );
    await QuizModel.deleteOne({ _id: empty._id });

    expect(response.status).toBe(409);
    expect(response.body.error.id).toBe('quiz_unavailable');
    expect(await AttemptModel.countDocuments({ quizId: empty._id })).toBe(0);
  });

  it('returns 403 for a quiz of a paid course not bought', async () => {
    const token = await server.loginAs('starter');
    const paid = await CourseModel.create({
      code: 'quiz-paid-course',
      title: '付费课程',
      category: '测试',
      published: true,
      priceFen: 9900,
    });
    const quiz = await QuizModel.create({
      code: 'paid-quiz',
      title: '付费课程测验',
      bank: 'no-such-bank',
      questionCount: 5,
      passPercent: 60,
      courseId: paid._id,
    });

    const response = await server.request<ApiErrorBody>(
      'POST',
      `/api/quizzes/${quiz._id.toString()}/attempts`,
      { token },
    );

    expect(response.status).toBe(403);
    expect(response.body.error.id).toBe('purchase_required');
    expect(await AttemptModel.countDocuments({ quizId: quiz._id })).toBe(0);
  });

  it('returns 404 for an unknown quiz', async () => {
    const token = await server.loginAs('starter');

    const response = await server.request<ApiErrorBody>(
      'POST',
      `/api/quizzes/${new Types.ObjectId().toString()}/attempts`,
      { token },
    );

    expect(response.status).toBe(404);
    expect(response.body.error.id).toBe('not_found');
  });
});

describe('answers and explanations before submit', () => {
  it('never leave the server before submit', async () => {
    const token = await server.loginAs('peeker');

    const started = await startAttempt(token, 'all');
    const saved = await saveAnswer(token, started.body, 'q2', ['A']);
    const read = await server.request('GET', `/api/attempts/${started.body.id}`, { token });
    const resumed = await startAttempt(token, 'all');
    const result = await server.request('GET', `/api/attempts/${started.body.id}/result`, {
      token,
    });

    for (const response of [started, saved, read, resumed, result]) {
      expect(response.text).not.toMatch(/EXPLANATION-|FEEDBACK-/);
      expect(response.text).not.toMatch(/"(answer|correctAnswer|correct|explanation|feedback)"/);
    }
    expect(result.status).toBe(409);
  });
});

describe('PUT /api/attempts/:id/answers/:questionId', () => {
  it('saves a choice and shows it on the attempt', async () => {
    const token = await server.loginAs('saver');
    const view = (await startAttempt(token, 'all')).body;

    const first = await saveAnswer(token, view, 'q2', ['C', 'A']);
    const changed = await saveAnswer(token, view, 'q1', ['A']);
    const changedAgain = await saveAnswer(token, view, 'q1', ['D']);
    const read = await server.request<AttemptView>('GET', `/api/attempts/${view.id}`, { token });

    expect(first.status).toBe(200);
    expect(first.body).toEqual({ saved: true });
    expect(changed.status).toBe(200);
    expect(changedAgain.status).toBe(200);
    expect(read.body.answers).toEqual({
      [question(view, 'q1').id]: ['D'],
      [question(view, 'q2').id]: ['A', 'C'],
    });
    expect(await AttemptAnswerModel.countDocuments({ attemptId: view.id })).toBe(2);
  });

  it('keeps concurrent saves of different questions', async () => {
    const token = await server.loginAs('parallel');
    const view = (await startAttempt(token, 'all')).body;
    const choices: Record<string, string[]> = { q1: ['B'], q2: ['A', 'C'], q3: ['F'], q4: ['A'] };

    const responses = await Promise.all(
      Object.entries(choices).map(([id, choice]) => saveAnswer(token, view, id, choice)),
    );
    const read = await server.request<AttemptView>('GET', `/api/attempts/${view.id}`, { token });

    for (const response of responses) {
      expect(response.status).toBe(200);
    }
    for (const [id, choice] of Object.entries(choices)) {
      expect(read.body.answers[question(view, id).id]).toEqual(choice);
    }
  });

  it('keeps one document for concurrent saves of a question', async () => {
    const token = await server.loginAs('hammer');
    const view = (await startAttempt(token, 'all')).body;

    const responses = await Promise.all(
      ['A', 'B', 'C', 'D', 'A', 'B'].map((key) => saveAnswer(token, view, 'q1', [key])),
    );

    for (const response of responses) {
      expect(response.status).toBe(200);
    }
    const stored = await AttemptAnswerModel.find({ attemptId: view.id }).lean();
    expect(stored).toHaveLength(1);
    expect(['A', 'B', 'C', 'D']).toContain(stored[0]?.choice[0]);
  });

  it.each([
    ['a missing choice', {}],
    ['a string choice', { choice: 'A' }],
    ['an operator object', { choice: { $ne: null } }],
    ['an operator inside the array', { choice: [{ $ne: null }] }],
    ['a number key', { choice: [1] }],
    ['a lower-case key', { choice: ['a'] }],
    ['a repeated key', { choice: ['A', 'A'] }],
    ['an extra field', { choice: ['A'], correct: true }],
    ['a null body', null],
  ])('rejects %s with 400 and writes nothing', async (_case, body) => {
    const token = await server.loginAs('bad-input');
    const view = (await startAttempt(token, 'all')).body;

    const path = `/api/attempts/${view.id}/answers/${question(view, 'q2').id}`;
    const response = await server.request<ApiErrorBody>('PUT', path, { token, body });

    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
    expect(await AttemptAnswerModel.countDocuments({ attemptId: view.id })).toBe(0);
  });

  it('rejects a body that is not JSON with 400', async () => {
    const token = await server.loginAs('bad-input');
    const view = (await startAttempt(token, 'all')).body;

    const path = `/api/attempts/${view.id}/answers/${question(view, 'q1').id}`;
    const response = await server.request<ApiErrorBody>('PUT', path, {
      token,
      rawBody: 'choice=A',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
  });

  it.each([
    ['an unknown key', 'q1', ['E']],
    ['two keys for a single-choice question', 'q1', ['A', 'B']],
    ['no key for a single-choice question', 'q1', []],
    ['a letter for a true/false question', 'q3', ['A']],
    ['two keys for a true/false question', 'q3', ['T', 'F']],
    ['an unknown key among known ones', 'q2', ['A', 'X']],
  ])('rejects %s with 400 and writes nothing', async (_case, fixtureId, choice) => {
    const token = await server.loginAs('wrong-keys');
    const view = (await startAttempt(token, 'all')).body;

    const response = await saveAnswer(token, view, fixtureId, choice);

    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
    expect(response.body.error.details?.[0]?.path).toBe('choice');
    expect(await AttemptAnswerModel.countDocuments({ attemptId: view.id })).toBe(0);
  });

  it('accepts an empty choice for a multiple-choice question', async () => {
    const token = await server.loginAs('clearer');
    const view = (await startAttempt(token, 'all')).body;

    await saveAnswer(token, view, 'q2', ['A']);
    const cleared = await saveAnswer(token, view, 'q2', []);
    const read = await server.request<AttemptView>('GET', `/api/attempts/${view.id}`, { token });

    expect(cleared.status).toBe(200);
    expect(read.body.answers[question(view, 'q2').id]).toEqual([]);
  });

  it('rejects a question that is not in the attempt with 400', async () => {
    const token = await server.loginAs('outsider-question');
    const view = (await startAttempt(token, 'pick')).body;
    const drawn = new Set(view.questions.map((item) => item.id));
    const full = (await startAttempt(token, 'all')).body;
    const notDrawn = full.questions.find((item) => !drawn.has(item.id));

    const unknown = await server.request<ApiErrorBody>(
      'PUT',
      `/api/attempts/${view.id}/answers/${new Types.ObjectId().toString()}`,
      { token, body: { choice: ['A'] } },
    );
    const otherQuestion = await server.request<ApiErrorBody>(
      'PUT',
      `/api/attempts/${view.id}/answers/${notDrawn?.id}`,
      { token, body: { choice: ['T'] } },
    );
    const malformed = await server.request<ApiErrorBody>(
      'PUT',
      `/api/attempts/${view.id}/answers/q1`,
      { token, body: { choice: ['A'] } },
    );

    expect(unknown.status).toBe(400);
    expect(unknown.body.error.id).toBe('question_not_in_attempt');
    expect(otherQuestion.status).toBe(400);
    expect(otherQuestion.body.error.id).toBe('question_not_in_attempt');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.id).toBe('validation_failed');
    expect(await AttemptAnswerModel.countDocuments({ attemptId: view.id })).toBe(0);
  });

  it('returns 409 attempt_submitted after submit', async () => {
    const token = await server.loginAs('late-changer');
    const view = (await startAttempt(token, 'all')).body;
    await saveAnswer(token, view, 'q1', ['B']);
    await submit(token, view.id);

    const response = await saveAnswer(token, view, 'q1', ['A']);

    expect(response.status).toBe(409);
    expect(response.body.error.id).toBe('attempt_submitted');
    const stored = await AttemptAnswerModel.findOne({ attemptId: view.id }).lean();
    expect(stored?.choice).toEqual(['B']);
  });
});

describe('attempts of another learner', () => {
  it('are not found on every route', async () => {
    const owner = await server.loginAs('owner');
    const intruder = await server.loginAs('intruder');
    const view = (await startAttempt(owner, 'all')).body;
    const questionId = question(view, 'q1').id;

    const responses = [
      await server.request<ApiErrorBody>('GET', `/api/attempts/${view.id}`, { token: intruder }),
      await server.request<ApiErrorBody>('PUT', `/api/attempts/${view.id}/answers/${questionId}`, {
        token: intruder,
        body: { choice: ['B'] },
      }),
      await server.request<ApiErrorBody>('POST', `/api/attempts/${view.id}/submit`, {
        token: intruder,
      }),
      await server.request<ApiErrorBody>('GET', `/api/attempts/${view.id}/result`, {
        token: intruder,
      }),
    ];

    for (const response of responses) {
      expect(response.status).toBe(404);
      expect(response.body.error.id).toBe('not_found');
    }
    expect(await AttemptAnswerModel.countDocuments({ attemptId: view.id })).toBe(0);
    expect(await AttemptResultModel.countDocuments({ attemptId: view.id })).toBe(0);
  });

  it('requires a session on every attempt route', async () => {
    const id = new Types.ObjectId().toString();

    const responses = [
      await server.request<ApiErrorBody>('POST', `/api/quizzes/${quizId('all')}/attempts`),
      await server.request<ApiErrorBody>('GET', `/api/attempts/${id}`),
      await server.request<ApiErrorBody>('PUT', `/api/attempts/${id}/answers/${id}`, {
        body: { choice: ['A'] },
      }),
      await server.request<ApiErrorBody>('POST', `/api/attempts/${id}/submit`),
      await server.request<ApiErrorBody>('GET', `/api/attempts/${id}/result`),
    ];

    for (const response of responses) {
      expect(response.status).toBe(401);
    }
  });
});

describe('POST /api/attempts/:id/submit', () => {
  it('grades every question type exactly', async () => {
    const token = await server.loginAs('grader');
    const view = (await startAttempt(token, 'all')).body;
    await saveAnswer(token, view, 'q1', ['B']);
    await saveAnswer(token, view, 'q2', ['A']);
    await saveAnswer(token, view, 'q3', ['F']);
    await saveAnswer(token, view, 'q4', ['C']);

    const response = await submit(token, view.id);

    expect(response.status).toBe(200);
    expect(response.body.score).toBe(3);
    expect(response.body.maxScore).toBe(10);
    expect(response.body.percent).toBe(30);
    expect(response.body.passed).toBe(false);
    const byStem = new Map(response.body.questions.map((item) => [item.stem, item]));
    expect(byStem.get('q1 stem')?.correct).toBe(true);
    expect(byStem.get('q2 stem')?.correct).toBe(false);
    expect(byStem.get('q2 stem')?.choice).toEqual(['A']);
    expect(byStem.get('q2 stem')?.correctAnswer).toEqual(['A', 'C']);
    expect(byStem.get('q2 stem')?.explanation).toBe('EXPLANATION-q2');
    expect(byStem.get('q3 stem')?.correct).toBe(true);
    expect(byStem.get('q4 stem')?.correct).toBe(false);
    expect(byStem.get('q4 stem')?.correctAnswer).toEqual(['D']);
    expect(response.body.questions.map((item) => item.id)).toEqual(
      view.questions.map((item) => item.id),
    );
  });

  it('passes at the pass mark and counts a complete multiple choice', async () => {
    const token = await server.loginAs('passer');
    const view = (await startAttempt(token, 'all')).body;
    await saveAnswer(token, view, 'q1', ['B']);
    await saveAnswer(token, view, 'q2', ['C', 'A']);
    await saveAnswer(token, view, 'q3', ['T']);
    await saveAnswer(token, view, 'q4', ['A']);

    const response = await submit(token, view.id);

    expect(response.body.score).toBe(5);
    expect(response.body.percent).toBe(50);
    expect(response.body.passed).toBe(false);

    const second = (await startAttempt(token, 'all')).body;
    await saveAnswer(token, second, 'q2', ['A', 'C']);
    await saveAnswer(token, second, 'q3', ['F']);
    await saveAnswer(token, second, 'q1', ['B']);
    const passed = await submit(token, second.id);

    expect(passed.body.score).toBe(6);
    expect(passed.body.percent).toBe(60);
    expect(passed.body.passed).toBe(true);
  });

  it('gives no points for a multiple choice with an extra key', async () => {
    const token = await server.loginAs('overchooser');
    const view = (await startAttempt(token, 'all')).body;
    await saveAnswer(token, view, 'q2', ['A', 'B', 'C']);

    const response = await submit(token, view.id);

    expect(response.body.score).toBe(0);
    const q2 = response.body.questions.find((item) => item.stem === 'q2 stem');
    expect(q2?.correct).toBe(false);
  });

  it('scores an attempt without answers as zero', async () => {
    const token = await server.loginAs('blank');
    const view = (await startAttempt(token, 'all')).body;

    const response = await submit(token, view.id);

    expect(response.body.score).toBe(0);
    expect(response.body.maxScore).toBe(10);
    expect(response.body.passed).toBe(false);
    expect(response.body.questions.every((item) => item.choice.length === 0)).toBe(true);
  });

  it('uses the quiz points per question', async () => {
    const token = await server.loginAs('pointed');
    const view = (await startAttempt(token, 'pick')).body;
    const correct: Record<string, string[]> = { q1: ['B'], q2: ['A', 'C'], q4: ['D'] };
    const first = view.questions[0];
    const fixtureId = first?.stem.split(' ')[0] ?? '';
    await saveAnswer(token, view, fixtureId, correct[fixtureId]);

    const response = await submit(token, view.id);

    expect(response.body.score).toBe(10);
    expect(response.body.maxScore).toBe(20);
    expect(response.body.percent).toBe(50);
  });

  it('returns the same result when submitted twice', async () => {
    const token = await server.loginAs('double');
    const view = (await startAttempt(token, 'all')).body;
    await saveAnswer(token, view, 'q1', ['B']);

    const first = await submit(token, view.id);
    const second = await submit(token, view.id);

    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await AttemptResultModel.countDocuments({ attemptId: view.id })).toBe(1);
  });

  it('stores one result when submits run concurrently', async () => {
    const token = await server.loginAs('double-concurrent');
    const view = (await startAttempt(token, 'all')).body;
    await saveAnswer(token, view, 'q4', ['D']);

    const responses = await Promise.all([1, 2, 3, 4].map(() => submit(token, view.id)));

    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(response.body.score).toBe(4);
      expect(response.body.submittedAt).toBe(responses[0]?.body.submittedAt);
    }
    expect(await AttemptResultModel.countDocuments({ attemptId: view.id })).toBe(1);
  });

  it('marks the attempt submitted', async () => {
    const token = await server.loginAs('marker');
    const view = (await startAttempt(token, 'all')).body;

    await submit(token, view.id);
    const read = await server.request<AttemptView>('GET', `/api/attempts/${view.id}`, { token });

    expect(read.body.state).toBe('submitted');
  });
});

describe('GET /api/attempts/:id/result', () => {
  it('returns 409 before submit and the stored result after', async () => {
    const token = await server.loginAs('result-reader');
    const view = (await startAttempt(token, 'all')).body;
    await saveAnswer(token, view, 'q3', ['F']);

    const before = await server.request<ApiErrorBody>('GET', `/api/attempts/${view.id}/result`, {
      token,
    });
    const submitted = await submit(token, view.id);
    const after = await server.request<AttemptResult>('GET', `/api/attempts/${view.id}/result`, {
      token,
    });

    expect(before.status).toBe(409);
    expect(before.body.error.id).toBe('attempt_not_submitted');
    expect(after.status).toBe(200);
    expect(after.body).toEqual(submitted.body);
    expect(after.body.score).toBe(1);
  });

  it('returns 404 for an unknown attempt', async () => {
    const token = await server.loginAs('result-reader');

    const response = await server.request<ApiErrorBody>(
      'GET',
      `/api/attempts/${new Types.ObjectId().toString()}/result`,
      { token },
    );

    expect(response.status).toBe(404);
  });
});

describe('time limit', () => {
  it('rejects late saves and grades earlier ones', async () => {
    const token = await server.loginAs('slowpoke');
    const view = (await startAttempt(token, 'timed')).body;
    const deadline = Date.parse(view.deadline ?? '');
    expect(deadline - Date.parse(view.startedAt)).toBe(2000);
    expect((await saveAnswer(token, view, 'q1', ['B'])).status).toBe(200);

    await sleep(Math.max(0, deadline - Date.now()) + 200);
    const late = await saveAnswer(token, view, 'q4', ['D']);
    const result = await submit(token, view.id);

    expect(late.status).toBe(409);
    expect(late.body.error.id).toBe('attempt_expired');
    expect(result.status).toBe(200);
    expect(result.body.score).toBe(2);
    expect(Date.parse(result.body.submittedAt)).toBeGreaterThan(deadline);
  });

  it('grades an expired attempt and starts a new one', async () => {
    const token = await server.loginAs('expirer');
    const first = (await startAttempt(token, 'timed')).body;
    await saveAnswer(token, first, 'q4', ['D']);
    await sleep(Math.max(0, Date.parse(first.deadline ?? '') - Date.now()) + 200);

    const second = await startAttempt(token, 'timed');
    const firstResult = await server.request<AttemptResult>(
      'GET',
      `/api/attempts/${first.id}/result`,
      { token },
    );

    expect(second.status).toBe(200);
    expect(second.body.id).not.toBe(first.id);
    expect(firstResult.status).toBe(200);
    expect(firstResult.body.score).toBe(4);
  });
});
