import Router from '@koa/router';
import type { AttemptResult, AttemptView, QuizDetail, QuizPage } from '@wxlearn/api-types';
import type { AppDeps } from '../../app.js';
import { requireLearner } from '../../http/authenticate.js';
import { parseInput } from '../../http/validate.js';
import { getAttempt, getAttemptResult, saveAnswer, submitAttempt } from './attempts.service.js';
import { presentAttempt, presentQuizDetail, presentResult } from './quizzes.presenter.js';
import {
  answerParams,
  attemptParams,
  quizListQuery,
  quizParams,
  saveAnswerBody,
} from './quizzes.schemas.js';
import { getQuiz, listQuizzes, startAttempt } from './quizzes.service.js';

export function createQuizzesRouter(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api' });
  router.use(['/quizzes', '/attempts'], requireLearner(deps.auth));

  router.get('/quizzes', async (ctx) => {
    const { page, pageSize } = parseInput(quizListQuery, ctx.query, 'quiz list query');
    const { items, total } = await listQuizzes(page, pageSize);
    const body: QuizPage = { items: items.map(presentQuizDetail), page, pageSize, total };
    ctx.body = body;
  });

  router.get('/quizzes/:id', async (ctx) => {
    const { id } = parseInput(quizParams, ctx.params, 'quiz id');
    const body: QuizDetail = presentQuizDetail(await getQuiz(id));
    ctx.body = body;
  });

  router.post('/quizzes/:id/attempts', async (ctx) => {
    const { id } = parseInput(quizParams, ctx.params, 'quiz id');
    const body: AttemptView = presentAttempt(
      await startAttempt(ctx.state.learnerId, id, new Date()),
    );
    ctx.body = body;
  });

  router.get('/attempts/:id', async (ctx) => {
    const { id } = parseInput(attemptParams, ctx.params, 'attempt id');
    const body: AttemptView = presentAttempt(await getAttempt(ctx.state.learnerId, id));
    ctx.body = body;
  });

  router.put('/attempts/:id/answers/:questionId', async (ctx) => {
    const { id, questionId } = parseInput(answerParams, ctx.params, 'answer path');
    const { choice } = parseInput(saveAnswerBody, ctx.request.body, 'answer');
    await saveAnswer(ctx.state.learnerId, id, questionId, choice, new Date());
    ctx.body = { saved: true };
  });

  router.post('/attempts/:id/submit', async (ctx) => {
    const { id } = parseInput(attemptParams, ctx.params, 'attempt id');
    const submitted = await submitAttempt(ctx.state.learnerId, id, new Date());
    const { score, maxScore, passed } = submitted.result;
    ctx.state.log.info({ attemptId: id, score, maxScore, passed }, 'attempt submitted');
    const body: AttemptResult = presentResult(submitted);
    ctx.body = body;
  });

  router.get('/attempts/:id/result', async (ctx) => {
    const { id } = parseInput(attemptParams, ctx.params, 'attempt id');
    const body: AttemptResult = presentResult(await getAttemptResult(ctx.state.learnerId, id));
    ctx.body = body;
  });

  return router;
}
