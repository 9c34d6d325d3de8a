import Router from '@koa/router';
import type { AskResponse } from '@wxlearn/api-types';
import type { AppDeps } from '../../app.js';
import { ApiError } from '../../errors.js';
import { requireLearner } from '../../http/authenticate.js';
import { parseInput } from '../../http/validate.js';
import { presentAskResponse } from './assistant.presenter.js';
import { askBody } from './assistant.schemas.js';
import { ask, QUESTIONS_PER_MINUTE } from './assistant.service.js';
import { popularFaqEntries } from './conversation.service.js';

const HAS_LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

export function createAssistantRouter(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/assistant' });
  router.use(requireLearner(deps.auth));

  router.post('/ask', async (ctx) => {
    const { question } = parseInput(askBody, ctx.request.body, 'question');
    const now = deps.now?.() ?? new Date();
    let result = await ask({ channel: 'mini_program', learnerId: ctx.state.learnerId }, question, {
      now,
      logger: ctx.state.log,
    });
    if (result.kind === 'rate_limited') {
      ctx.set('Retry-After', String(result.retryAfterSeconds));
      throw new ApiError(
        429,
        'rate_limited',
        `More than ${QUESTIONS_PER_MINUTE} questions in one minute: retry in ${result.retryAfterSeconds} s`,
      );
    }
    // A question that matches no entry (English, pinyin, an unknown topic) gets popular entries.
    if (
      result.kind === 'dont_know' &&
      result.suggestions.length === 0 &&
      HAS_LETTER_OR_DIGIT.test(question)
    ) {
      const popular = await popularFaqEntries(now, ctx.state.log);
      result = {
        kind: 'dont_know',
        suggestions: popular.map((entry) => ({
          entryId: entry.id,
          code: entry.code,
          question: entry.standardQuestion,
        })),
      };
    }
    const body: AskResponse = presentAskResponse(result);
    ctx.body = body;
  });

  return router;
}
