import Router from '@koa/router';
import type {
  HeartbeatBatchResponse,
  LearningSessionView,
  LessonProgressResponse,
  SessionEndResponse,
} from '@wxlearn/api-types';
import type { AppDeps } from '../../app.js';
import { requireLearner } from '../../http/authenticate.js';
import { parseInput } from '../../http/validate.js';
import { DEFAULT_CREDIT_RULES } from './credit-rules.js';
import { presentBatch, presentEnd, presentProgress, presentSession } from './learning.presenter.js';
import {
  endSessionBody,
  heartbeatBatchBody,
  lessonParams,
  sessionParams,
  startSessionBody,
} from './learning.schemas.js';
import { LearningService } from './learning.service.js';

export function createLearningRouter(deps: AppDeps): Router {
  // The clock is read from deps on every call, so tests can set `deps.now` after start-up.
  const learning = new LearningService({
    logger: deps.logger.child({ component: 'learning' }),
    now: () => deps.now?.() ?? new Date(),
  });
  const router = new Router({ prefix: '/api/learning' });
  router.use(requireLearner(deps.auth));

  router.post('/sessions', async (ctx) => {
    const { lessonId, clientSessionId } = parseInput(
      startSessionBody,
      ctx.request.body,
      'session start',
    );
    const state = await learning.startSession(ctx.state.learnerId, lessonId, clientSessionId);
    const body: LearningSessionView = presentSession(
      state,
      DEFAULT_CREDIT_RULES.heartbeatIntervalMs,
    );
    ctx.body = body;
  });

  router.post('/sessions/:id/heartbeats', async (ctx) => {
    const { id } = parseInput(sessionParams, ctx.params, 'session id');
    const { heartbeats } = parseInput(heartbeatBatchBody, ctx.request.body, 'heartbeat batch');
    const body: HeartbeatBatchResponse = presentBatch(
      await learning.recordHeartbeats(ctx.state.learnerId, id, heartbeats),
    );
    ctx.body = body;
  });

  router.post('/sessions/:id/end', async (ctx) => {
    const { id } = parseInput(sessionParams, ctx.params, 'session id');
    const { finalHeartbeat } = parseInput(endSessionBody, ctx.request.body, 'session end');
    const body: SessionEndResponse = presentEnd(
      await learning.endSession(ctx.state.learnerId, id, finalHeartbeat),
    );
    ctx.body = body;
  });

  router.get('/lessons/:lessonId/progress', async (ctx) => {
    const { lessonId } = parseInput(lessonParams, ctx.params, 'lesson id');
    const body: LessonProgressResponse = presentProgress(
      await learning.lessonProgress(ctx.state.learnerId, lessonId),
    );
    ctx.body = body;
  });

  return router;
}
