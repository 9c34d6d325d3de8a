// Publishes the official account's custom menu: 学习 opens the mini-program's home page, 我的学时
// opens its hours page, and 常见问题 sends the click key FAQ, which the webhook answers.
//
//   npm run -w @wxlearn/scripts oa-menu [-- --dry-run]
//
// Environment:
//   WECHAT_OA_APP_ID, WECHAT_OA_APP_SECRET  the official account
//   WECHAT_APP_ID                           the mini-program, which must be linked to the account
//   OA_MENU_FALLBACK_URL                    web page for WeChat clients that cannot open it
//   WECHAT_API_BASE_URL                     WeChat's API by default, the sandbox in development
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { z } from 'zod';
import type { AccessTokenSource } from '@wxlearn/server/wechat/access-token-source.js';
import { WechatApiError, WechatClient } from '@wxlearn/server/wechat/api-client.js';
import {
  OfficialAccountClient,
  type OfficialAccountMenu,
} from '@wxlearn/server/wechat/official-account-client.js';
import { MENU_KEYS } from '@wxlearn/server/modules/official-account/official-account.service.js';

/** Pages of the mini-program, as listed in its app config. */
export const MENU_PAGES = {
  home: 'pages/index/index',
  hours: 'packages/me/hours/index',
} as const;

const environmentSchema = z.object({
  WECHAT_API_BASE_URL: z.url().default('https://api.weixin.qq.com'),
  WECHAT_OA_APP_ID: z.string({ error: 'WECHAT_OA_APP_ID is missing' }).min(1),
  WECHAT_OA_APP_SECRET: z.string({ error: 'WECHAT_OA_APP_SECRET is missing' }).min(1),
  WECHAT_APP_ID: z.string({ error: 'WECHAT_APP_ID (the mini-program) is missing' }).min(1),
  OA_MENU_FALLBACK_URL: z.url({
    protocol: /^https?$/,
    error: 'OA_MENU_FALLBACK_URL must be the http(s) page for clients without mini-programs',
  }),
  WECHAT_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
});

export type MenuEnvironment = z.infer<typeof environmentSchema>;

/** Builds the menu for the mini-program with this AppID. */
export function buildMenu(miniProgramAppId: string, fallbackUrl: string): OfficialAccountMenu {
  return {
    button: [
      {
        type: 'miniprogram',
        name: '学习',
        url: fallbackUrl,
        appid: miniProgramAppId,
        pagepath: MENU_PAGES.home,
      },
      {
        type: 'miniprogram',
        name: '我的学时',
        url: fallbackUrl,
        appid: miniProgramAppId,
        pagepath: MENU_PAGES.hours,
      },
      { type: 'click', name: '常见问题', key: MENU_KEYS.faq },
    ],
  };
}

/**
 * Fetches the account's token with stable_token in normal mode, which returns the token the
 * servers already use instead of replacing it. `invalidate` does not force a refresh, because
 * that would cut off the running servers for a one-off command; a rejected token fails the run.
 */
class NormalModeTokenSource implements AccessTokenSource {
  constructor(
    private readonly wechat: WechatClient,
    private readonly secret: string,
  ) {}

  async get(appId: string): Promise<string> {
    return (await this.wechat.stableToken(appId, this.secret, false)).accessToken;
  }

  async invalidate(): Promise<void> {}
}

/** Reads the environment, listing every problem at once. */
export function parseMenuEnvironment(env: NodeJS.ProcessEnv): MenuEnvironment {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
  return parsed.data;
}

/** Replaces the account's menu with buildMenu()'s and returns what was sent. */
export async function publishMenu(
  environment: MenuEnvironment,
  logger: pino.Logger,
): Promise<OfficialAccountMenu> {
  const wechat = new WechatClient({
    baseUrl: environment.WECHAT_API_BASE_URL,
    appId: environment.WECHAT_OA_APP_ID,
    appSecret: environment.WECHAT_OA_APP_SECRET,
    timeoutMs: environment.WECHAT_TIMEOUT_MS,
    logger,
  });
  const client = new OfficialAccountClient({
    baseUrl: environment.WECHAT_API_BASE_URL,
    appId: environment.WECHAT_OA_APP_ID,
    timeoutMs: environment.WECHAT_TIMEOUT_MS,
    tokens: new NormalModeTokenSource(wechat, environment.WECHAT_OA_APP_SECRET),
    logger,
  });
  const menu = buildMenu(environment.WECHAT_APP_ID, environment.OA_MENU_FALLBACK_URL);
  await client.createMenu(menu);
  return menu;
}

async function main(): Promise<void> {
  // Logs go to stderr so that stdout carries only the menu JSON.
  const logger = pino(
    { name: 'oa-menu', level: process.env.LOG_LEVEL ?? 'info' },
    pino.destination(2),
  );
  const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean', default: false } } });

  let environment: MenuEnvironment;
  try {
    environment = parseMenuEnvironment(process.env);
  } catch (error) {
    logger.fatal({ problems: (error as Error).message }, 'invalid menu environment');
    process.exitCode = 1;
    return;
  }

  if (values['dry-run']) {
    const menu = buildMenu(environment.WECHAT_APP_ID, environment.OA_MENU_FALLBACK_URL);
    process.stdout.write(`${JSON.stringify(menu, null, 2)}\n`);
    return;
  }
  try {
    const menu = await publishMenu(environment, logger);
    process.stdout.write(`${JSON.stringify(menu, null, 2)}\n`);
    logger.info({ appId: environment.WECHAT_OA_APP_ID }, 'official account menu published');
  } catch (error) {
    const errcode = error instanceof WechatApiError ? error.errcode : undefined;
    logger.error({ errcode, error: (error as Error).message }, 'publishing the menu failed');
    process.exitCode = 1;
  }
}

// Runs only as a command, so tests can import the functions above.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
