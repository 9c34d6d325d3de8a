import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import {
  SERVICE_WINDOW_MESSAGES,
  SERVICE_WINDOW_MS,
} from '../src/modules/official-account/customer-service.js';
import { InboundMessageModel } from '../src/modules/official-account/inbound-message.model.js';
import { OfficialAccountService } from '../src/modules/official-account/official-account.service.js';
import { ServiceWindowModel } from '../src/modules/official-account/service-window.model.js';
import { WechatApiError } from '../src/wechat/api-client.js';
import { OfficialAccountClient } from '../src/wechat/official-account-client.js';
import {
  startTestServer,
  TEST_APP_ID,
  TEST_OA_APP_ID,
  TEST_OA_APP_SECRET,
  type TestServer,
} from './harness.js';
import {
  OFFICIAL_ACCOUNT_OVERRIDES,
  SandboxTokenSource,
  configureWebhook,
  customMessages,
  deliver,
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
  await ServiceWindowModel.deleteMany({});
});

function newClient(tokens = new SandboxTokenSource(server.sandbox.url, TEST_OA_APP_SECRET)) {
  return new OfficialAccountClient({
    baseUrl: server.sandbox.url,
    appId: TEST_OA_APP_ID,
    timeoutMs: 2000,
    tokens,
    logger: server.deps.logger,
    qrImageBaseUrl: server.sandbox.url,
  });
}

function newService(
  options: Partial<ConstructorParameters<typeof OfficialAccountService>[0]> = {},
) {
  return new OfficialAccountService({
    client: newClient(),
    miniProgramAppId: TEST_APP_ID,
    logger: server.deps.logger,
    ...options,
  });
}

async function messagesTo(openid: string) {
  return (await customMessages(server)).filter((message) => message.touser === openid);
}

describe('OfficialAccountClient', () => {
  it('retries once with a fresh token after 40001', async () => {
    const tokens = new SandboxTokenSource(server.sandbox.url, TEST_OA_APP_SECRET, '90_stale');
    const openid = 'oClientFollower0000000000001';
    await deliver(server, { openid, message: { type: 'text', content: '你好' } });
    const callsBefore = server.sandbox.callCounts().custom_send;

    const result = await newClient(tokens).sendCustomText(openid, '学习提醒');

    expect(result).toEqual({ kind: 'sent' });
    expect(tokens.invalidated).toEqual(['90_stale']);
    expect(server.sandbox.callCounts().custom_send - callsBefore).toBe(2);
  });

  it('returns rejected customer-service messages', async () => {
    const result = await newClient().sendCustomText('oNeverSeenFollower', '学习提醒');

    expect(result.kind).toBe('rejected');
    expect(result.kind === 'rejected' ? result.errcode : null).toBe(40003);
  });

  it('creates a temporary string-scene QR code', async () => {
    const qrCode = await newClient().createQrCode('bind_client_test_0001', 600);

    expect(qrCode.expireSeconds).toBe(600);
    expect(qrCode.ticket.length).toBeGreaterThan(10);
    expect(qrCode.imageUrl).toBe(
      `${server.sandbox.url}/cgi-bin/showqrcode?ticket=${encodeURIComponent(qrCode.ticket)}`,
    );
  });

  it('throws the errcode of a rejected menu', async () => {
    const failure = await newClient()
      .createMenu({ button: [{ type: 'view', name: '官网', url: 'not-a-url' }] })
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(WechatApiError);
    expect((failure as WechatApiError).errcode).toBe(40055);
  });

  it('reads a follower profile with its unionid', async () => {
    await deliver(server, {
      openid: 'oClientFollower0000000000002',
      unionid: 'uClientUnion0000000000000001',
      message: { type: 'event', event: 'subscribe' },
    });

    const profile = await newClient().getFollowerProfile('oClientFollower0000000000002');

    expect(profile).toEqual({ subscribed: true, unionid: 'uClientUnion0000000000000001' });
  });
});

describe('customer-service window', () => {
  it('rejects a follower who never wrote', async () => {
    const result = await newService().sendText('oWindowFollower0000000000001', '提醒');

    expect(result).toEqual({ kind: 'outside_window', reason: 'no_interaction' });
    expect(await messagesTo('oWindowFollower0000000000001')).toEqual([]);
  });

  it('allows 5 messages per interaction', async () => {
    const openid = 'oWindowFollower0000000000002';
    await deliver(server, { openid, message: { type: 'text', content: '你好' } });
    const service = newService();

    const results = [];
    for (let index = 0; index <= SERVICE_WINDOW_MESSAGES; index += 1) {
      results.push(await service.sendText(openid, `提醒 ${index}`));
    }

    expect(
      results.slice(0, SERVICE_WINDOW_MESSAGES).every((result) => result.kind === 'sent'),
    ).toBe(true);
    expect(results[SERVICE_WINDOW_MESSAGES]).toEqual({
      kind: 'outside_window',
      reason: 'limit_reached',
    });
    const sent = await messagesTo(openid);
    expect(sent).toHaveLength(SERVICE_WINDOW_MESSAGES);
    expect(sent.every((message) => message.errcode === 0)).toBe(true);
  });

  it('opens a new window with the next message', async () => {
    const openid = 'oWindowFollower0000000000003';
    const now = Math.floor(Date.now() / 1000);
    await deliver(server, {
      openid,
      message: { type: 'text', content: '1' },
      createTime: now - 10,
    });
    const service = newService();
    for (let index = 0; index < SERVICE_WINDOW_MESSAGES; index += 1) {
      await service.sendText(openid, '提醒');
    }

    await deliver(server, { openid, message: { type: 'text', content: '2' }, createTime: now });

    expect((await service.sendText(openid, '提醒')).kind).toBe('sent');
  });

  it('rejects messages after 48 hours', async () => {
    const openid = 'oWindowFollower0000000000004';
    await deliver(server, { openid, message: { type: 'text', content: '你好' } });
    const later = new Date(Date.now() + SERVICE_WINDOW_MS + 1000);

    const result = await newService({ now: () => later }).sendText(openid, '提醒');

    expect(result).toEqual({ kind: 'outside_window', reason: 'expired' });
  });

  it('keeps the window on an older message', async () => {
    const openid = 'oWindowFollower0000000000005';
    const now = Math.floor(Date.now() / 1000);
    await deliver(server, { openid, message: { type: 'text', content: 'new' }, createTime: now });
    await deliver(server, {
      openid,
      message: { type: 'text', content: 'old' },
      createTime: now - 100,
    });

    const window = await ServiceWindowModel.findOne({ openid }).lean();
    expect(window?.lastInboundAt.getTime()).toBe(now * 1000);
  });

  it('closes the window on 45047', async () => {
    const openid = 'oWindowFollower0000000000006';
    await deliver(server, { openid, message: { type: 'text', content: '你好' } });
    // Messages sent by another system use up WeChat's count without touching our window.
    const client = newClient();
    for (let index = 0; index < SERVICE_WINDOW_MESSAGES; index += 1) {
      await client.sendCustomText(openid, '其他系统的消息');
    }

    const result = await newService().sendText(openid, '提醒');

    expect(result).toEqual({ kind: 'rejected', errcode: 45047 });
    const window = await ServiceWindowModel.findOne({ openid }).lean();
    expect(window?.sentSinceInbound).toBe(SERVICE_WINDOW_MESSAGES);
  });
});

describe('slow replies', () => {
  let slowServer: Server;
  let slowUrl: string;

  beforeAll(async () => {
    const service = newService({
      replyDeadlineMs: 300,
      duplicateWaitMs: 200,
      answerText: async ({ text }) => {
        await sleep(text === '慢' ? 800 : 0);
        return `回答：${text}`;
      },
    });
    slowServer = createApp({ ...server.deps, officialAccount: service }).listen(0, '127.0.0.1');
    await once(slowServer, 'listening');
    slowUrl = `http://127.0.0.1:${(slowServer.address() as AddressInfo).port}`;
    await configureWebhook(server, slowUrl);
  });

  afterAll(async () => {
    slowServer?.close();
    await configureWebhook(server);
  });

  it('defers a slow reply to customer service', async () => {
    const openid = 'oSlowFollower000000000000001';

    const outcome = await deliver(server, { openid, message: { type: 'text', content: '慢' } });

    expect(outcome.attempts[0]?.body).toBe('success');
    expect(outcome.attempts[0]?.durationMs).toBeLessThan(800);
    let sent = await messagesTo(openid);
    for (let waited = 0; sent.length === 0 && waited < 3000; waited += 100) {
      await sleep(100);
      sent = await messagesTo(openid);
    }
    expect(sent).toHaveLength(1);
    expect(sent[0]?.content).toBe('回答：慢');
    const stored = await InboundMessageModel.findOne({ openid }).lean();
    expect(stored?.state).toBe('deferred');
  });

  it('answers retries of deferred messages once', async () => {
    const openid = 'oSlowFollower000000000000002';

    const outcome = await deliver(server, {
      openid,
      message: { type: 'text', content: '慢' },
      repeat: 2,
    });
    await sleep(1500);

    expect(outcome.attempts.map((attempt) => attempt.body)).toEqual(['success', 'success']);
    expect(await messagesTo(openid)).toHaveLength(1);
  });

  it('replies passively when the answer is fast', async () => {
    const outcome = await deliver(server, {
      openid: 'oSlowFollower000000000000003',
      message: { type: 'text', content: '快' },
    });

    expect(outcome.attempts[0]?.reply.kind).toBe('xml');
  });
});
