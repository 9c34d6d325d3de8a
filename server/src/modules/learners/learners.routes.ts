import Router from '@koa/router';
import type { LearnerProfile } from '@wxlearn/api-types';
import type { AppDeps } from '../../app.js';
import { requireLearner } from '../../http/authenticate.js';
import { parseInput } from '../../http/validate.js';
import { presentLearner } from './learner.presenter.js';
import { bindEmployeeBody } from './learners.schemas.js';
import { bindEmployee, getLearnerWithBinding } from './learners.service.js';

export function createLearnersRouter(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/me' });
  router.use(requireLearner(deps.auth));

  router.get('/', async (ctx) => {
    const body: LearnerProfile = presentLearner(await getLearnerWithBinding(ctx.state.learnerId));
    ctx.body = body;
  });

  router.post('/binding', async (ctx) => {
    const { employeeNo, name } = parseInput(bindEmployeeBody, ctx.request.body, 'binding request');
    const learner = await bindEmployee(ctx.state.learnerId, employeeNo, name, new Date());
    const body: LearnerProfile = presentLearner(learner);
    ctx.body = body;
  });

  return router;
}
