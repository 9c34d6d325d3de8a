// Helpers for the weekly-push tests: configuration, seeded learners and followers in the database
// and the sandbox, and a runner and scheduler wired to the test server's sandbox.
import { Types } from 'mongoose';
import { CourseModel } from '../src/modules/catalog/course.model.js';
import { LearnerModel } from '../src/modules/learners/learner.model.js';
import { FollowerModel } from '../src/modules/official-account/follower.model.js';
import { ClaimModel } from '../src/jobs/claim.model.js';
import { EnrolmentModel } from '../src/modules/catalog/enrolment.model.js';
import {
  DeliveryAttemptModel,
  DeliveryModel,
  DeliveryResultModel,
} from '../src/modules/push/delivery.model.js';
import {
  InAppNoticeModel,
  PushOpenModel,
  PushOptOutModel,
} from '../src/modules/push/learner-push.model.js';
import { PopularCoursePicks } from '../src/modules/push/picks.js';
import { PushBatchModel } from '../src/modules/push/push-batch.model.js';
import { PushRunModel } from '../src/modules/push/push-run.model.js';
import {
  PushRunner,
  type PushRunnerOptions,
  type PushSettings,
} from '../src/modules/push/runner.js';
import { PushScheduler } from '../src/modules/push/scheduler.js';
import {
  SubscriptionGrantModel,
  SubscriptionGrantUseModel,
} from '../src/modules/push/subscription-grant.model.js';
import { PushMessageClient } from '../src/wechat/push-messages.js';
import { TEST_APP_ID, TEST_OA_APP_ID, type TestServer } from './harness.js';
import { OFFICIAL_ACCOUNT_OVERRIDES } from './official-account-support.js';

export const TEMPLATE_ID = 'weeklyCourseTemplate01';
export const SUBSCRIBE_TEMPLATE_ID = 'weeklyCourseSubscribe01';

/** Configuration overrides with the official account and both push templates. */
export const PUSH_OVERRIDES = {
  ...OFFICIAL_ACCOUNT_OVERRIDES,
  PUSH_TEMPLATE_ID: TEMPLATE_ID,
  PUSH_SUBSCRIBE_TEMPLATE_ID: SUBSCRIBE_TEMPLATE_ID,
};

/** Monday 2026-11-30 09:00 in Asia/Shanghai: the default schedule of week 2026-W49. */
export const W49_SCHEDULED_AT = new Date('2026-11-30T01:00:00Z');

/** Returns an instant `days` days and `hours` hours after the W49 schedule. */
export function afterSchedule(days: number, hours = 0): Date {
  return new Date(W49_SCHEDULED_AT.getTime() + (days * 24 + hours) * 3_600_000);
}

/** Deletes learners, courses and every push record, so the next test starts empty. */
export async function clearPushData(): Promise<void> {
  const models = [
    LearnerModel,
    FollowerModel,
    CourseModel,
    EnrolmentModel,
    DeliveryModel,
    DeliveryAttemptModel,
    DeliveryResultModel,
    PushBatchModel,
    PushRunModel,
    SubscriptionGrantModel,
    SubscriptionGrantUseModel,
    PushOptOutModel,
    InAppNoticeModel,
    PushOpenModel,
    ClaimModel,
  ];
  for (const model of models) await (model as typeof LearnerModel).deleteMany({});
}

export interface SeededLearner {
  learnerId: Types.ObjectId;
  /** Mini-program openid. */
  openid: string;
  /** Official-account openid when the learner follows the account. */
  followerOpenid: string | null;
}

export interface SeedOptions {
  count: number;
  /** Prefix of every openid, unique per test so each test finds its own sandbox records. */
  prefix: string;
  /** Whether learner i follows the official account. */
  follows?: (index: number) => boolean;
}

/** Inserts learners and, for those who follow, followers in the database and in the sandbox. */
export async function seedLearners(
  server: TestServer,
  options: SeedOptions,
): Promise<SeededLearner[]> {
  const now = new Date();
  const learners: SeededLearner[] = Array.from({ length: options.count }, (_, index) => ({
    learnerId: new Types.ObjectId(),
    openid: `${options.prefix}mp${String(index).padStart(7, '0')}`,
    followerOpenid: options.follows?.(index)
      ? `${options.prefix}oa${String(index).padStart(7, '0')}`
      : null,
  }));
  for (let start = 0; start < learners.length; start += 2_000) {
    const chunk = learners.slice(start, start + 2_000);
    await LearnerModel.insertMany(
      chunk.map((learner) => ({
        _id: learner.learnerId,
        openid: learner.openid,
        unionid: null,
        nickname: null,
        lastLoginAt: now,
        createdAt: now,
        updatedAt: now,
      })),
      { lean: true },
    );
    const followers = chunk.filter((learner) => learner.followerOpenid !== null);
    if (followers.length === 0) continue;
    await FollowerModel.insertMany(
      followers.map((learner) => ({
        openid: learner.followerOpenid,
        following: true,
        learnerId: learner.learnerId,
        joinedBy: 'unionid',
      })),
    );
    await sandboxPost(server, '/sandbox/push/followers', {
      appId: TEST_OA_APP_ID,
      openids: followers.map((learner) => learner.followerOpenid),
    });
  }
  return learners;
}

/** Inserts published courses; the first one is the most recent and therefore the first pick. */
export async function seedCourses(titles: string[]): Promise<Types.ObjectId[]> {
  const ids: Types.ObjectId[] = [];
  for (const [index, title] of titles.entries()) {
    const course = await CourseModel.create({
      code: `PUSH-${new Types.ObjectId().toHexString()}`,
      title,
      category: '推送测试',
      published: true,
      createdAt: new Date(Date.now() - index * 1000),
    });
    ids.push(course._id);
  }
  return ids;
}

/** Records one grant in the server (as POST /api/me/subscriptions would) for each learner. */
export async function grantOnServer(learners: SeededLearner[], grantedAt = new Date()) {
  await SubscriptionGrantModel.insertMany(
    learners.map((learner) => ({
      learnerId: learner.learnerId,
      templateId: SUBSCRIBE_TEMPLATE_ID,
      requestId: `req-${new Types.ObjectId().toHexString()}`,
      grantedAt,
    })),
  );
}

/** Records one grant in the sandbox for each learner, as WeChat does when the user accepts. */
export async function grantInSandbox(server: TestServer, learners: SeededLearner[]) {
  await sandboxPost(server, '/sandbox/push/subscriptions', {
    grants: learners.map((learner) => ({
      openid: learner.openid,
      templateId: SUBSCRIBE_TEMPLATE_ID,
    })),
  });
}

export async function sandboxPost(server: TestServer, path: string, body: unknown) {
  const response = await fetch(new URL(path, server.sandbox.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`sandbox ${path} returned HTTP ${response.status}: ${text}`);
  return (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
}

export async function sandboxGet<T>(server: TestServer, path: string): Promise<T> {
  const response = await fetch(new URL(path, server.sandbox.url));
  if (!response.ok) throw new Error(`sandbox ${path} returned HTTP ${response.status}`);
  return (await response.json()) as T;
}

export interface RecordedMessage {
  touser: string;
  templateId: string;
  clientMsgId?: string | null;
  miniprogram?: { appid: string; pagepath: string } | null;
  page?: string | null;
  data: Record<string, string>;
  violations?: string[];
}

/** Returns the template messages the sandbox accepted for openids with the prefix. */
export async function templateMessagesOf(server: TestServer, prefix: string) {
  const listed = await sandboxGet<{ messages: RecordedMessage[] }>(
    server,
    '/sandbox/push/template-messages?limit=10000',
  );
  return listed.messages.filter((message) => message.touser.startsWith(prefix));
}

/** Returns the subscription messages the sandbox accepted for openids with the prefix. */
export async function subscribeMessagesOf(server: TestServer, prefix: string) {
  const listed = await sandboxGet<{ messages: RecordedMessage[] }>(
    server,
    '/sandbox/push/subscribe-messages?limit=10000',
  );
  return listed.messages.filter((message) => message.touser.startsWith(prefix));
}

export interface TestRunnerOverrides extends Partial<Omit<PushRunnerOptions, 'settings'>> {
  settings?: Partial<PushSettings>;
  /** Timeout of each WeChat call. */
  clientTimeoutMs?: number;
}

/** Creates a runner that sends to the test server's sandbox, with small batches and short retry delays. */
export function createTestRunner(
  server: TestServer,
  now: () => Date,
  overrides: TestRunnerOverrides = {},
): PushRunner {
  const { config } = server.deps;
  const { settings, clientTimeoutMs, ...options } = overrides;
  return new PushRunner({
    client: new PushMessageClient({
      baseUrl: server.sandbox.url,
      timeoutMs: clientTimeoutMs ?? 2_000,
      tokens: server.deps.accessTokens,
      officialAccountAppId: TEST_OA_APP_ID,
      miniProgramAppId: TEST_APP_ID,
      logger: server.deps.logger,
    }),
    settings: {
      templateId: config.PUSH_TEMPLATE_ID ?? null,
      subscribeTemplateId: config.PUSH_SUBSCRIBE_TEMPLATE_ID ?? null,
      miniProgramAppId: TEST_APP_ID,
      ratePerSecond: 2_000,
      concurrency: 20,
      ...settings,
    },
    createPickSource: () => new PopularCoursePicks(),
    logger: server.deps.logger,
    now,
    batchSize: 50,
    retry: { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 100 },
    rateLimit: { maxRetries: 5, baseDelayMs: 50, maxDelayMs: 200 },
    ...options,
  });
}

/** Creates a scheduler on the default schedule (Monday 09:00 Asia/Shanghai) with the given clock. */
export function createTestScheduler(runner: PushRunner, server: TestServer, now: () => Date) {
  return new PushScheduler({
    cronExpression: '0 9 * * 1',
    timeZone: 'Asia/Shanghai',
    runner,
    logger: server.deps.logger,
    now,
  });
}
