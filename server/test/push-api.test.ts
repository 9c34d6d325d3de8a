import { Types } from 'mongoose';
import type {
  ApiErrorBody,
  LearnerProfile,
  PushNoticeList,
  PushOpenResponse,
  PushOptOut,
  PushOptOutStatus,
  SubscriptionGrantResponse,
} from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryModel } from '../src/modules/push/delivery.model.js';
import { InAppNoticeModel, PushOpenModel } from '../src/modules/push/learner-push.model.js';
import { MAX_GRANTS_PER_WINDOW } from '../src/modules/push/push.service.js';
import { SubscriptionGrantModel } from '../src/modules/push/subscription-grant.model.js';
import { startTestServer, type TestServer } from './harness.js';
import { PUSH_OVERRIDES, SUBSCRIBE_TEMPLATE_ID } from './push-support.js';

let server: TestServer;
let token: string;
let learnerId: Types.ObjectId;

beforeAll(async () => {
  server = await startTestServer(PUSH_OVERRIDES);
  token = await server.loginAs('push-api-learner');
  const me = await server.request<LearnerProfile>('GET', '/api/me', { token });
  learnerId = new Types.ObjectId(me.body.id);
});

afterAll(async () => {
  await server.close();
});

describe('POST /api/me/subscriptions', () => {
  it('records a grant of the push template only', async () => {
    const response = await server.request<SubscriptionGrantResponse>(
      'POST',
      '/api/me/subscriptions',
      {
        token,
        body: {
          requestId: 'req-accept-0001',
          results: {
            [SUBSCRIBE_TEMPLATE_ID]: 'accept',
            otherTemplate01: 'reject',
            thirdTemplate: 'accept',
          },
        },
      },
    );

    expect(response.status).toBe(200);
    expect(response.body.recorded).toBe(1);
    const grants = await SubscriptionGrantModel.find({ learnerId }).lean();
    expect(grants.map((grant) => grant.templateId)).toEqual([SUBSCRIBE_TEMPLATE_ID]);
  });

  it('rejects grants beyond the weekly max', async () => {
    const flooder = await server.loginAs('push-api-grant-flooder');
    const grant = (n: number) =>
      server.request<ApiErrorBody>('POST', '/api/me/subscriptions', {
        token: flooder,
        body: {
          requestId: `req-flood-${String(n).padStart(4, '0')}`,
          results: { [SUBSCRIBE_TEMPLATE_ID]: 'accept' },
        },
      });
    for (let n = 0; n < MAX_GRANTS_PER_WINDOW; n += 1) {
      expect((await grant(n)).status).toBe(200);
    }

    const rejected = await grant(MAX_GRANTS_PER_WINDOW);
    const retried = await grant(0);

    expect(rejected.status).toBe(429);
    expect(rejected.body.error.id).toBe('too_many_subscription_grants');
    expect(retried.status).toBe(200);
  });

  it('records nothing new for a retried request', async () => {
    const body = { requestId: 'req-retry-0001', results: { [SUBSCRIBE_TEMPLATE_ID]: 'accept' } };
    const first = await server.request<SubscriptionGrantResponse>('POST', '/api/me/subscriptions', {
      token,
      body,
    });
    const retry = await server.request<SubscriptionGrantResponse>('POST', '/api/me/subscriptions', {
      token,
      body,
    });

    expect(first.body.recorded).toBe(1);
    expect(retry.body.recorded).toBe(0);
    expect(
      await SubscriptionGrantModel.countDocuments({ learnerId, requestId: 'req-retry-0001' }),
    ).toBe(1);
  });

  it('rejects a request without a valid request id', async () => {
    const response = await server.request('POST', '/api/me/subscriptions', {
      token,
      body: { requestId: 'x', results: { [SUBSCRIBE_TEMPLATE_ID]: 'accept' } },
    });
    expect(response.status).toBe(400);
  });

  it('requires a session', async () => {
    const response = await server.request('POST', '/api/me/subscriptions', {
      body: { requestId: 'req-nosession', results: {} },
    });
    expect(response.status).toBe(401);
  });
});

describe('push opt-out', () => {
  it('is off until the learner opts out, and can be turned back on', async () => {
    const initial = await server.request<PushOptOut>('GET', '/api/me/push-opt-out', { token });
    const optOut = await server.request<PushOptOut>('POST', '/api/me/push-opt-out', {
      token,
      body: { optedOut: true },
    });
    const repeated = await server.request<PushOptOut>('POST', '/api/me/push-opt-out', {
      token,
      body: { optedOut: true },
    });
    const afterOptOut = await server.request<PushOptOut>('GET', '/api/me/push-opt-out', { token });
    const optIn = await server.request<PushOptOut>('POST', '/api/me/push-opt-out', {
      token,
      body: { optedOut: false },
    });

    expect(initial.body.optedOut).toBe(false);
    expect(optOut.body.optedOut).toBe(true);
    expect(repeated.status).toBe(200);
    expect(afterOptOut.body.optedOut).toBe(true);
    expect(optIn.body.optedOut).toBe(false);
  });

  it('returns the subscription template id', async () => {
    const response = await server.request<PushOptOutStatus>('GET', '/api/me/push-opt-out', {
      token,
    });
    expect(response.status).toBe(200);
    expect(response.body.subscribeTemplateId).toBe(SUBSCRIBE_TEMPLATE_ID);
  });

  it('returns a null template id when none is configured', async () => {
    const { config } = server.deps;
    const configured = config.PUSH_SUBSCRIBE_TEMPLATE_ID;
    config.PUSH_SUBSCRIBE_TEMPLATE_ID = undefined;
    try {
      const response = await server.request<PushOptOutStatus>('GET', '/api/me/push-opt-out', {
        token,
      });
      expect(response.status).toBe(200);
      expect(response.body.subscribeTemplateId).toBeNull();
    } finally {
      config.PUSH_SUBSCRIBE_TEMPLATE_ID = configured;
    }
  });

  it('rejects a value that is not a boolean', async () => {
    const response = await server.request('POST', '/api/me/push-opt-out', {
      token,
      body: { optedOut: 'yes' },
    });
    expect(response.status).toBe(400);
  });
});

describe('GET /api/me/notices', () => {
  it('lists the learner’s notices, newest first', async () => {
    const courseId = new Types.ObjectId();
    const notice = (week: string, createdAt: string) => ({
      learnerId,
      deliveryId: new Types.ObjectId(),
      week,
      title: '本周为你推荐',
      body: `《${week}》：同事们都在学的热门课程`,
      path: `/packages/course/detail/index?id=${courseId.toHexString()}&pt=x`,
      courseId,
      createdAt: new Date(createdAt),
    });
    await InAppNoticeModel.insertMany([
      notice('2026-W48', '2026-11-23T01:00:00Z'),
      notice('2026-W49', '2026-11-30T01:00:00Z'),
      { ...notice('2026-W49', '2026-11-30T01:00:00Z'), learnerId: new Types.ObjectId() },
    ]);

    const response = await server.request<PushNoticeList>('GET', '/api/me/notices?limit=5', {
      token,
    });

    expect(response.status).toBe(200);
    expect(response.body.items.map((item) => item.body)).toEqual([
      '《2026-W49》：同事们都在学的热门课程',
      '《2026-W48》：同事们都在学的热门课程',
    ]);
    expect(response.body.items[0]?.createdAt).toBe('2026-11-30T01:00:00.000Z');
    expect(response.body.items[0]?.courseId).toBe(courseId.toHexString());
  });
});

describe('GET /api/push/open', () => {
  it('records the first open and returns the course page', async () => {
    const courseId = new Types.ObjectId();
    const clickToken = 'clickToken_0123456789A';
    const delivery = await DeliveryModel.create({
      week: '2026-W49',
      learnerId,
      runId: new Types.ObjectId(),
      batch: 'test-batch',
      channel: 'template',
      openid: 'oFollower',
      courseId,
      courseTitle: '操作系统',
      pickReason: '同事们都在学的热门课程',
      clickToken,
      createdAt: new Date(),
    });

    const open = () =>
      server.request<PushOpenResponse>('GET', `/api/push/open?t=${clickToken}`, { token });
    const first = await open();
    const second = await open();

    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      path: `/packages/course/detail/index?id=${courseId.toHexString()}&pt=${clickToken}`,
      courseId: courseId.toHexString(),
    });
    expect(second.status).toBe(200);
    const opens = await PushOpenModel.find({ _id: delivery._id }).lean();
    expect(opens).toHaveLength(1);
    expect(opens[0]?.learnerId.equals(learnerId)).toBe(true);
  });

  it('returns 404 for a token no delivery has', async () => {
    const response = await server.request('GET', '/api/push/open?t=unknownToken_012345678', {
      token,
    });
    expect(response.status).toBe(404);
  });

  it('returns 400 for a malformed token', async () => {
    const response = await server.request('GET', '/api/push/open?t=short', { token });
    expect(response.status).toBe(400);
  });

  it('opens a forwarded link without counting it', async () => {
    const courseId = new Types.ObjectId();
    const clickToken = 'forwardedToken_0123456';
    const delivery = await DeliveryModel.create({
      week: '2026-W48',
      learnerId,
      runId: new Types.ObjectId(),
      batch: 'test-batch',
      channel: 'template',
      openid: 'oForwarder',
      courseId,
      courseTitle: '数据结构',
      pickReason: '同部门 3 人在学',
      clickToken,
      createdAt: new Date(),
    });
    const colleague = await server.loginAs('push-api-colleague');

    const response = await server.request<PushOpenResponse>(
      'GET',
      `/api/push/open?t=${clickToken}`,
      { token: colleague },
    );

    expect(response.status).toBe(200);
    expect(response.body.courseId).toBe(courseId.toHexString());
    expect(await PushOpenModel.countDocuments({ _id: delivery._id })).toBe(0);
  });

  it('rejects an open without a session', async () => {
    const response = await server.request('GET', '/api/push/open?t=unknownToken_012345678');
    expect(response.status).toBe(401);
  });
});
