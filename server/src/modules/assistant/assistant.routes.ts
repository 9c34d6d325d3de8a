import Router from '@koa/router';
import type { AskResponse } from '@wxlearn/api-types';
import type { AppDeps } from '../../app.js';
import { ApiError } from '../../errors.js';
import { requireLearner } from '../../http/authenticate.js';
import { parseInput } from '../../http/validate.js';
import { presentAskResponse } from './assistant.presenter.js';
import { askBody } from './assistant.schemas.js';
import { ask, QUESTIONS_PER_MINUTE } from './assistant.service.js';

export function createAssistantRouter(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/assistant' });
  router.use(requireLearner(deps.auth));

  router.post('/ask', async (ctx) => {
    const { question } = parseInput(askBody, ctx.request.body, 'question');
    const result = await ask(
      { channel: 'mini_program', learnerId: ctx.state.learnerId },
      question,
      { now: deps.now?.() ?? new Date(), logger: ctx.state.log },
    );
    if (result.kind === 'rate_limited') {
      ctx.set('Retry-After', String(result.retryAfterSeconds));
      throw new ApiError(
        429,
        'rate_limited',
        `More than ${QUESTIONS_PER_MINUTE} questions in one minute: retry in ${result.retryAfterSeconds} s`,
      );
    }
    const body: AskResponse = presentAskResponse(result);
    ctx.body = body;
  });

  return router;
}
