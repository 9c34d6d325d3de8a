import Router from '@koa/router';
import type {
  CreateOrderResponse,
  DevPayOrderResponse,
  OrderView,
  PaymentReviewListResponse,
  RefundView,
} from '@wxlearn/api-types';
import type { Middleware } from 'koa';
import type { AppDeps } from '../../app.js';
import { conflict, wechatUnavailable } from '../../errors.js';
import { requireLearner } from '../../http/authenticate.js';
import { parseInput } from '../../http/validate.js';
import { notificationHeaders } from '../../wechat/pay-notification.js';
import { requestSandboxPayment } from '../../wechat/pay-sandbox-client.js';
import { requireOperator } from '../admin/require-operator.js';
import { NOTIFICATION_DEADLINE_MS, handleNotification, withinDeadline } from './notifications.js';
import { presentOrder, presentPaymentReview, presentRefund } from './orders.presenter.js';
import { createOrderBody, createRefundBody, idParams } from './orders.schemas.js';
import { createOrder, findLearnerOrder, pollLearnerOrder } from './orders.service.js';
import { payContextOf, requirePayContext } from './pay-context.js';
import { readRawBody } from '../../http/raw-body.js';
import { requestRefund } from './refunds.service.js';
import { listPaymentReviews } from './reviews.service.js';

/** Paths where WeChat Pay posts notifications; their handler reads the raw body itself. */
export const PAY_NOTIFY_PATH = '/api/pay/notify';
export const PAY_REFUND_NOTIFY_PATH = '/api/pay/refund-notify';

/** WeChat Pay's notifications are a few hundred bytes; anything far larger is not one. */
const NOTIFICATION_MAX_BYTES = 64 * 1024;

/**
 * Keeps @koa/bodyparser away from the WeChat Pay notifications: their signature covers the exact
 * bytes, which a parsed and serialised body would not keep. Mount it before the body parser.
 */
export function skipBodyParserForPayNotifications(): Middleware {
  return async (ctx, next) => {
    if (ctx.path === PAY_NOTIFY_PATH || ctx.path === PAY_REFUND_NOTIFY_PATH) {
      (ctx as { disableBodyParser?: boolean }).disableBodyParser = true;
    }
    await next();
  };
}

/**
 * Routes of paid courses: learners' orders, WeChat Pay's notifications, the operators' refunds
 * and review list, and in development the sandbox payment of an order.
 */
export function createOrdersRouter(deps: AppDeps): Router {
  const router = new Router();
  const learner = requireLearner(deps.auth);
  const operator = requireOperator(deps.auth);

  router.post('/api/orders', learner, async (ctx) => {
    const { courseId } = parseInput(createOrderBody, ctx.request.body, 'order request');
    const context = requirePayContext(deps, ctx.state.log);
    const created = await createOrder(context, ctx.state.learnerId, courseId, ctx.state.log);
    const body: CreateOrderResponse = {
      order: presentOrder(created.order),
      payment: created.payment,
      reused: created.reused,
    };
    ctx.status = created.reused ? 200 : 201;
    ctx.body = body;
  });

  router.get('/api/orders/:id', learner, async (ctx) => {
    const { id } = parseInput(idParams, ctx.params, 'order id');
    const context = payContextOf(deps, ctx.state.log);
    const order = await pollLearnerOrder(context, ctx.state.learnerId, id, ctx.state.log);
    const body: OrderView = presentOrder(order);
    ctx.body = body;
  });

  for (const path of [PAY_NOTIFY_PATH, PAY_REFUND_NOTIFY_PATH]) {
    router.post(path, async (ctx) => {
      const context = requirePayContext(deps, ctx.state.log);
      const rawBody = await readRawBody(ctx.req, NOTIFICATION_MAX_BYTES);
      const headers = notificationHeaders((name) => ctx.get(name));
      const reply = await withinDeadline(
        handleNotification(context, headers, rawBody, ctx.state.log),
        NOTIFICATION_DEADLINE_MS,
        ctx.state.log,
      );
      ctx.status = reply.status;
      if (reply.body) ctx.body = reply.body;
    });
  }

  router.post('/api/admin/orders/:id/refunds', operator, async (ctx) => {
    const { id } = parseInput(idParams, ctx.params, 'order id');
    const { amountFen, reason } = parseInput(createRefundBody, ctx.request.body, 'refund request');
    const context = requirePayContext(deps, ctx.state.log);
    const refund = await requestRefund(
      context,
      id,
      { amountFen, reason, requestedBy: ctx.state.operator },
      ctx.state.log,
    );
    const body: RefundView = presentRefund(refund);
    ctx.status = 201;
    ctx.body = body;
  });

  router.get('/api/admin/orders/reviews', operator, async (ctx) => {
    const items = await listPaymentReviews();
    const body: PaymentReviewListResponse = {
      items: items.map(({ payment, order }) => presentPaymentReview(payment, order)),
    };
    ctx.body = body;
  });

  const sandboxUrl = deps.config.WECHAT_SANDBOX_URL;
  if (deps.config.WECHAT_DEV_LOGIN && sandboxUrl) {
    // Development only, like /api/dev/login-code: the H5 build has no wx.requestPayment, so the
    // server requests the WeChat sandbox to pay the learner's order as its payer would.
    router.post('/api/dev/orders/:id/pay', learner, async (ctx) => {
      const { id } = parseInput(idParams, ctx.params, 'order id');
      const order = await findLearnerOrder(ctx.state.learnerId, id);
      if (order.state !== 'pending') {
        throw conflict(
          'order_not_pending',
          `Order ${id} is ${order.state}: only a pending order can be paid`,
        );
      }
      await requestSandboxPayment(
        sandboxUrl,
        order.outTradeNo,
        deps.config.WECHAT_TIMEOUT_MS,
      ).catch((error: unknown) => {
        ctx.state.log.warn({ err: error }, 'sandbox payment failed');
        throw wechatUnavailable('The WeChat sandbox did not accept the payment: is it running?');
      });
      const body: DevPayOrderResponse = { accepted: true };
      ctx.status = 202;
      ctx.body = body;
    });
  }

  return router;
}
