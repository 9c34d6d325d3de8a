/**
 * Child process for the multi-process push tests: one server copy's push scheduler, started as
 * the server starts it, against the test database and the test's sandbox. It writes its logs as
 * JSON lines to standard output, plus `{"event":"report",...}` when a run it owns completes, and
 * stops on SIGTERM.
 *
 * Environment: MONGODB_URI, WECHAT_API_BASE_URL, WECHAT_APP_ID, WECHAT_APP_SECRET,
 * WECHAT_OA_APP_ID, WECHAT_OA_APP_SECRET, PUSH_TEMPLATE_ID, PUSH_CRON, PUSH_LEASE_MS,
 * PUSH_HEARTBEAT_MS, PUSH_BATCH_SIZE.
 */
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import { createLogger } from '../../src/logger.js';
import { PopularCoursePicks } from '../../src/modules/push/picks.js';
import { PushRunner, type ClaimedRun } from '../../src/modules/push/runner.js';
import { PushScheduler } from '../../src/modules/push/scheduler.js';
import { AccessTokenStore } from '../../src/wechat/access-token-store.js';
import { WechatClient } from '../../src/wechat/api-client.js';
import { PushMessageClient } from '../../src/wechat/push-messages.js';

function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is missing`);
  return value;
}

const baseUrl = requireEnv('WECHAT_API_BASE_URL');
const appId = requireEnv('WECHAT_APP_ID');
const appSecret = requireEnv('WECHAT_APP_SECRET');
const officialAccountAppId = requireEnv('WECHAT_OA_APP_ID');
const logger = createLogger({ level: 'info' }, process.stdout);

await connectDatabase(requireEnv('MONGODB_URI'), logger);
const tokens = new AccessTokenStore({
  wechat: new WechatClient({ baseUrl, appId, appSecret, timeoutMs: 5_000, logger }),
  apps: [
    { appId, appSecret },
    { appId: officialAccountAppId, appSecret: requireEnv('WECHAT_OA_APP_SECRET') },
  ],
  logger,
});
const runner = new PushRunner({
  client: new PushMessageClient({
    baseUrl,
    timeoutMs: 5_000,
    tokens,
    officialAccountAppId,
    miniProgramAppId: appId,
    logger,
  }),
  settings: {
    templateId: requireEnv('PUSH_TEMPLATE_ID'),
    subscribeTemplateId: null,
    miniProgramAppId: appId,
    ratePerSecond: 5_000,
    concurrency: 50,
  },
  createPickSource: () => new PopularCoursePicks(),
  logger,
  batchSize: Number(requireEnv('PUSH_BATCH_SIZE')),
  heartbeatIntervalMs: Number(requireEnv('PUSH_HEARTBEAT_MS')),
  progressLogIntervalMs: 1_000,
});
const reporting = {
  async run(claimed: ClaimedRun) {
    const report = await runner.run(claimed);
    if (report !== null) process.stdout.write(`${JSON.stringify({ event: 'report', report })}\n`);
    return report;
  },
  stop: () => runner.stop(),
};
const scheduler = new PushScheduler({
  cronExpression: requireEnv('PUSH_CRON'),
  timeZone: 'Asia/Shanghai',
  runner: reporting,
  logger,
  leaseMs: Number(requireEnv('PUSH_LEASE_MS')),
}).start();

process.once('SIGTERM', () => {
  scheduler.stop();
  void disconnectDatabase().then(() => process.exit(0));
});
