import Router from '@koa/router';
import type { OfficialAccountLinkResponse } from '@wxlearn/api-types';
import type { Middleware } from 'koa';
import type { AppDeps } from '../../app.js';
import { requireLearner } from '../../http/authenticate.js';
import { OfficialAccountCrypto } from '../../wechat/official-account-crypto.js';
import type { OfficialAccountService } from './official-account.service.js';
import { readRawBody } from '../../http/raw-body.js';
import { openMessage, sealReply, verifyUrl } from './webhook-request.js';

/** Path of the webhook, entered as the server URL on the official account's settings page. */
export const WEBHOOK_PATH = '/wechat/official-account';

/** Reply body that means there is nothing to send to the follower. */
const NO_REPLY = 'success';

/**
 * Keeps @koa/bodyparser away from the webhook, whose handler reads the raw XML body itself.
 * Mount it before the body parser.
 */
export function skipBodyParserForWebhook(): Middleware {
  return async (ctx, next) => {
    if (ctx.path === WEBHOOK_PATH) {
      (ctx as { disableBodyParser?: boolean }).disableBodyParser = true;
    }
    await next();
  };
}

export function createOfficialAccountRouter(
  deps: AppDeps,
  service: OfficialAccountService,
): Router {
  const { config } = deps;
  if (
    config.WECHAT_OA_APP_ID === undefined ||
    config.WECHAT_OA_TOKEN === undefined ||
    config.WECHAT_OA_ENCODING_AES_KEY === undefined
  ) {
    throw new Error('the official account is not configured: set the four WECHAT_OA_ variables');
  }
  const crypto = new OfficialAccountCrypto({
    token: config.WECHAT_OA_TOKEN,
    encodingAesKey: config.WECHAT_OA_ENCODING_AES_KEY,
    appId: config.WECHAT_OA_APP_ID,
  });
  const maxBodyBytes = config.BODY_LIMIT_KB * 1024;
  const now = () => deps.now?.() ?? new Date();
  const router = new Router();

  // URL verification, sent when the server URL is saved on the settings page.
  router.get(WEBHOOK_PATH, (ctx) => {
    const echostr = verifyUrl(crypto, ctx.querystring);
    ctx.type = 'text/plain';
    ctx.body = echostr;
  });

  router.post(WEBHOOK_PATH, async (ctx) => {
    const body = await readRawBody(ctx.req, maxBodyBytes);
    const { inbound, encrypted } = openMessage(crypto, ctx.querystring, body, {
      mode: config.WECHAT_OA_MESSAGE_MODE,
      now: now(),
    });
    const replyXml = await service.receive(inbound, ctx.state.log);
    if (replyXml === null) {
      ctx.type = 'text/plain';
      ctx.body = NO_REPLY;
      return;
    }
    ctx.type = 'application/xml';
    ctx.body = sealReply(crypto, replyXml, encrypted, now());
  });

  router.post('/api/me/official-account/link', requireLearner(deps.auth), async (ctx) => {
    const link = await service.createLink(ctx.state.learnerId);
    const response: OfficialAccountLinkResponse = {
      qrUrl: link.qrUrl,
      expiresAt: link.expiresAt.toISOString(),
    };
    ctx.body = response;
  });

  return router;
}
