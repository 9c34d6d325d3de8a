import type { AppDeps } from '../../app.js';
import { PushMessageClient } from '../../wechat/push-messages.js';
import { RecommendationBatch } from '../recommendations/batch.js';
import { PushRunner } from './runner.js';
import { PushScheduler } from './scheduler.js';

/**
 * Starts the weekly push on this server copy, or returns null when PUSH_ENABLED is false.
 * Template messages need the official account (WECHAT_OA_*) and PUSH_TEMPLATE_ID; without them
 * followers get the next channel.
 */
export function startPushJob(deps: AppDeps): { stop(): void } | null {
  const { config } = deps;
  const logger = deps.logger.child({ component: 'push' });
  if (!config.PUSH_ENABLED) {
    logger.info('weekly push disabled: set PUSH_ENABLED=true to send it');
    return null;
  }
  const officialAccountAppId = config.WECHAT_OA_APP_ID ?? null;
  const templateId = officialAccountAppId === null ? null : (config.PUSH_TEMPLATE_ID ?? null);
  if (templateId === null) {
    logger.warn(
      { officialAccount: officialAccountAppId !== null },
      'push template messages off: set WECHAT_OA_* and PUSH_TEMPLATE_ID to send them',
    );
  }
  const client = new PushMessageClient({
    baseUrl: config.WECHAT_API_BASE_URL,
    timeoutMs: config.WECHAT_TIMEOUT_MS,
    tokens: deps.accessTokens,
    officialAccountAppId,
    miniProgramAppId: config.WECHAT_APP_ID,
    logger,
  });
  const runner = new PushRunner({
    client,
    settings: {
      templateId,
      subscribeTemplateId: config.PUSH_SUBSCRIBE_TEMPLATE_ID ?? null,
      miniProgramAppId: config.WECHAT_APP_ID,
      ratePerSecond: config.PUSH_RATE_PER_SECOND,
      concurrency: config.PUSH_CONCURRENCY,
    },
    // A fresh model each run, as of the run's start: this week's enrolments and due dates count.
    createPickSource: () =>
      RecommendationBatch.lazyPickSource({ logger, now: (deps.now ?? (() => new Date()))() }),
    logger,
    now: deps.now,
  });
  return new PushScheduler({
    cronExpression: config.PUSH_CRON,
    timeZone: config.PUSH_TIMEZONE,
    runner,
    logger,
    now: deps.now,
  }).start();
}
