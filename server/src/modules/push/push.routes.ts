import Router from '@koa/router';
import type {
  PushNoticeList,
  PushOpenResponse,
  PushOptOut,
  PushOptOutStatus,
  SubscriptionGrantResponse,
} from '@wxlearn/api-types';
import type { AppDeps } from '../../app.js';
import { requireLearner } from '../../http/authenticate.js';
import { parseInput } from '../../http/validate.js';
import './models.js';
import { presentNotice } from './push.presenter.js';
import { noticesQuery, openQuery, pushOptOutBody, subscriptionGrantBody } from './push.schemas.js';
import {
  isPushOptedOut,
  listNotices,
  recordOpen,
  recordSubscriptionGrants,
  setPushOptOut,
} from './push.service.js';

export function createPushRouter(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api' });
  const learner = requireLearner(deps.auth);
  const now = () => deps.now?.() ?? new Date();

  // Grants from wx.requestSubscribeMessage: each accepted template allows one message.
  router.post('/me/subscriptions', learner, async (ctx) => {
    const { requestId, results } = parseInput(
      subscriptionGrantBody,
      ctx.request.body,
      'subscription grants',
    );
    const recorded = await recordSubscriptionGrants(
      ctx.state.learnerId,
      requestId,
      results,
      deps.config.PUSH_SUBSCRIBE_TEMPLATE_ID ?? null,
      now(),
    );
    const body: SubscriptionGrantResponse = { recorded };
    ctx.body = body;
  });

  // The subscription template id comes with the opt-out state, so the mini-program reads its push
  // settings in one request.
  router.get('/me/push-opt-out', learner, async (ctx) => {
    const body: PushOptOutStatus = {
      optedOut: await isPushOptedOut(ctx.state.learnerId),
      subscribeTemplateId: deps.config.PUSH_SUBSCRIBE_TEMPLATE_ID ?? null,
    };
    ctx.body = body;
  });

  router.post('/me/push-opt-out', learner, async (ctx) => {
    const { optedOut } = parseInput(pushOptOutBody, ctx.request.body, 'push opt-out');
    const body: PushOptOut = {
      optedOut: await setPushOptOut(ctx.state.learnerId, optedOut, now()),
    };
    ctx.body = body;
  });

  router.get('/me/notices', learner, async (ctx) => {
    const { limit } = parseInput(noticesQuery, ctx.query, 'notices query');
    const notices = await listNotices(ctx.state.learnerId, limit);
    const body: PushNoticeList = { items: notices.map(presentNotice) };
    ctx.body = body;
  });

  // Records the open of a pushed message's link. The mini-program calls it as whichever learner is
  // signed in, who may not be the recipient when the link was forwarded.
  router.get('/push/open', learner, async (ctx) => {
    const { t } = parseInput(openQuery, ctx.query, 'push link');
    const opened = await recordOpen(t, ctx.state.learnerId, now());
    if (!opened.recorded) {
      ctx.state.log.info({ courseId: opened.courseId }, 'push link opened by another learner');
    }
    const body: PushOpenResponse = { path: opened.path, courseId: opened.courseId.toHexString() };
    ctx.body = body;
  });

  return router;
}
