// Test controls of WeChat Pay under /sandbox/pay/. None exist at WeChat Pay: they configure the
// merchant, pay orders as the payer would, send, spoil or drop notifications, and complete refunds.
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { SandboxContext } from './context.js';
import { parseBody } from './dev-controls.js';
import { merchantSchema, type PayArea } from './pay.js';
import {
  buildPaymentNotification,
  buildRefundNotification,
  deliver,
  deliverySchema,
  notificationBuildSchema,
  type BuiltNotification,
  type Delivery,
} from './pay-notify.js';

const paySchema = deliverySchema.extend({
  /** Amount WeChat Pay reports as paid, in fen; defaults to the order amount. */
  amountFen: z.number().int().min(1).optional(),
  /** `drop` pays without notifying, as when every notification is lost. */
  notify: z.enum(['send', 'drop']).default('send'),
});

const completeRefundSchema = deliverySchema.extend({
  status: z.enum(['SUCCESS', 'ABNORMAL', 'CLOSED']).default('SUCCESS'),
  notify: z.enum(['send', 'drop']).default('send'),
});

function sendError(ctx: Context, status: number, message: string): void {
  ctx.status = status;
  ctx.body = { error: { id: status === 404 ? 'not_found' : 'invalid_request', message } };
}

/** Builds a notification, responding 400 with the reason when the request cannot be met. */
function buildOrFail(ctx: Context, build: () => BuiltNotification): BuiltNotification | undefined {
  try {
    return build();
  } catch (error) {
    sendError(ctx, 400, error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

/**
 * Delivers a notification as requested: in the background with `wait: false` (responding 202),
 * otherwise responding with every attempt.
 */
async function respondWithDelivery(
  ctx: Context,
  context: SandboxContext,
  url: string,
  notification: BuiltNotification,
  delivery: Delivery,
): Promise<void> {
  const sending = deliver(context, url, notification, delivery);
  if (!delivery.wait) {
    sending.catch((error: unknown) =>
      context.logger.error({ err: error }, 'sandbox pay notification failed'),
    );
    ctx.status = 202;
    ctx.body = { notificationId: notification.id, url };
    return;
  }
  ctx.body = await sending;
}

export function createPayControlsRouter(context: SandboxContext, area: PayArea): Router {
  const router = new Router({ prefix: '/sandbox/pay' });

  // Sets the merchant whose requests the sandbox accepts, as the merchant platform would hold it.
  router.post('/merchant', async (ctx) => {
    const merchant = await parseBody(ctx, merchantSchema);
    if (merchant === undefined) return;
    area.configureMerchant(merchant);
    const { serial } = area.signingKey();
    ctx.body = { mchId: merchant.mchId, signWith: merchant.signWith, serial };
  });

  // The platform certificates and the public key, as the merchant platform lets them download.
  router.get('/platform', (ctx) => {
    const keys = area.platformKeys();
    const first = keys[0];
    ctx.body = {
      signingSerial: area.signingKey().serial,
      certificates: keys.map((key) => ({
        serialNo: key.serialNo,
        certificatePem: key.certificatePem,
        publicKeyPem: key.publicKeyPem,
      })),
      publicKeyId: first?.publicKeyId,
      publicKeyPem: first?.publicKeyPem,
    };
  });

  // Issues a new platform certificate that signs from now on; older ones stay listed.
  router.post('/rotate-certificate', (ctx) => {
    const key = area.rotatePlatformKey();
    ctx.body = { serialNo: key.serialNo };
  });

  router.get('/orders/:no', (ctx) => {
    const order = area.order(ctx.params.no ?? '');
    if (!order) return sendError(ctx, 404, `no sandbox order ${ctx.params.no}`);
    ctx.body = {
      ...area.transactionJson(order),
      prepay_id: order.prepayId,
      notify_url: order.notifyUrl,
      refunds: area.refundsOf(order.outTradeNo).map((refund) => ({
        out_refund_no: refund.outRefundNo,
        status: refund.status,
        refund: refund.refundFen,
      })),
    };
  });

  // Pays the order as its payer would in WeChat, then notifies the order's notify_url.
  router.post('/orders/:no/pay', async (ctx) => {
    const request = await parseBody(ctx, paySchema);
    if (request === undefined) return;
    const result = area.payOrder(ctx.params.no ?? '', request.amountFen);
    if (!result.ok) return sendError(ctx, result.status, result.message);
    if (request.notify === 'drop') {
      context.logger.info({ outTradeNo: result.order.outTradeNo }, 'sandbox notification dropped');
      ctx.body = { transactionId: result.order.transactionId, attempts: [] };
      return;
    }
    const notification = buildOrFail(ctx, () =>
      buildPaymentNotification(context, area, result.order, request),
    );
    if (!notification) return;
    await respondWithDelivery(ctx, context, result.order.notifyUrl, notification, request);
  });

  // Notifies a paid order again, as WeChat Pay's retries do, spoiled as requested.
  router.post('/orders/:no/notify', async (ctx) => {
    const request = await parseBody(ctx, deliverySchema);
    if (request === undefined) return;
    const order = area.order(ctx.params.no ?? '');
    if (!order) return sendError(ctx, 404, `no sandbox order ${ctx.params.no}`);
    if (order.tradeState !== 'SUCCESS' && order.tradeState !== 'REFUND') {
      return sendError(ctx, 409, `order ${order.outTradeNo} is ${order.tradeState}, not paid`);
    }
    const notification = buildOrFail(ctx, () =>
      buildPaymentNotification(context, area, order, request),
    );
    if (!notification) return;
    await respondWithDelivery(ctx, context, order.notifyUrl, notification, request);
  });

  // Builds and signs the payment notification without sending it, for tests that post it.
  router.post('/orders/:no/notification', async (ctx) => {
    const request = await parseBody(ctx, notificationBuildSchema);
    if (request === undefined) return;
    const order = area.order(ctx.params.no ?? '');
    if (!order) return sendError(ctx, 404, `no sandbox order ${ctx.params.no}`);
    if (order.tradeState !== 'SUCCESS' && order.tradeState !== 'REFUND') {
      return sendError(ctx, 409, `order ${order.outTradeNo} is ${order.tradeState}, not paid`);
    }
    const notification = buildOrFail(ctx, () =>
      buildPaymentNotification(context, area, order, request),
    );
    if (!notification) return;
    ctx.body = { url: order.notifyUrl, ...notification };
  });

  // Completes a processing refund and notifies its notify_url.
  router.post('/refunds/:no/complete', async (ctx) => {
    const request = await parseBody(ctx, completeRefundSchema);
    if (request === undefined) return;
    const existing = area.refund(ctx.params.no ?? '');
    if (!existing) return sendError(ctx, 404, `no sandbox refund ${ctx.params.no}`);
    const refund = area.completeRefund(existing.outRefundNo, request.status);
    if (request.notify === 'drop' || refund.notifyUrl === null) {
      ctx.body = { status: refund.status, attempts: [] };
      return;
    }
    const notification = buildOrFail(ctx, () =>
      buildRefundNotification(context, area, refund, request),
    );
    if (!notification) return;
    await respondWithDelivery(ctx, context, refund.notifyUrl, notification, request);
  });

  router.get('/calls', (ctx) => {
    ctx.body = { calls: area.calls() };
  });

  return router;
}

/** Notifies refunds that complete by themselves (autoCompleteRefunds) in the background. */
export function notifyCompletedRefunds(context: SandboxContext, area: PayArea): void {
  area.onRefundCompleted((refund) => {
    if (refund.notifyUrl === null) return;
    const notification = buildRefundNotification(context, area, refund, {
      tamper: 'none',
      unknownSerial: false,
      format: 'compact',
      timestampOffsetSeconds: 0,
    });
    const delivery = deliverySchema.parse({ wait: false });
    deliver(context, refund.notifyUrl, notification, delivery).catch((error: unknown) =>
      context.logger.error({ err: error }, 'sandbox refund notification failed'),
    );
  });
}
