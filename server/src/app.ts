import { bodyParser } from '@koa/bodyparser';
import { send } from '@koa/send';
import Koa from 'koa';
import type Router from '@koa/router';
import type { Config } from './config.js';
import { errorHandler, requestBodyError } from './http/error-handler.js';
import { createHealthRouter } from './http/health.js';
import { requestContext } from './http/request-context.js';
import type { Logger } from './logger.js';
import { createAdminRouter } from './modules/admin/admin.routes.js';
import { createAssistantAdminRouter } from './modules/assistant/assistant-admin.routes.js';
import {
  createBotChannelRouter,
  createChatBindingRouter,
} from './modules/assistant/assistant-channel.routes.js';
import { createAssistantRouter } from './modules/assistant/assistant.routes.js';
import { AuthService } from './modules/auth/auth.service.js';
import { createAuthRouter } from './modules/auth/auth.routes.js';
import { createCatalogRouter } from './modules/catalog/catalog.routes.js';
import { createHoursRouter } from './modules/hours/hours.routes.js';
import { createLearnersRouter } from './modules/learners/learners.routes.js';
import { createLearningRouter } from './modules/learning/learning.routes.js';
import {
  createOrdersRouter,
  skipBodyParserForPayNotifications,
} from './modules/orders/orders.routes.js';
import {
  createOfficialAccountRouter,
  skipBodyParserForWebhook,
} from './modules/official-account/official-account.routes.js';
import {
  createOfficialAccountService,
  type OfficialAccountService,
} from './modules/official-account/official-account.service.js';
import { createPushAdminRouter } from './modules/push/push-admin.routes.js';
import { createPushRouter } from './modules/push/push.routes.js';
import { createQuizzesRouter } from './modules/quizzes/quizzes.routes.js';
import { createRecommendationsRouter } from './modules/recommendations/recommendations.routes.js';
// The hours models have no routes yet; importing them registers their unique indexes for
// ensureIndexes() at start-up, which the legacy-record import and requirements rely on.
import './jobs/claim.model.js';
import './modules/hours/hour-requirement.model.js';
import './modules/hours/legacy-record.model.js';
import './modules/learning/course-completion.model.js';
import './modules/learning/lesson-progress.model.js';
import type { AccessTokenSource } from './wechat/access-token-source.js';
import { createAccessTokenStore } from './wechat/access-token-store.js';
import { WechatClient } from './wechat/api-client.js';
import { createWechatPay, type WechatPay } from './wechat/pay-client.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  wechat: WechatClient;
  auth: AuthService;
  /** Access tokens of the mini-program and the official account, shared by all server copies. */
  accessTokens: AccessTokenSource;
  /** The official account's webhook and binding flow; null when WECHAT_OA_* are not set. */
  officialAccount: OfficialAccountService | null;
  /** WeChat Pay client and keys; null when the WECHAT_PAY_ variables are not set. */
  pay: WechatPay | null;
  /** Server clock of the learning ledger; tests set it to control time. */
  now?: () => Date;
}

export function createDeps(config: Config, logger: Logger): AppDeps {
  const wechat = new WechatClient({
    baseUrl: config.WECHAT_API_BASE_URL,
    appId: config.WECHAT_APP_ID,
    appSecret: config.WECHAT_APP_SECRET,
    timeoutMs: config.WECHAT_TIMEOUT_MS,
    logger: logger.child({ component: 'wechat' }),
  });
  const auth = new AuthService({ config, wechat, logger: logger.child({ component: 'auth' }) });
  const accessTokens = createAccessTokenStore(
    config,
    wechat,
    logger.child({ component: 'access-tokens' }),
  );
  const officialAccount = createOfficialAccountService(
    config,
    accessTokens,
    logger.child({ component: 'official-account' }),
  );
  const pay = createWechatPay(config, logger.child({ component: 'wechat-pay' }), () => new Date());
  return { config, logger, wechat, auth, accessTokens, officialAccount, pay };
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa({ proxy: deps.config.NODE_ENV === 'production' });
  app.silent = true;

  app.use(requestContext(deps.logger));
  app.use(errorHandler());
  app.use(skipBodyParserForWebhook());
  app.use(skipBodyParserForPayNotifications());
  app.use(
    bodyParser({
      enableTypes: ['json'],
      jsonLimit: `${deps.config.BODY_LIMIT_KB}kb`,
      onError: (error) => {
        throw requestBodyError(error);
      },
    }),
  );

  const routers: Router[] = [
    createHealthRouter(),
    createAuthRouter(deps),
    createLearnersRouter(deps),
    createCatalogRouter(deps),
    createQuizzesRouter(deps),
    createLearningRouter(deps),
    createHoursRouter(deps),
    createAdminRouter(deps),
    createOrdersRouter(deps),
    createAssistantRouter(deps),
    createAssistantAdminRouter(deps),
    createChatBindingRouter(deps),
    createRecommendationsRouter(deps),
    createPushRouter(deps),
    createPushAdminRouter(deps),
  ];
  if (deps.officialAccount) routers.push(createOfficialAccountRouter(deps, deps.officialAccount));
  const botToken = deps.config.BOT_SERVICE_TOKEN;
  if (botToken !== undefined) routers.push(createBotChannelRouter(deps, botToken));
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }

  const h5Dir = deps.config.H5_DIST_DIR;
  if (h5Dir) app.use(serveH5(h5Dir));
  return app;
}

/** Serves the H5 build of the mini-program from the API's origin, so the browser needs no CORS. */
function serveH5(root: string): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path.startsWith('/api/')) return next();

    const path = ctx.path === '/' ? '/index.html' : ctx.path;
    try {
      await send(ctx, path, { root, maxage: path === '/index.html' ? 0 : 3_600_000 });
    } catch (error) {
      // @koa/send rejects paths outside the root (403), malformed encodings (400) and missing files
      // (404). None of them is a server fault, so all end as this app's 404.
      const status = (error as { status?: number }).status;
      if (status !== undefined && status >= 400 && status < 500) return next();
      throw error;
    }
  };
}
