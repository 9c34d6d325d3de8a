// Test controls of the push endpoints under /sandbox/push/. None exist at WeChat.
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { SandboxContext } from './context.js';
import { parseBody, sendInvalidRequest } from './dev-controls.js';
import type { OfficialAccountArea } from './official-account.js';
import { PUSH_ENDPOINTS, SIMULATED_PUSH_ERRCODES, type PushArea, type PushFaults } from './push.js';

/** Largest control body. Seeding many followers or grants sends up to 5,000 entries at once. */
const MAX_CONTROL_BODY_BYTES = 1024 * 1024;
const MAX_ENTRIES = 5_000;

const openidSchema = z.string().min(1).max(128);

const followersSchema = z.strictObject({
  appId: z.string().min(1).max(64),
  openids: z.array(openidSchema).min(1).max(MAX_ENTRIES),
  subscribed: z.boolean().default(true),
});

const subscriptionsSchema = z.strictObject({
  grants: z
    .array(
      z.strictObject({
        openid: openidSchema,
        templateId: z.string().min(1).max(128),
        count: z.number().int().positive().max(1_000).default(1),
      }),
    )
    .min(1)
    .max(MAX_ENTRIES),
});

const faultsSchema = z.strictObject({
  endpoint: z.enum(PUSH_ENDPOINTS),
  delayMs: z.number().int().min(0).max(60_000).default(0),
  responseDelayMs: z.number().int().min(0).max(60_000).default(0),
  errors: z
    .array(
      z.strictObject({
        errcode: z.union(SIMULATED_PUSH_ERRCODES.map((errcode) => z.literal(errcode))),
        /** Calls to fail; every matching call when absent. */
        count: z.number().int().positive().optional(),
        /** Recipients to fail; every recipient when absent. */
        touser: z.array(openidSchema).max(MAX_ENTRIES).optional(),
      }),
    )
    .max(20)
    .default([]),
});

const listQuerySchema = z.object({
  touser: z.string().optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
});

/** Reads and validates a control body of up to 1 MiB (parseBody). */
function parseControlBody<T>(ctx: Context, schema: z.ZodType<T>): Promise<T | undefined> {
  return parseBody(ctx, schema, MAX_CONTROL_BODY_BYTES);
}

/** Sends one page of messages, optionally of one recipient, or 400 for an invalid query. */
function sendPage<T extends { touser: string }>(ctx: Context, items: T[]): void {
  const query = listQuerySchema.safeParse(ctx.query);
  if (!query.success) {
    sendInvalidRequest(ctx, z.prettifyError(query.error));
    return;
  }
  const { touser, offset, limit } = query.data;
  const matching = touser === undefined ? items : items.filter((item) => item.touser === touser);
  ctx.body = { total: matching.length, messages: matching.slice(offset, offset + limit) };
}

export function createPushControlsRouter(
  context: SandboxContext,
  area: PushArea,
  officialAccount: Pick<OfficialAccountArea, 'follower'>,
): Router {
  const router = new Router({ prefix: '/sandbox/push' });

  // Makes users follow (or unfollow) an official account, as a subscribe event would, without
  // sending the event to the webhook.
  router.post('/followers', async (ctx) => {
    const request = await parseControlBody(ctx, followersSchema);
    if (request === undefined) return;
    if (!context.apps.has(request.appId) || request.appId === context.miniProgram.appId) {
      sendInvalidRequest(ctx, `AppID ${request.appId} is not a sandbox official account`);
      return;
    }
    const now = context.clock.now();
    for (const openid of request.openids) {
      const follower = officialAccount.follower(request.appId, openid);
      follower.subscribed = request.subscribed;
      if (request.subscribed) follower.subscribedAt = now;
    }
    ctx.body = { count: request.openids.length };
  });

  // Records that users accepted subscription messages, as wx.requestSubscribeMessage does.
  router.post('/subscriptions', async (ctx) => {
    const request = await parseControlBody(ctx, subscriptionsSchema);
    if (request === undefined) return;
    for (const grant of request.grants) {
      area.grantSubscription(grant.openid, grant.templateId, grant.count);
    }
    ctx.body = { count: request.grants.length };
  });

  router.get('/subscriptions', (ctx) => {
    const openid = typeof ctx.query.openid === 'string' ? ctx.query.openid : '';
    const templateId = typeof ctx.query.templateId === 'string' ? ctx.query.templateId : '';
    if (openid === '' || templateId === '') {
      sendInvalidRequest(ctx, 'openid and templateId query parameters are required');
      return;
    }
    ctx.body = { openid, templateId, remaining: area.remainingGrants(openid, templateId) };
  });

  // Replaces the latency and the failures of one endpoint. An empty body for an endpoint clears them.
  router.post('/faults', async (ctx) => {
    const request = await parseControlBody(ctx, faultsSchema);
    if (request === undefined) return;
    const faults: PushFaults = {
      delayMs: request.delayMs,
      responseDelayMs: request.responseDelayMs,
      rules: request.errors.map((rule) => ({
        errcode: rule.errcode,
        remaining: rule.count ?? null,
        touser: rule.touser === undefined ? null : new Set(rule.touser),
      })),
    };
    area.setFaults(request.endpoint, faults);
    ctx.body = { endpoint: request.endpoint, rules: faults.rules.length };
  });

  router.get('/summary', (ctx) => {
    ctx.body = area.summary();
  });

  router.get('/template-messages', (ctx) => {
    sendPage(ctx, area.templateMessages());
  });

  router.get('/subscribe-messages', (ctx) => {
    sendPage(ctx, area.subscribeMessages());
  });

  return router;
}
