// Test controls of the official account under /sandbox/official-account/. None exist at WeChat.
import Router from '@koa/router';
import { z } from 'zod';
import type { SandboxContext } from './context.js';
import { parseBody } from './dev-controls.js';
import type { OfficialAccountArea } from './official-account.js';
import {
  deliverRequestSchema,
  deliverToWebhook,
  verifyUrlRequestSchema,
  verifyWebhookUrl,
} from './official-account-webhook.js';

export const webhookSettingsSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  token: z.string().regex(/^[A-Za-z0-9]{3,32}$/, 'must be 3 to 32 letters or digits'),
  encodingAesKey: z.string().regex(/^[A-Za-z0-9+/]{43}$/, 'must be 43 base64 characters'),
  appId: z.string().min(1).max(64),
  originalId: z
    .string()
    .regex(/^gh_[0-9a-f]{12}$/, 'must be gh_ followed by 12 hex digits')
    .default('gh_5a4db1c0ffee'),
});

export function createOfficialAccountControlsRouter(
  context: SandboxContext,
  area: OfficialAccountArea,
): Router {
  const router = new Router({ prefix: '/sandbox/official-account' });

  // Sets the webhook that deliveries go to, as the server settings page of the account does.
  router.post('/webhook', async (ctx) => {
    const settings = await parseBody(ctx, webhookSettingsSchema);
    if (settings === undefined) return;
    if (!context.apps.has(settings.appId)) {
      ctx.status = 400;
      ctx.body = {
        error: {
          id: 'invalid_request',
          message: `AppID ${settings.appId} is not a sandbox account: add it to otherApps`,
        },
      };
      return;
    }
    area.configureWebhook(settings);
    ctx.body = { url: settings.url, appId: settings.appId, originalId: settings.originalId };
  });

  // Posts a message or event to the webhook as WeChat does and returns every attempt's reply.
  router.post('/deliver', async (ctx) => {
    const request = await parseBody(ctx, deliverRequestSchema);
    if (request === undefined) return;
    const result = await deliverToWebhook(context, area, request);
    if (!result.ok) {
      ctx.status = result.status;
      ctx.body = { error: { id: 'not_deliverable', message: result.message } };
      return;
    }
    ctx.body = result.outcome;
  });

  // Sends the URL verification GET and reports whether the reply was the echostr.
  router.post('/verify-url', async (ctx) => {
    const request = await parseBody(ctx, verifyUrlRequestSchema);
    if (request === undefined) return;
    const result = await verifyWebhookUrl(context, area, request);
    if (!result.ok) {
      ctx.status = result.status;
      ctx.body = { error: { id: 'not_deliverable', message: result.message } };
      return;
    }
    ctx.body = result.outcome;
  });

  router.get('/custom-messages', (ctx) => {
    ctx.body = { messages: area.customMessages() };
  });

  router.get('/qr-codes', (ctx) => {
    ctx.body = { qrCodes: area.qrCodes() };
  });

  router.get('/menus', (ctx) => {
    ctx.body = { menus: area.menus() };
  });

  return router;
}
