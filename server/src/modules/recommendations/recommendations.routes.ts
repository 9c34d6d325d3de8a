import Router from '@koa/router';
import type { RecommendationsResponse } from '@wxlearn/api-types';
import type { AppDeps } from '../../app.js';
import { requireLearner } from '../../http/authenticate.js';
import { getCatalogSnapshot } from '../catalog/catalog-snapshot.js';
import { presentRecommendations } from './recommendations.presenter.js';
import { RecommendationService } from './recommendations.service.js';

/** Picks shown on the home page. */
export const RECOMMENDATIONS_SHOWN = 5;
/** Most picks of one category among those shown. */
const MAX_PER_CATEGORY = 2;
/** Extra picks asked for, to replace picks of courses unpublished since the model was built. */
const SPARE_PICKS = 3;
/** The first request of a server copy waits this long for the first model build, then gets 503. */
const FIRST_BUILD_WAIT_MS = 10_000;

export function createRecommendationsRouter(deps: AppDeps): Router {
  const service = new RecommendationService({
    logger: deps.logger.child({ component: 'recommendations' }),
    modelTtlMs: deps.config.RECOMMENDATION_MODEL_TTL_MINUTES * 60_000,
    firstBuildWaitMs: FIRST_BUILD_WAIT_MS,
    now: () => deps.now?.() ?? new Date(),
  });
  const router = new Router({ prefix: '/api/me/recommendations' });
  router.use(requireLearner(deps.auth));

  router.get('/', async (ctx) => {
    const { model, picks } = await service.recommendFor(ctx.state.learnerId, {
      limit: RECOMMENDATIONS_SHOWN + SPARE_PICKS,
      maxPerCategory: MAX_PER_CATEGORY,
    });
    const { byId } = await getCatalogSnapshot();
    const body: RecommendationsResponse = presentRecommendations(
      model,
      picks,
      byId,
      RECOMMENDATIONS_SHOWN,
    );
    ctx.body = body;
  });

  return router;
}
