import Router from '@koa/router';
import type { PushRunList } from '@wxlearn/api-types';
import type { AppDeps } from '../../app.js';
import { parseInput } from '../../http/validate.js';
import { requireOperator } from '../admin/require-operator.js';
import { presentPushRun } from './push.presenter.js';
import { listPushRuns } from './push-runs.service.js';
import { pushRunsQuery } from './push.schemas.js';

/** Operators' routes of the weekly push: the report of each run. */
export function createPushAdminRouter(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/admin/push' });
  router.use(requireOperator(deps.auth));

  router.get('/runs', async (ctx) => {
    const { limit } = parseInput(pushRunsQuery, ctx.query, 'push runs query');
    const body: PushRunList = { items: (await listPushRuns(limit)).map(presentPushRun) };
    ctx.body = body;
  });

  return router;
}
