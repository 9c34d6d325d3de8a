import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { startLocalDatabase, type LocalDatabase } from '../db/local-database.js';
import { repoRoot } from '../db/paths.js';
import { WEBHOOK_PATH } from '@wxlearn/server/modules/official-account/official-account.routes.js';
import { createSandbox } from '../sandbox/app.js';
import { runToCompletion, startChild, type ManagedChild } from './child-process.js';
import { createLocalMerchant } from './local-pay.js';

/** App id and secret shared by the sandbox and the server in local runs; never WeChat's. */
export const LOCAL_APP_ID = 'wxsandbox00000000';
export const LOCAL_APP_SECRET = 'local-sandbox-secret-not-for-production';

/**
 * The local official account, the bot's service credential and the push templates. Like the app
 * secret above they are known to everyone who reads this file, so they serve only the sandbox.
 */
export const LOCAL_OFFICIAL_ACCOUNT = {
  appId: 'wxsandboxoa000000',
  appSecret: 'local-sandbox-oa-secret-not-for-production',
  originalId: 'gh_localsandbox',
  token: 'localSandboxToken',
  encodingAesKey: 'bG9jYWxTYW5kYm94RW5jb2RpbmdBRVNLZXkwMTIzNDU',
} as const;
export const LOCAL_BOT_SERVICE_TOKEN = 'local-bot-service-token-not-for-production';
export const LOCAL_PUSH_TEMPLATE_ID = 'localWeeklyCourseTemplate';
export const LOCAL_PUSH_SUBSCRIBE_TEMPLATE_ID = 'localWeeklyCourseSubscribe';

export const h5DistDir = path.join(repoRoot, 'miniprogram', 'dist', 'h5');

export interface StackOptions {
  logger: Logger;
  /** Server port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Sandbox port on 127.0.0.1; 0 picks a free one. */
  sandboxPort: number;
  /** Name of the local database cluster under `.data/`, or a throwaway one when ephemeral. */
  databaseName: string;
  /** FerretDB port on 127.0.0.1; 0 or absent picks a free one. */
  mongoPort?: number;
  ephemeral: boolean;
  /** Folder with the public input data; the import runs when the database has no courses. */
  dataDir: string;
  /** Roster size generated for the demo organisation. */
  employees: number;
  quiet?: boolean;
  /**
   * Runs the weekly push on its schedule (a run missed earlier this week starts at once), sending
   * to the sandbox. Off unless set, so tests and benchmarks do not run it in the background.
   */
  weeklyPush?: boolean;
}

export interface RunningStack {
  url: string;
  sandboxUrl: string;
  mongodbUri: string;
  stop(): Promise<void>;
}

/**
 * Starts the database (unless MONGODB_URI is set), the WeChat sandbox, the data import when the
 * database is empty, and the API server that also serves the H5 build. Stops whatever it started
 * when any step fails.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const { logger } = options;
  const stops: (() => Promise<void>)[] = [];
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    for (const stop of stops.reverse())
      await stop().catch((error: unknown) => logger.warn({ err: error }, 'stop failed'));
  };

  try {
    let mongodbUri = process.env.MONGODB_URI;
    if (!mongodbUri) {
      const database: LocalDatabase = await startLocalDatabase({
        name: options.databaseName,
        ephemeral: options.ephemeral,
        mongoPort: options.mongoPort || undefined,
      });
      stops.push(() => database.stop());
      mongodbUri = database.uri;
      void database.ferretdbExited?.then(({ code, signal }) => {
        if (!stopping)
          logger.error(
            { code, signal },
            'FerretDB exited: the server has no database until restarted',
          );
      });
    }

    const port = options.port || (await freePort());
    const oa = LOCAL_OFFICIAL_ACCOUNT;
    const merchant = createLocalMerchant(LOCAL_APP_ID);
    stops.push(async () => merchant.remove());
    const sandbox = await createSandbox({
      appId: LOCAL_APP_ID,
      appSecret: LOCAL_APP_SECRET,
      otherApps: [{ appId: oa.appId, appSecret: oa.appSecret }],
      officialAccountWebhook: {
        url: `http://127.0.0.1:${port}${WEBHOOK_PATH}`,
        token: oa.token,
        encodingAesKey: oa.encodingAesKey,
        appId: oa.appId,
        originalId: oa.originalId,
      },
      payMerchant: merchant.sandboxMerchant,
    }).listen(options.sandboxPort, '127.0.0.1');
    stops.push(() => sandbox.close());

    const childOptions = { cwd: repoRoot, logger, quiet: options.quiet };
    const baseEnv = {
      ...process.env,
      MONGODB_URI: mongodbUri,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    };
    logger.info('importing the public data unless an earlier run finished it (about 15 s)');
    await runToCompletion(
      'import',
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/src/import/cli.ts',
        'all',
        '--if-empty',
        '--data',
        options.dataDir,
        '--employees',
        String(options.employees),
      ],
      // One line per imported file is noise at start-up; warnings and errors still show.
      { ...childOptions, env: { ...baseEnv, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' } },
    );

    const server: ManagedChild = startChild(
      'server',
      process.execPath,
      ['--import', 'tsx', 'server/src/main.ts'],
      {
        ...childOptions,
        env: {
          ...baseEnv,
          NODE_ENV: 'development',
          PORT: String(port),
          HOST: '127.0.0.1',
          WECHAT_APP_ID: LOCAL_APP_ID,
          WECHAT_APP_SECRET: LOCAL_APP_SECRET,
          WECHAT_API_BASE_URL: sandbox.url,
          WECHAT_SANDBOX_URL: sandbox.url,
          WECHAT_DEV_LOGIN: 'true',
          ...merchant.serverEnv(sandbox.url, `http://127.0.0.1:${port}`),
          WECHAT_OA_APP_ID: oa.appId,
          WECHAT_OA_APP_SECRET: oa.appSecret,
          WECHAT_OA_TOKEN: oa.token,
          WECHAT_OA_ENCODING_AES_KEY: oa.encodingAesKey,
          BOT_SERVICE_TOKEN: LOCAL_BOT_SERVICE_TOKEN,
          PUSH_ENABLED: options.weeklyPush ? 'true' : 'false',
          PUSH_TEMPLATE_ID: LOCAL_PUSH_TEMPLATE_ID,
          PUSH_SUBSCRIBE_TEMPLATE_ID: LOCAL_PUSH_SUBSCRIBE_TEMPLATE_ID,
          H5_DIST_DIR: h5DistDir,
        },
      },
    );
    stops.push(() => server.stop());

    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url, server);
    return { url, sandboxUrl: sandbox.url, mongodbUri, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function waitForHealth(url: string, server: ManagedChild): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited = false;
  void server.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline && !exited) {
    const healthy = await fetch(`${url}/api/health`)
      .then((response) => response.ok)
      .catch(() => false);
    if (healthy) return;
    await sleep(250);
  }
  throw new Error(
    exited
      ? 'the server exited during start-up'
      : `the server at ${url} did not become healthy within 60 s`,
  );
}

async function freePort(): Promise<number> {
  const { findFreePort } = await import('../db/processes.js');
  return findFreePort();
}

/** Builds the H5 app for local use unless a build newer than every source file exists. */
export async function ensureH5Build(
  logger: Logger,
  options: { force?: boolean; quiet?: boolean } = {},
) {
  const indexFile = path.join(h5DistDir, 'index.html');
  const miniprogramDir = path.join(repoRoot, 'miniprogram');
  if (!options.force && existsSync(indexFile)) {
    const builtAt = statSync(indexFile).mtimeMs;
    const newestSource = newestMtime([
      path.join(miniprogramDir, 'src'),
      path.join(miniprogramDir, 'config'),
      path.join(repoRoot, 'api-types', 'src'),
    ]);
    if (newestSource < builtAt) {
      logger.info({ dir: h5DistDir }, 'H5 build is up to date');
      return;
    }
  }
  logger.info('building the H5 app (about 30 s)');
  await runToCompletion('h5-build', 'npm', ['run', 'build:h5:dev', '-w', '@wxlearn/miniprogram'], {
    cwd: repoRoot,
    // Test runners set NODE_ENV=test, which makes Taro emit React Refresh hooks without their runtime.
    env: { ...process.env, NODE_ENV: 'production' },
    logger,
    quiet: options.quiet,
  });
}

function newestMtime(dirs: string[]): number {
  let newest = 0;
  const visit = (entry: string) => {
    const stat = statSync(entry);
    if (stat.isDirectory()) {
      for (const child of readdirSync(entry)) visit(path.join(entry, child));
    } else if (stat.mtimeMs > newest) {
      newest = stat.mtimeMs;
    }
  };
  for (const dir of dirs) if (existsSync(dir)) visit(dir);
  return newest;
}
