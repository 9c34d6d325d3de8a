import type { ApiErrorBody, LearnerProfile, OfficialAccountLinkResponse } from '@wxlearn/api-types';
import { Types } from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../src/errors.js';
import { FollowerModel } from '../src/modules/official-account/follower.model.js';
import { joinFollowersOfLearner } from '../src/modules/official-account/identity.js';
import { InboundMessageModel } from '../src/modules/official-account/inbound-message.model.js';
import {
  OfficialAccountLinkModel,
  OfficialAccountLinkUseModel,
} from '../src/modules/official-account/official-account-link.model.js';
import { OfficialAccountService } from '../src/modules/official-account/official-account.service.js';
import { OfficialAccountClient } from '../src/wechat/official-account-client.js';
import { startTestServer, TEST_APP_ID, TEST_OA_APP_ID, type TestServer } from './harness.js';
import {
  OFFICIAL_ACCOUNT_OVERRIDES,
  configureWebhook,
  deliver,
  replyContent,
} from './official-account-support.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(OFFICIAL_ACCOUNT_OVERRIDES);
  await configureWebhook(server);
});

afterAll(async () => {
  await server?.close();
});

beforeEach(async () => {
  await InboundMessageModel.deleteMany({});
  await FollowerModel.deleteMany({});
  await OfficialAccountLinkModel.deleteMany({});
  await OfficialAccountLinkUseModel.deleteMany({});
});

/** Logs in through the sandbox as a learner with an optional unionid; returns token and id. */
async function login(learner: string, unionid?: string): Promise<{ token: string; id: string }> {
  const codeResponse = await fetch(`${server.sandbox.url}/sandbox/login-code`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ learner, ...(unionid ? { unionid } : {}) }),
  });
  const { code } = (await codeResponse.json()) as { code: string };
  const session = await server.request<{ token: string }>('POST', '/api/auth/login', {
    body: { code },
  });
  const me = await server.request<LearnerProfile>('GET', '/api/me', { token: session.body.token });
  return { token: session.body.token, id: me.body.id };
}

function userInfoCalls(): number {
  return server.sandbox.callCounts().user_info;
}

async function createLink(token: string): Promise<OfficialAccountLinkResponse> {
  const response = await server.request<OfficialAccountLinkResponse>(
    'POST',
    '/api/me/official-account/link',
    { token },
  );
  expect(response.status).toBe(200);
  return response.body;
}

interface SandboxQrCode {
  ticket: string;
  sceneStr: string;
  appId: string;
  actionName: string;
}

/** Returns the QR code that the sandbox created for a ticket. */
async function sandboxQrCode(ticket: string): Promise<SandboxQrCode | undefined> {
  const response = await fetch(`${server.sandbox.url}/sandbox/official-account/qr-codes`);
  const body = (await response.json()) as { qrCodes: SandboxQrCode[] };
  return body.qrCodes.find((code) => code.ticket === ticket);
}

function ticketOf(qrUrl: string): string {
  return new URL(qrUrl).searchParams.get('ticket') ?? '';
}

describe('join by unionid', () => {
  it('joins a subscriber to the learner with the same unionid', async () => {
    const learner = await login('union-1', 'uUnionLearner000000000000001');

    await deliver(server, {
      openid: 'oUnionFollower00000000000001',
      unionid: 'uUnionLearner000000000000001',
      message: { type: 'event', event: 'subscribe' },
    });

    const follower = await FollowerModel.findOne({ openid: 'oUnionFollower00000000000001' }).lean();
    expect(follower?.unionid).toBe('uUnionLearner000000000000001');
    expect(follower?.learnerId?.toString()).toBe(learner.id);
    expect(follower?.joinedBy).toBe('unionid');
  });

  it('leaves a follower without unionid unjoined and asks user/info once', async () => {
    const callsBefore = userInfoCalls();
    await deliver(server, {
      openid: 'oUnionFollower00000000000002',
      message: { type: 'event', event: 'subscribe' },
    });
    await deliver(server, {
      openid: 'oUnionFollower00000000000002',
      message: { type: 'text', content: '你好' },
    });

    const follower = await FollowerModel.findOne({ openid: 'oUnionFollower00000000000002' }).lean();
    expect(follower?.learnerId).toBeNull();
    expect(follower?.profileCheckedAt).toBeInstanceOf(Date);
    expect(userInfoCalls() - callsBefore).toBe(1);
  });

  it('does not join when two learners share the unionid', async () => {
    await login('union-dup-1', 'uUnionShared0000000000000001');
    await login('union-dup-2', 'uUnionShared0000000000000001');

    await deliver(server, {
      openid: 'oUnionFollower00000000000003',
      unionid: 'uUnionShared0000000000000001',
      message: { type: 'event', event: 'subscribe' },
    });

    const follower = await FollowerModel.findOne({ openid: 'oUnionFollower00000000000003' }).lean();
    expect(follower?.learnerId).toBeNull();
  });

  it('joins on a later message once the learner has logged in', async () => {
    const callsBefore = userInfoCalls();
    await deliver(server, {
      openid: 'oUnionFollower00000000000004',
      unionid: 'uUnionLate00000000000000001',
      message: { type: 'event', event: 'subscribe' },
    });
    const learner = await login('union-late', 'uUnionLate00000000000000001');

    await deliver(server, {
      openid: 'oUnionFollower00000000000004',
      message: { type: 'text', content: '你好' },
    });

    const follower = await FollowerModel.findOne({ openid: 'oUnionFollower00000000000004' }).lean();
    expect(follower?.learnerId?.toString()).toBe(learner.id);
    expect(userInfoCalls() - callsBefore).toBe(1);
  });

  it('joins waiting followers from the login side', async () => {
    await deliver(server, {
      openid: 'oUnionFollower00000000000005',
      unionid: 'uUnionLogin0000000000000001',
      message: { type: 'event', event: 'subscribe' },
    });
    const learnerId = new Types.ObjectId();

    const joined = await joinFollowersOfLearner(
      learnerId,
      'uUnionLogin0000000000000001',
      new Date(),
    );

    const follower = await FollowerModel.findOne({ openid: 'oUnionFollower00000000000005' }).lean();
    expect(joined).toBe(1);
    expect(follower?.learnerId?.toString()).toBe(learnerId.toString());
  });
});

describe('POST /api/me/official-account/link', () => {
  it('rejects a request without a session with 401', async () => {
    const response = await server.request<ApiErrorBody>('POST', '/api/me/official-account/link');

    expect(response.status).toBe(401);
  });

  it('returns a QR image for a 10-minute bind scene', async () => {
    const learner = await login('link-1');
    const before = Date.now();

    const link = await createLink(learner.token);

    const qrCode = await sandboxQrCode(ticketOf(link.qrUrl));
    expect(link.qrUrl.startsWith(`${server.sandbox.url}/cgi-bin/showqrcode?ticket=`)).toBe(true);
    expect(qrCode?.sceneStr).toMatch(/^bind_[A-Za-z0-9_-]{22}$/);
    expect(qrCode?.appId).toBe(TEST_OA_APP_ID);
    expect(qrCode?.actionName).toBe('QR_STR_SCENE');
    const expiresAt = Date.parse(link.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 600_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);
    expect((await fetch(link.qrUrl)).status).toBe(200);
  });

  it('stores only a hash of the token', async () => {
    const learner = await login('link-2');
    const link = await createLink(learner.token);

    const qrCode = await sandboxQrCode(ticketOf(link.qrUrl));
    const token = qrCode?.sceneStr.slice('bind_'.length) ?? '';
    const stored = await OfficialAccountLinkModel.findOne({}).lean();
    expect(token).toHaveLength(22);
    expect(stored?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it('returns 503 when WeChat cannot create the QR code', async () => {
    const unreachable = new OfficialAccountService({
      client: new OfficialAccountClient({
        baseUrl: 'http://127.0.0.1:9',
        appId: TEST_OA_APP_ID,
        timeoutMs: 1000,
        tokens: { get: () => Promise.resolve('token'), invalidate: () => Promise.resolve() },
        logger: server.deps.logger,
      }),
      miniProgramAppId: TEST_APP_ID,
      logger: server.deps.logger,
    });

    const failure = await unreachable.createLink(new Types.ObjectId()).catch((error) => error);

    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).status).toBe(503);
    expect((failure as ApiError).id).toBe('wechat_unavailable');
  });
});

describe('binding by QR code', () => {
  it('joins the follower who scans the code and replies 绑定成功', async () => {
    const learner = await login('bind-1');
    const link = await createLink(learner.token);

    const outcome = await deliver(server, {
      openid: 'oBindFollower000000000000001',
      message: { type: 'event', event: 'SCAN', qrTicket: ticketOf(link.qrUrl) },
    });

    expect(replyContent(outcome.attempts[0])).toContain('绑定成功');
    const follower = await FollowerModel.findOne({ openid: 'oBindFollower000000000000001' }).lean();
    expect(follower?.learnerId?.toString()).toBe(learner.id);
    expect(follower?.joinedBy).toBe('binding');
    const stored = await OfficialAccountLinkModel.findOne({}).lean();
    expect(stored?.usedByOpenid).toBe('oBindFollower000000000000001');
  });

  it('joins a new follower who subscribes through the code', async () => {
    const learner = await login('bind-2');
    const link = await createLink(learner.token);

    const outcome = await deliver(server, {
      openid: 'oBindFollower000000000000002',
      message: { type: 'event', event: 'subscribe', qrTicket: ticketOf(link.qrUrl) },
    });

    expect(replyContent(outcome.attempts[0])).toContain('绑定成功');
    const follower = await FollowerModel.findOne({ openid: 'oBindFollower000000000000002' }).lean();
    expect(follower?.following).toBe(true);
    expect(follower?.learnerId?.toString()).toBe(learner.id);
  });

  it('accepts a second scan by the same follower', async () => {
    const learner = await login('bind-3');
    const ticket = ticketOf((await createLink(learner.token)).qrUrl);
    const now = Math.floor(Date.now() / 1000);

    await deliver(server, {
      openid: 'oBindFollower000000000000003',
      message: { type: 'event', event: 'SCAN', qrTicket: ticket },
      createTime: now,
    });
    const again = await deliver(server, {
      openid: 'oBindFollower000000000000003',
      message: { type: 'event', event: 'SCAN', qrTicket: ticket },
      createTime: now + 1,
    });

    expect(replyContent(again.attempts[0])).toContain('绑定成功');
  });

  it('rejects a second follower scanning a used code', async () => {
    const learner = await login('bind-4');
    const ticket = ticketOf((await createLink(learner.token)).qrUrl);
    await deliver(server, {
      openid: 'oBindFollower000000000000004',
      message: { type: 'event', event: 'SCAN', qrTicket: ticket },
    });

    const other = await deliver(server, {
      openid: 'oBindFollower000000000000005',
      message: { type: 'event', event: 'SCAN', qrTicket: ticket },
    });

    expect(replyContent(other.attempts[0])).toContain('绑定二维码已失效');
    const follower = await FollowerModel.findOne({ openid: 'oBindFollower000000000000005' }).lean();
    expect(follower?.following).toBe(true);
    expect(follower?.learnerId).toBeNull();
  });

  it('rejects an expired token', async () => {
    const learner = await login('bind-5');
    const ticket = ticketOf((await createLink(learner.token)).qrUrl);
    await OfficialAccountLinkModel.updateMany(
      {},
      { $set: { expiresAt: new Date(Date.now() - 1) } },
    );

    const outcome = await deliver(server, {
      openid: 'oBindFollower000000000000006',
      message: { type: 'event', event: 'SCAN', qrTicket: ticket },
    });

    expect(replyContent(outcome.attempts[0])).toContain('绑定二维码已失效');
  });

  it('ignores a scene that is not a binding', async () => {
    const outcome = await deliver(server, {
      openid: 'oBindFollower000000000000007',
      message: { type: 'event', event: 'SCAN', eventKey: 'campaign_2025' },
    });

    expect(outcome.attempts[0]?.body).toBe('success');
  });

  it('replaces a unionid join with an explicit binding', async () => {
    await login('bind-union', 'uBindUnion00000000000000001');
    await deliver(server, {
      openid: 'oBindFollower000000000000008',
      unionid: 'uBindUnion00000000000000001',
      message: { type: 'event', event: 'subscribe' },
    });
    const other = await login('bind-explicit');
    const ticket = ticketOf((await createLink(other.token)).qrUrl);

    await deliver(server, {
      openid: 'oBindFollower000000000000008',
      message: { type: 'event', event: 'SCAN', qrTicket: ticket },
    });

    const follower = await FollowerModel.findOne({ openid: 'oBindFollower000000000000008' }).lean();
    expect(follower?.learnerId?.toString()).toBe(other.id);
    expect(follower?.joinedBy).toBe('binding');
  });
});
