/**
 * WeChat sandbox: a local stand-in for the WeChat server APIs that our server calls, for
 * development and tests only. It follows WeChat's documented request and response shapes and
 * errcodes but never contacts WeChat, keeps all state in memory, and adds test controls under
 * /sandbox/ that WeChat does not have. Each WeChat area lives in its own module (login.ts,
 * token.ts, official-account.ts, pay.ts, push.ts); dev-controls.ts contains the /sandbox/ routes,
 * and official-account-controls.ts, pay-controls.ts and push-controls.ts those under
 * /sandbox/official-account/, /sandbox/pay/ and /sandbox/push/.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { pino, type Logger } from 'pino';
import {
  CallCounter,
  createClock,
  defaultBehaviour,
  type AppCredentials,
  type CountedEndpoint,
  type SandboxContext,
} from './context.js';
import { createDevControlsRouter } from './dev-controls.js';
import { createLoginArea, type LoginCodeGrant, type LoginCodeRequest } from './login.js';
import { createOfficialAccountArea, type OfficialAccountWebhook } from './official-account.js';
import { createOfficialAccountControlsRouter } from './official-account-controls.js';
import { createPayArea, merchantSchema, type SandboxPayMerchantInput } from './pay.js';
import { createPayControlsRouter, notifyCompletedRefunds } from './pay-controls.js';
import { createPushArea } from './push.js';
import { createPushControlsRouter } from './push-controls.js';
import { createTokenArea, type TokenArea } from './token.js';
import { wechatError } from './wechat-errors.js';

export interface SandboxOptions {
  /** AppID of the mini-program; login codes and code2Session belong to it. */
  appId: string;
  appSecret: string;
  /** Further accounts, such as the official account, that may request access tokens. */
  otherApps?: AppCredentials[];
  /** Webhook of the official account; tests usually set it with POST /sandbox/official-account/webhook. */
  officialAccountWebhook?: OfficialAccountWebhook;
  /** The WeChat Pay merchant; tests usually set it with POST /sandbox/pay/merchant. */
  payMerchant?: SandboxPayMerchantInput;
  /** Clock in epoch milliseconds; defaults to Date.now. */
  now?: () => number;
  /** Defaults to a silent logger. */
  logger?: Logger;
}

export interface RunningSandbox {
  /** Base URL such as `http://127.0.0.1:4010`, without a trailing slash. */
  url: string;
  port: number;
  /** Stops accepting connections and resolves once open requests have finished. */
  close(): Promise<void>;
}

export interface Sandbox {
  app: Koa;
  callback: http.RequestListener;
  listen(port?: number, host?: string): Promise<RunningSandbox>;
  isAccessTokenValid(token: string): boolean;
  /** Returns the errcode WeChat sends for this access_token parameter, or null when valid. */
  accessTokenErrcode: TokenArea['accessTokenErrcode'];
  issueLoginCode(request: LoginCodeRequest): LoginCodeGrant;
  callCounts(): Record<CountedEndpoint, number>;
  /** Current sandbox time in epoch milliseconds. */
  now(): number;
  advanceClock(ms: number): void;
  /** Forgets all codes, learners and tokens and restores counts, behaviour and clock. */
  reset(): void;
}

function buildApps(options: SandboxOptions): Map<string, AppCredentials> {
  const apps = new Map<string, AppCredentials>();
  for (const app of [
    { appId: options.appId, appSecret: options.appSecret },
    ...(options.otherApps ?? []),
  ]) {
    if (apps.has(app.appId)) {
      throw new Error(`duplicate sandbox AppID ${app.appId}: give each account its own AppID`);
    }
    apps.set(app.appId, app);
  }
  return apps;
}

export function createSandbox(options: SandboxOptions): Sandbox {
  const context: SandboxContext = {
    miniProgram: { appId: options.appId, appSecret: options.appSecret },
    apps: buildApps(options),
    clock: createClock(options.now ?? Date.now),
    logger: options.logger ?? pino({ level: 'silent' }),
    calls: new CallCounter(),
    behaviour: defaultBehaviour(),
  };
  const { clock, logger } = context;

  const login = createLoginArea(context);
  const tokens = createTokenArea(context);
  const officialAccount = createOfficialAccountArea(
    context,
    tokens.requireAccessToken,
    options.officialAccountWebhook ?? null,
  );
  const pay = createPayArea(
    context,
    options.payMerchant ? merchantSchema.parse(options.payMerchant) : null,
  );
  notifyCompletedRefunds(context, pay);
  const push = createPushArea(context, tokens.requireAccessToken, officialAccount);
  const reset = (): void => {
    login.reset();
    tokens.reset();
    officialAccount.reset();
    pay.reset();
    push.reset();
    context.calls.reset();
    Object.assign(context.behaviour, defaultBehaviour());
    clock.reset();
    logger.info('sandbox reset');
  };
  const devControls = createDevControlsRouter(context, { login, reset });

  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      logger.error({ err: error, method: ctx.method, path: ctx.path }, 'sandbox request failed');
      ctx.status = 500;
      ctx.body = wechatError(-1, clock.now());
    }
  });
  app.use(login.router.routes());
  app.use(tokens.router.routes());
  app.use(officialAccount.router.routes());
  app.use(createOfficialAccountControlsRouter(context, officialAccount).routes());
  app.use(pay.router.routes());
  app.use(createPayControlsRouter(context, pay).routes());
  app.use(push.router.routes());
  app.use(createPushControlsRouter(context, push, officialAccount).routes());
  app.use(devControls.routes());
  app.use(devControls.allowedMethods());
  // An endpoint the sandbox does not implement gets HTTP 404 as well as WeChat's errcode, so
  // that a client calling it fails visibly.
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = ctx.path.startsWith('/sandbox/')
      ? { error: { id: 'not_found', message: `no sandbox control at ${ctx.method} ${ctx.path}` } }
      : wechatError(40066, clock.now());
  });

  const callback: http.RequestListener = app.callback();

  async function listen(port = 0, host = '127.0.0.1'): Promise<RunningSandbox> {
    const server = http.createServer(callback);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return {
      url: `http://${urlHost}:${address.port}`,
      port: address.port,
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          server.closeIdleConnections();
        }),
    };
  }

  return {
    app,
    callback,
    listen,
    isAccessTokenValid: tokens.isAccessTokenValid,
    accessTokenErrcode: tokens.accessTokenErrcode,
    issueLoginCode: login.issueLoginCode,
    callCounts: () => context.calls.snapshot(),
    now: clock.now,
    advanceClock: clock.advance,
    reset,
  };
}
