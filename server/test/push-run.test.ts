import { Types } from 'mongoose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EnrolmentModel } from '../src/modules/catalog/enrolment.model.js';
import {
  DeliveryAttemptModel,
  DeliveryModel,
  DeliveryResultModel,
  type Delivery,
} from '../src/modules/push/delivery.model.js';
import { InAppNoticeModel } from '../src/modules/push/learner-push.model.js';
import { KEYWORD_MAX_CHARS } from '../src/modules/push/message-content.js';
import { PushBatchModel } from '../src/modules/push/push-batch.model.js';
import { PUSH_JOB, PushRunModel } from '../src/modules/push/push-run.model.js';
import { findDeliveryStatus, setPushOptOut } from '../src/modules/push/push.service.js';
import type { PushRunReport } from '../src/modules/push/runner.js';
import type { TickOutcome } from '../src/modules/push/scheduler.js';
import { SubscriptionGrantUseModel } from '../src/modules/push/subscription-grant.model.js';
import { ClaimModel } from '../src/jobs/claim.model.js';
import { FollowerModel } from '../src/modules/official-account/follower.model.js';
import { RecommendationBatch } from '../src/modules/recommendations/batch.js';
import { startTestServer, TEST_APP_ID, TEST_OA_APP_ID, type TestServer } from './harness.js';
import {
  afterSchedule,
  clearPushData,
  createTestRunner,
  createTestScheduler,
  grantInSandbox,
  grantOnServer,
  PUSH_OVERRIDES,
  sandboxGet,
  sandboxPost,
  seedCourses,
  seedLearners,
  subscribeMessagesOf,
  templateMessagesOf,
  TEMPLATE_ID,
  W49_SCHEDULED_AT,
} from './push-support.js';

let server: TestServer;
let testNumber = 0;
/** Openid prefix of the current test, so sandbox records of earlier tests are left out. */
let prefix = '';

beforeAll(async () => {
  server = await startTestServer(PUSH_OVERRIDES);
});

afterAll(async () => {
  await server.close();
});

afterEach(async () => {
  await clearPushData();
  for (const endpoint of ['template_send', 'subscribe_send']) {
    await sandboxPost(server, '/sandbox/push/faults', { endpoint });
  }
});

function nextPrefix(): string {
  testNumber += 1;
  prefix = `oT${testNumber}x`;
  return prefix;
}

/** Runs the week-49 push with the scheduler on a clock one hour after the schedule. */
async function runWeek49(overrides: Parameters<typeof createTestRunner>[2] = {}) {
  const now = () => afterSchedule(0, 1);
  const outcome = await createTestScheduler(
    createTestRunner(server, now, overrides),
    server,
    now,
  ).tick();
  return outcome;
}

function enrolment(learnerId: Types.ObjectId, courseId: Types.ObjectId) {
  return { learnerId, courseId, enrolledAt: afterSchedule(-3), source: 'self' };
}

function reportOf(outcome: TickOutcome): PushRunReport {
  if (outcome.kind !== 'ran') throw new Error(`expected the run to happen, got ${outcome.kind}`);
  return outcome.report;
}

describe('weekly push channels', () => {
  it('sends each learner one message on the best channel', async () => {
    nextPrefix();
    const [courseId] = await seedCourses(['数据库系统概论', '操作系统']);
    const [follower, granted, neither] = await seedLearners(server, {
      count: 3,
      prefix,
      follows: (index) => index === 0,
    });
    await grantOnServer([granted!]);
    await grantInSandbox(server, [granted!]);

    const report = reportOf(await runWeek49());

    expect(report.week).toBe('2026-W49');
    expect(report.counts.deliveries).toBe(3);
    expect(report.counts.sentByChannel).toEqual({ template: 1, subscription: 1, in_app: 1 });
    expect(report.openBatches).toBe(0);
    const templates = await templateMessagesOf(server, prefix);
    expect(templates.map((message) => message.touser)).toEqual([follower!.followerOpenid]);
    const subscriptions = await subscribeMessagesOf(server, prefix);
    expect(subscriptions.map((message) => message.touser)).toEqual([granted!.openid]);
    const notices = await InAppNoticeModel.find({ learnerId: neither!.learnerId }).lean();
    expect(notices).toHaveLength(1);
    expect(notices[0]?.courseId.equals(courseId!)).toBe(true);
    expect(notices[0]?.path).toMatch(/^\/packages\/course\/detail\/index\?id=[0-9a-f]{24}&pt=/);
    const run = await PushRunModel.findOne({ job: PUSH_JOB, week: '2026-W49' }).lean();
    expect(run?.state).toBe('completed');
    expect(run?.counts).toEqual(report.counts);
  });

  it('records 3 of 10 refused subscriptions and completes', async () => {
    nextPrefix();
    await seedCourses(['数据结构']);
    const learners = await seedLearners(server, { count: 10, prefix });
    await grantOnServer(learners);
    // Three users turned the subscription off in WeChat, so WeChat has grants of seven only.
    await grantInSandbox(server, learners.slice(3));

    const report = reportOf(await runWeek49());

    expect(report.counts.sent).toBe(7);
    expect(report.counts.sentByChannel.subscription).toBe(7);
    expect(report.counts.failed).toEqual({ subscription_refused: 3 });
    for (const learner of learners.slice(0, 3)) {
      const status = await findDeliveryStatus('2026-W49', learner.learnerId);
      expect(status?.state).toBe('failed');
      expect(status?.result?.errcode).toBe(43101);
      expect(status?.result?.attempts).toBe(1);
    }
    expect(await subscribeMessagesOf(server, prefix)).toHaveLength(7);
    const run = await PushRunModel.findOne({ week: '2026-W49' }).lean();
    expect(run?.state).toBe('completed');
  });

  it('skips learners who opted out', async () => {
    nextPrefix();
    await seedCourses(['网络安全']);
    const [optedOut, other] = await seedLearners(server, { count: 2, prefix, follows: () => true });
    await setPushOptOut(optedOut!.learnerId, true, new Date());

    const report = reportOf(await runWeek49());

    expect(report.counts.skipped).toEqual({ opted_out: 1 });
    expect(report.counts.sent).toBe(1);
    const templates = await templateMessagesOf(server, prefix);
    expect(templates.map((message) => message.touser)).toEqual([other!.followerOpenid]);
  });

  it('skips a learner who opts out while the run sends', async () => {
    nextPrefix();
    await seedCourses(['编译原理']);
    const learners = await seedLearners(server, { count: 40, prefix, follows: () => true });
    const late = learners.at(-1)!;
    // The sandbox responds slowly, so the opt-out lands while the first messages are on their way.
    await sandboxPost(server, '/sandbox/push/faults', {
      endpoint: 'template_send',
      delayMs: 150,
    });
    const running = runWeek49({ optOutRefreshMs: 50, settings: { concurrency: 2 } });
    await new Promise((resolve) => setTimeout(resolve, 400));
    await setPushOptOut(late.learnerId, true, new Date());

    const report = reportOf(await running);

    expect(report.counts.skipped).toEqual({ opted_out: 1 });
    expect(report.counts.sent).toBe(39);
    const messages = await templateMessagesOf(server, prefix);
    expect(messages.map((message) => message.touser)).not.toContain(late.followerOpenid);
  });

  it('skips learners without a pick', async () => {
    nextPrefix();
    const [courseId] = await seedCourses(['唯一课程']);
    const [learner] = await seedLearners(server, { count: 1, prefix, follows: () => true });
    await EnrolmentModel.create({
      learnerId: learner!.learnerId,
      courseId,
      source: 'self',
      enrolledAt: new Date(),
    });

    const report = reportOf(await runWeek49());

    expect(report.counts.skipped).toEqual({ no_pick: 1 });
    expect(await templateMessagesOf(server, prefix)).toHaveLength(0);
  });

  it('uses each subscription grant for one message', async () => {
    nextPrefix();
    await seedCourses(['机器学习']);
    const [learner] = await seedLearners(server, { count: 1, prefix });
    await grantOnServer([learner!]);
    await grantInSandbox(server, [learner!]);

    const week49 = reportOf(await runWeek49());
    const now50 = () => afterSchedule(7, 1);
    const week50 = reportOf(
      await createTestScheduler(createTestRunner(server, now50), server, now50).tick(),
    );

    expect(week49.counts.sentByChannel.subscription).toBe(1);
    expect(week50.week).toBe('2026-W50');
    expect(week50.counts.sentByChannel).toEqual({ template: 0, subscription: 0, in_app: 1 });
    expect(await SubscriptionGrantUseModel.countDocuments({ learnerId: learner!.learnerId })).toBe(
      1,
    );
    expect(await subscribeMessagesOf(server, prefix)).toHaveLength(1);
  });

  it('finishes with template messages off', async () => {
    nextPrefix();
    await seedCourses(['编译原理']);
    await seedLearners(server, { count: 2, prefix, follows: () => true });
    const now = () => afterSchedule(0, 1);
    const runner = createTestRunner(server, now, { settings: { templateId: null } });

    const report = reportOf(await createTestScheduler(runner, server, now).tick());

    expect(report.counts.sentByChannel).toEqual({ template: 0, subscription: 0, in_app: 2 });
    expect(await templateMessagesOf(server, prefix)).toHaveLength(0);
  });
});

describe('weekly push errors', () => {
  it('retries a busy WeChat until the message is sent', async () => {
    nextPrefix();
    await seedCourses(['算法']);
    const [learner] = await seedLearners(server, { count: 1, prefix, follows: () => true });
    await sandboxPost(server, '/sandbox/push/faults', {
      endpoint: 'template_send',
      errors: [{ errcode: -1, count: 2 }],
    });

    const report = reportOf(await runWeek49());

    expect(report.counts.sent).toBe(1);
    const status = await findDeliveryStatus('2026-W49', learner!.learnerId);
    expect(status?.result?.attempts).toBe(3);
    expect(status?.attempts.map((attempt) => attempt.notSent)).toEqual([true, true, false]);
    expect(status?.attempts.map((attempt) => attempt.errcode)).toEqual([-1, -1, null]);
    expect(await templateMessagesOf(server, prefix)).toHaveLength(1);
  });

  it('pauses after a quota error and then sends', async () => {
    nextPrefix();
    await seedCourses(['线性代数']);
    const [learner] = await seedLearners(server, { count: 1, prefix, follows: () => true });
    await sandboxPost(server, '/sandbox/push/faults', {
      endpoint: 'template_send',
      errors: [{ errcode: 45011, count: 2 }],
    });

    const report = reportOf(await runWeek49());

    expect(report.counts.sent).toBe(1);
    const status = await findDeliveryStatus('2026-W49', learner!.learnerId);
    expect(status?.result?.attempts).toBe(3);
    expect(server.logLines.some((line) => line.includes('push paused after a quota error'))).toBe(
      true,
    );
  });

  it('gives up on a minute-quota error after the retry limit', async () => {
    nextPrefix();
    await seedCourses(['概率论']);
    const [learner] = await seedLearners(server, { count: 1, prefix, follows: () => true });
    await sandboxPost(server, '/sandbox/push/faults', {
      endpoint: 'template_send',
      errors: [{ errcode: 45011 }],
    });

    const report = reportOf(await runWeek49());

    expect(report.counts.failed).toEqual({ rate_limited: 1 });
    const status = await findDeliveryStatus('2026-W49', learner!.learnerId);
    expect(status?.result?.errcode).toBe(45011);
    // The test policy allows 5 quota retries after the first call.
    expect(status?.result?.attempts).toBe(6);
  });

  it('turns the rest into in-app notices when the daily quota runs out', async () => {
    nextPrefix();
    await seedCourses(['离散数学']);
    const learners = await seedLearners(server, { count: 6, prefix, follows: () => true });
    await sandboxPost(server, '/sandbox/push/faults', {
      endpoint: 'template_send',
      errors: [{ errcode: 45009 }],
    });

    const report = reportOf(await runWeek49({ settings: { concurrency: 1 } }));

    expect(report.counts.sent).toBe(6);
    expect(report.counts.sentByChannel).toEqual({ template: 0, subscription: 0, in_app: 6 });
    expect(report.counts.fellBack).toEqual({ daily_quota: 6 });
    // Only the first call reached WeChat. The data of earlier tests is cleared after each test.
    const attempts = await DeliveryAttemptModel.countDocuments({});
    expect(attempts).toBe(1);
    for (const learner of learners) {
      expect(await InAppNoticeModel.countDocuments({ learnerId: learner.learnerId })).toBe(1);
    }
    expect(await templateMessagesOf(server, prefix)).toHaveLength(0);
    expect(server.logLines.some((line) => line.includes('push daily quota used up'))).toBe(true);
  });

  it('records permanent errors and goes on', async () => {
    nextPrefix();
    await seedCourses(['计算机网络']);
    const learners = await seedLearners(server, { count: 4, prefix, follows: () => true });
    await sandboxPost(server, '/sandbox/push/faults', {
      endpoint: 'template_send',
      errors: [{ errcode: 40003, touser: [learners[0]!.followerOpenid] }],
    });
    await sandboxPost(server, '/sandbox/push/followers', {
      appId: TEST_OA_APP_ID,
      openids: [learners[1]!.followerOpenid],
      subscribed: false,
    });

    const report = reportOf(await runWeek49());

    expect(report.counts.failed).toEqual({ invalid_openid: 1, not_following: 1 });
    expect(report.counts.sent).toBe(2);
    const notFollowing = await findDeliveryStatus('2026-W49', learners[1]!.learnerId);
    expect(notFollowing?.result?.errcode).toBe(43004);
    expect(notFollowing?.result?.attempts).toBe(1);
    const follower = await FollowerModel.findOne({ openid: learners[1]!.followerOpenid }).lean();
    expect(follower?.following).toBe(false);
    expect(server.logLines.some((line) => line.includes('push run completed with failures'))).toBe(
      true,
    );
  });

  it('resends a lost template response with one client_msg_id', async () => {
    nextPrefix();
    await seedCourses(['软件工程']);
    const [learner] = await seedLearners(server, { count: 1, prefix, follows: () => true });
    // Every response comes after the client's timeout, although WeChat delivered the message.
    await sandboxPost(server, '/sandbox/push/faults', {
      endpoint: 'template_send',
      responseDelayMs: 400,
    });
    const now = () => afterSchedule(0, 1);
    const runner = createTestRunner(server, now, {
      clientTimeoutMs: 150,
      retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 },
    });

    const report = reportOf(await createTestScheduler(runner, server, now).tick());

    expect(report.counts.unconfirmed).toBe(1);
    const status = await findDeliveryStatus('2026-W49', learner!.learnerId);
    expect(status?.result?.reason).toBe('retries_exhausted');
    expect(status?.result?.attempts).toBe(3);
    const messages = await templateMessagesOf(server, prefix);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.clientMsgId).toBe(status?.delivery._id.toHexString());
    await new Promise((resolve) => setTimeout(resolve, 500));
    const summary = await sandboxGet<{ template: { duplicatesSuppressed: number } }>(
      server,
      '/sandbox/push/summary',
    );
    expect(summary.template.duplicatesSuppressed).toBeGreaterThanOrEqual(2);
  });

  it('never resends a subscription message', async () => {
    nextPrefix();
    await seedCourses(['人工智能']);
    const learners = await seedLearners(server, { count: 1, prefix });
    await grantOnServer(learners);
    await grantInSandbox(server, learners);
    await sandboxPost(server, '/sandbox/push/faults', {
      endpoint: 'subscribe_send',
      responseDelayMs: 400,
    });
    const now = () => afterSchedule(0, 1);
    const runner = createTestRunner(server, now, { clientTimeoutMs: 150 });

    const report = reportOf(await createTestScheduler(runner, server, now).tick());

    expect(report.counts.unconfirmed).toBe(1);
    const status = await findDeliveryStatus('2026-W49', learners[0]!.learnerId);
    expect(status?.result?.reason).toBe('outcome_unknown');
    expect(status?.result?.attempts).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await subscribeMessagesOf(server, prefix)).toHaveLength(1);
  });
});

describe('weekly push content', () => {
  it('fits the template to WeChat limits and links the course page', async () => {
    nextPrefix();
    const title = '面向大规模分布式系统的🚀数据库\n原理与工程实践（第二版）';
    const [courseId] = await seedCourses([title]);
    const [learner] = await seedLearners(server, { count: 1, prefix, follows: () => true });

    reportOf(await runWeek49());

    const [message] = await templateMessagesOf(server, prefix);
    const status = await findDeliveryStatus('2026-W49', learner!.learnerId);
    expect(message?.templateId).toBe(TEMPLATE_ID);
    expect(message?.violations).toEqual([]);
    expect([...(message?.data.thing1 ?? '')]).toHaveLength(KEYWORD_MAX_CHARS);
    expect(message?.data.thing1?.endsWith('…')).toBe(true);
    expect(message?.data.thing1).not.toContain('🚀');
    expect([...(message?.data.thing2 ?? '')].length).toBeLessThanOrEqual(KEYWORD_MAX_CHARS);
    expect(Object.keys(message?.data ?? {})).toEqual(['thing1', 'thing2']);
    expect(message?.miniprogram?.appid).toBe(TEST_APP_ID);
    expect(message?.miniprogram?.pagepath).toBe(
      `packages/course/detail/index?id=${courseId!.toHexString()}&pt=${status?.delivery.clickToken}`,
    );
  });
  it("sends the recommender's first pick and its reason", async () => {
    nextPrefix();
    const courseIds = await seedCourses(['安全生产规范', '客户拜访技巧', '专卖法规解读']);
    const learners = await seedLearners(server, { count: 4, prefix, follows: () => true });
    // Three colleagues took the first two courses; the fourth learner has taken only the second.
    await EnrolmentModel.insertMany([
      ...learners
        .slice(0, 3)
        .flatMap((learner) =>
          courseIds.slice(0, 2).map((courseId) => enrolment(learner.learnerId, courseId)),
        ),
      enrolment(learners[3]!.learnerId, courseIds[1]!),
    ]);
    const now = afterSchedule(0, 1);
    const expected = await RecommendationBatch.load({ logger: server.deps.logger, now });

    const report = reportOf(
      await runWeek49({
        createPickSource: () =>
          RecommendationBatch.lazyPickSource({ logger: server.deps.logger, now }),
      }),
    );

    const messages = await templateMessagesOf(server, prefix);
    expect(report.counts.sent).toBe(4);
    expect(messages).toHaveLength(4);
    const fourth = messages.find((message) => message.touser === learners[3]!.followerOpenid);
    const [pick] = expected.picksOf(learners[3]!.learnerId.toHexString());
    expect(pick?.courseId).not.toBe(courseIds[1]!.toHexString());
    expect(fourth?.miniprogram?.pagepath).toContain(`id=${pick!.courseId}&`);
    expect(fourth?.data.thing2).toBe(pick!.reason);
    expect(fourth?.data.thing2).not.toBe('同事们都在学的热门课程');
  });
});

describe('weekly push schedule', () => {
  it('does not run before the scheduled time', async () => {
    const now = () => new Date(W49_SCHEDULED_AT.getTime() - 60_000);
    const outcome = await createTestScheduler(createTestRunner(server, now), server, now).tick();
    expect(outcome.kind).toBe('not_due');
    expect(await PushRunModel.countDocuments()).toBe(0);
  });

  it('starts a missed run later in the week and only once', async () => {
    nextPrefix();
    await seedCourses(['数据挖掘']);
    await seedLearners(server, { count: 2, prefix, follows: () => true });
    const wednesday = () => afterSchedule(2);
    const scheduler = createTestScheduler(createTestRunner(server, wednesday), server, wednesday);

    const first = await scheduler.tick();
    const second = await scheduler.tick();

    expect(first.kind).toBe('ran');
    expect(second).toEqual({ kind: 'completed', week: '2026-W49' });
    expect(await templateMessagesOf(server, prefix)).toHaveLength(2);
  });

  it('leaves a run with a fresh heartbeat to its owner', async () => {
    const now = afterSchedule(0, 1);
    await PushRunModel.create({
      job: PUSH_JOB,
      week: '2026-W49',
      state: 'running',
      attempt: 1,
      owner: 'other-host:1',
      heartbeatAt: new Date(now.getTime() - 5_000),
      startedAt: new Date(now.getTime() - 60_000),
    });

    const outcome = await createTestScheduler(
      createTestRunner(server, () => now),
      server,
      () => now,
    ).tick();

    expect(outcome).toEqual({ kind: 'running_elsewhere', week: '2026-W49', staleInMs: 55_000 });
  });
});

describe('weekly push resume', () => {
  it('finishes an abandoned batch without a second message', async () => {
    nextPrefix();
    const [courseId] = await seedCourses(['分布式系统']);
    const learners = await seedLearners(server, {
      count: 5,
      prefix,
      follows: (index) => index < 4,
    });
    await grantOnServer([learners[4]!]);
    await grantInSandbox(server, [learners[4]!]);
    const now = afterSchedule(0, 2);
    const run = await PushRunModel.create({
      job: PUSH_JOB,
      week: '2026-W49',
      state: 'running',
      attempt: 1,
      owner: 'crashed-host:1',
      heartbeatAt: new Date(now.getTime() - 5 * 60_000),
      startedAt: new Date(now.getTime() - 30 * 60_000),
    });
    const batch = `${run._id.toHexString()}:1:1`;
    await PushBatchModel.create({
      _id: batch,
      runId: run._id,
      week: '2026-W49',
      state: 'open',
      createdAt: now,
    });
    const deliveries: Delivery[] = learners.map((learner, index) => ({
      _id: new Types.ObjectId(),
      week: '2026-W49',
      learnerId: learner.learnerId,
      runId: run._id,
      batch,
      channel: index < 4 ? 'template' : 'subscription',
      skipReason: null,
      openid: index < 4 ? learner.followerOpenid : learner.openid,
      courseId: courseId!,
      courseTitle: '分布式系统',
      pickReason: '同事们都在学的热门课程',
      clickToken: `tok${String(index).padStart(19, '0')}`,
      createdAt: now,
    }));
    await DeliveryModel.insertMany(deliveries);
    const attempt = (index: number, startedAt: Date) => ({
      _id: `${deliveries[index]!._id.toHexString()}:1`,
      deliveryId: deliveries[index]!._id,
      batch,
      n: 1,
      channel: deliveries[index]!.channel,
      startedAt,
    });
    // 0: never called. 1: called a minute ago, response lost. 2: called 20 minutes ago, response
    // lost. 3: already sent. 4: subscription called, response lost.
    await DeliveryAttemptModel.insertMany([
      attempt(1, new Date(now.getTime() - 60_000)),
      attempt(2, new Date(now.getTime() - 20 * 60_000)),
      attempt(3, new Date(now.getTime() - 60_000)),
      attempt(4, new Date(now.getTime() - 60_000)),
    ]);
    await DeliveryResultModel.create({
      _id: deliveries[3]!._id,
      week: '2026-W49',
      learnerId: learners[3]!.learnerId,
      batch,
      state: 'sent',
      channel: 'template',
      attempts: 1,
      finishedAt: now,
    });

    const outcome = await createTestScheduler(
      createTestRunner(server, () => now),
      server,
      () => now,
    ).tick();

    const report = reportOf(outcome);
    expect(report.attempt).toBe(2);
    expect(report.counts.deliveries).toBe(5);
    expect(report.counts.sent).toBe(3);
    expect(report.counts.unconfirmed).toBe(2);
    const states = [];
    for (const learner of learners) {
      states.push((await findDeliveryStatus('2026-W49', learner.learnerId))?.state);
    }
    expect(states).toEqual(['sent', 'sent', 'unconfirmed', 'sent', 'unconfirmed']);
    const resent = await findDeliveryStatus('2026-W49', learners[1]!.learnerId);
    expect(resent?.attempts.map((item) => item.n)).toEqual([1, 2]);
    const touched = (await templateMessagesOf(server, prefix)).map((message) => message.touser);
    expect(touched.sort()).toEqual(
      [learners[0]!.followerOpenid, learners[1]!.followerOpenid].sort(),
    );
    expect(await subscribeMessagesOf(server, prefix)).toHaveLength(0);
    expect(
      await ClaimModel.countDocuments({ job: 'weekly-push-takeover', period: '2026-W49#2' }),
    ).toBe(1);
  });

  it('sends one message per learner when two runners overlap', async () => {
    nextPrefix();
    await seedCourses(['云计算']);
    const learners = await seedLearners(server, {
      count: 120,
      prefix,
      follows: (index) => index % 3 !== 0,
    });
    const granted = learners.filter((_, index) => index % 3 === 0);
    await grantOnServer(granted);
    await grantInSandbox(server, granted);
    await sandboxPost(server, '/sandbox/push/faults', { endpoint: 'template_send', delayMs: 50 });
    await sandboxPost(server, '/sandbox/push/faults', { endpoint: 'subscribe_send', delayMs: 50 });
    const now = () => afterSchedule(0, 1);
    const runDoc = await PushRunModel.create({
      job: PUSH_JOB,
      week: '2026-W49',
      state: 'running',
      attempt: 1,
      owner: 'first',
      heartbeatAt: now(),
      startedAt: now(),
    });
    const claimed = { runId: runDoc._id, week: '2026-W49', startedAt: now() };
    const options = { batchSize: 20, heartbeatIntervalMs: 50 };
    // Four concurrent calls of 50 ms each keep the first runner busy for well over a second.
    const first = createTestRunner(server, now, { ...options, settings: { concurrency: 4 } });
    const second = createTestRunner(server, now, options);

    const firstRun = first.run({ ...claimed, attempt: 1 });
    while ((await DeliveryResultModel.countDocuments()) < 10) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The takeover: attempt 2 becomes the current one, so the first runner's heartbeat fails
    // while its calls are still in flight.
    await PushRunModel.updateOne({ _id: runDoc._id }, { $set: { attempt: 2 } });
    const secondRun = second.run({ ...claimed, attempt: 2 });
    const [firstReport, secondReport] = await Promise.all([firstRun, secondRun]);

    expect(firstReport).toBeNull();
    expect(secondReport).not.toBeNull();
    expect(await DeliveryModel.countDocuments()).toBe(120);
    expect(await DeliveryResultModel.countDocuments()).toBe(120);
    // A subscription call that the first runner made ends unconfirmed, because the second runner
    // cannot see its response.
    const results = await DeliveryResultModel.find().lean();
    expect(results.every((result) => ['sent', 'unconfirmed'].includes(result.state))).toBe(true);
    const messages = [
      ...(await templateMessagesOf(server, prefix)),
      ...(await subscribeMessagesOf(server, prefix)),
    ];
    const recipients = new Set(messages.map((message) => message.touser));
    expect(recipients.size).toBe(messages.length);
    expect(messages.length).toBeGreaterThanOrEqual(
      results.filter((result) => result.state === 'sent').length,
    );
    expect(await SubscriptionGrantUseModel.countDocuments()).toBeLessThanOrEqual(40);
  });
});
