import Router from '@koa/router';
import type { MyHoursResponse } from '@wxlearn/api-types';
import type { AppDeps } from '../../app.js';
import { requireLearner } from '../../http/authenticate.js';
import { parseInput } from '../../http/validate.js';
import { presentMyHours } from './hours.presenter.js';
import { myHoursQuery } from './hours.schemas.js';
import { myHours } from './my-hours.service.js';

export function createHoursRouter(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/me/hours' });
  router.use(requireLearner(deps.auth));

  router.get('/', async (ctx) => {
    const { year } = parseInput(myHoursQuery, ctx.query, 'hours query');
    const now = deps.now?.() ?? new Date();
    const body: MyHoursResponse = presentMyHours(await myHours(ctx.state.learnerId, year, now));
    ctx.body = body;
  });

  return router;
}
