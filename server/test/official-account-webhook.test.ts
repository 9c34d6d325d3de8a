import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { ApiErrorBody } from '@wxlearn/api-types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../src/config.js';
import { FollowerModel } from '../src/modules/official-account/follower.model.js';
import { InboundMessageModel } from '../src/modules/official-account/inbound-message.model.js';
import { WEBHOOK_PATH } from '../src/modules/official-account/official-account.routes.js';
import { createOfficialAccountService } from '../src/modules/official-account/official-account.service.js';
import { createApp } from '../src/app.js';
import { computeSignature } from '../src/wechat/official-account-crypto.js';
import { baseTestEnvironment, createRequest, startTestServer, type TestServer } from './harness.js';
import {
  OFFICIAL_ACCOUNT_OVERRIDES,
  TEST_OA_TOKEN,
  configureWebhook,
  deliver,
  replyContent,
} from './official-account-support.js';

const OPENID = 'oWebhookFollower000000000001';
/**
 * Text of the assistant's replies to a message it cannot answer: "don't know" with the hint to
 * request a person, or the handoff to one.
 */
const ASSISTANT_REPLY = /人工/;

let server: TestServer;
/** Milliseconds by which the server clock is ahead of real time, which the sandbox signs with. */
let clockOffsetMs = 0;

beforeAll(async () => {
  server = await startTestServer(OFFICIAL_ACCOUNT_OVERRIDES);
  server.deps.now = () => new Date(Date.now() + clockOffsetMs);
  await configureWebhook(server);
});

afterAll(async () => {
  await server?.close();
});

beforeEach(async () => {
  clockOffsetMs = 0;
  await InboundMessageModel.deleteMany({});
  await FollowerModel.deleteMany({});
});

/** Returns a query string with a valid URL signature, timestamped now unless `timestamp` is set. */
function signedQuery(extra = '', timestamp = String(Math.floor(Date.now() / 1000))): string {
  const nonce = '829301';
  const signature = computeSignature(TEST_OA_TOKEN, timestamp, nonce);
  return `signature=${signature}&timestamp=${timestamp}&nonce=${nonce}${extra}`;
}

function plaintextXml(openid: string, msgId: string): string {
  return (
    `<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName>` +
    `<CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType>` +
    `<Content><![CDATA[今天食堂吃什么]]></Content><MsgId>${msgId}</MsgId></xml>`
  );
}

interface ModeApp {
  url: string;
  request: TestServer['request'];
  close(): Promise<void>;
}

/**
 * Serves the test server's app with another WECHAT_OA_MESSAGE_MODE on a port of its own. It shares
 * the database, the service and the clock of `server`.
 */
async function startAppWithMode(mode: Config['WECHAT_OA_MESSAGE_MODE']): Promise<ModeApp> {
  const config = { ...server.deps.config, WECHAT_OA_MESSAGE_MODE: mode };
  const listener = createApp({ ...server.deps, config }).listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  return {
    url,
    request: createRequest(url),
    close: async () => {
      listener.closeAllConnections();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}

describe('URL verification', () => {
  it('returns an echostr with + and / unchanged through the sandbox', async () => {
    const response = await fetch(`${server.sandbox.url}/sandbox/official-account/verify-url`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ echostr: 'Ab+cD/eF+/9==' }),
    });
    const outcome = (await response.json()) as { status: number; body: string; verified: boolean };

    expect(outcome.status).toBe(200);
    expect(outcome.body).toBe('Ab+cD/eF+/9==');
    expect(outcome.verified).toBe(true);
  });

  it('returns the raw echostr as plain text', async () => {
    const response = await server.request(
      'GET',
      `${WEBHOOK_PATH}?${signedQuery('&echostr=a+b/c%2B')}`,
    );

    expect(response.status).toBe(200);
    expect(response.text).toBe('a+b/c%2B');
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('rejects a wrong signature with 403', async () => {
    const response = await fetch(`${server.sandbox.url}/sandbox/official-account/verify-url`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ echostr: '4075181314397890557', invalidSignature: true }),
    });
    const outcome = (await response.json()) as { status: number; verified: boolean };

    expect(outcome.status).toBe(403);
    expect(outcome.verified).toBe(false);
  });

  it('rejects a request without echostr with 400', async () => {
    const response = await server.request('GET', `${WEBHOOK_PATH}?${signedQuery()}`);

    expect(response.status).toBe(400);
  });
});

describe('safe mode', () => {
  for (const paddingBytes of [31, 32, 17, 1]) {
    it(`decrypts ${paddingBytes} bytes of padding`, async () => {
      const outcome = await deliver(server, {
        openid: OPENID,
        message: { type: 'text', content: '怎么查看学时' },
        paddingBytes,
      });
      const attempt = outcome.attempts[0];

      expect(attempt?.status).toBe(200);
      expect(attempt?.reply.kind).toBe('xml');
      expect(attempt?.body).toContain('<Encrypt>');
      expect(attempt?.body).not.toMatch(ASSISTANT_REPLY);
      expect(replyContent(attempt)).toMatch(ASSISTANT_REPLY);
    });
  }

  it('replies to the follower from the account', async () => {
    const outcome = await deliver(server, {
      openid: OPENID,
      message: { type: 'text', content: '今天食堂吃什么' },
    });
    const reply = outcome.attempts[0]?.reply;

    expect(reply?.kind).toBe('xml');
    const xml = reply?.kind === 'xml' ? reply.xml : '';
    expect(xml).toContain(`<ToUserName><![CDATA[${OPENID}]]></ToUserName>`);
    expect(xml).toMatch(/<FromUserName><!\[CDATA\[gh_[0-9a-f]{12}\]\]><\/FromUserName>/);
    expect(xml).toContain('<MsgType><![CDATA[text]]></MsgType>');
  });

  it('rejects a frame encrypted for another AppID with 403', async () => {
    const outcome = await deliver(server, {
      openid: OPENID,
      message: { type: 'text', content: '今天食堂吃什么' },
      frameAppId: 'wx0000000000000000',
    });

    expect(outcome.attempts[0]?.status).toBe(403);
    expect(JSON.parse(outcome.attempts[0]?.body ?? '{}')).toMatchObject({
      error: { id: 'forbidden' },
    });
    expect(await InboundMessageModel.countDocuments({})).toBe(0);
  });

  it('rejects a tampered msg_signature with 403', async () => {
    const outcome = await deliver(server, {
      openid: OPENID,
      message: { type: 'text', content: '今天食堂吃什么' },
      invalidSignature: true,
    });

    expect(outcome.attempts[0]?.status).toBe(403);
    expect(await InboundMessageModel.countDocuments({})).toBe(0);
  });
});

describe('plain mode', () => {
  let plain: ModeApp;

  beforeAll(async () => {
    plain = await startAppWithMode('plain');
    await configureWebhook(server, plain.url);
  });

  afterAll(async () => {
    await configureWebhook(server);
    await plain?.close();
  });

  it('replies in plaintext to a plaintext message', async () => {
    const outcome = await deliver(server, {
      mode: 'plaintext',
      openid: OPENID,
      message: { type: 'text', content: '今天食堂吃什么' },
    });
    const attempt = outcome.attempts[0];

    expect(attempt?.body).toMatch(/^<xml><ToUserName>/);
    expect(replyContent(attempt)).toMatch(ASSISTANT_REPLY);
  });

  it('rejects a plaintext message with a wrong signature with 403', async () => {
    const outcome = await deliver(server, {
      mode: 'plaintext',
      openid: OPENID,
      message: { type: 'text', content: '今天食堂吃什么' },
      invalidSignature: true,
    });

    expect(outcome.attempts[0]?.status).toBe(403);
  });

  it('still replies encrypted to an encrypted message', async () => {
    const outcome = await deliver(server, {
      openid: OPENID,
      message: { type: 'text', content: '今天食堂吃什么' },
    });
    const attempt = outcome.attempts[0];

    expect(attempt?.body).toContain('<Encrypt>');
    expect(replyContent(attempt)).toMatch(ASSISTANT_REPLY);
  });

  it('rejects a 301-second-old timestamp with 403', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000) - 301);
    const response = await plain.request<ApiErrorBody>(
      'POST',
      `${WEBHOOK_PATH}?${signedQuery('', timestamp)}`,
      { rawBody: plaintextXml(OPENID, '7000000000000000002') },
    );

    expect(response.status).toBe(403);
    expect(response.body.error.id).toBe('forbidden');
    expect(response.body.error.message).toMatch(/timestamp/);
    expect(await InboundMessageModel.countDocuments({})).toBe(0);
  });

  it('rejects malformed XML with 400', async () => {
    const response = await plain.request<ApiErrorBody>('POST', `${WEBHOOK_PATH}?${signedQuery()}`, {
      rawBody: '<xml><ToUserName>',
      headers: { 'content-type': 'text/xml' },
    });

    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
  });

  it('rejects deeply nested XML with 400', async () => {
    const rawBody = `<xml>${'<a>'.repeat(20_000)}${'</a>'.repeat(20_000)}</xml>`;
    const response = await plain.request<ApiErrorBody>('POST', `${WEBHOOK_PATH}?${signedQuery()}`, {
      rawBody,
      headers: { 'content-type': 'text/xml' },
    });

    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
  });

  it('reads the XML body itself even when it is labelled as JSON', async () => {
    const response = await plain.request('POST', `${WEBHOOK_PATH}?${signedQuery()}`, {
      rawBody: plaintextXml(OPENID, '7000000000000000001'),
      headers: { 'content-type': 'application/json' },
    });

    expect(response.status).toBe(200);
    expect(response.text).toMatch(ASSISTANT_REPLY);
  });
});

describe('compatible mode', () => {
  let compatible: ModeApp;

  beforeAll(async () => {
    compatible = await startAppWithMode('compatible');
    await configureWebhook(server, compatible.url);
  });

  afterAll(async () => {
    await configureWebhook(server);
    await compatible?.close();
  });

  it('replies encrypted to a compatible-mode message', async () => {
    const outcome = await deliver(server, {
      mode: 'compatible',
      openid: OPENID,
      message: { type: 'text', content: '今天食堂吃什么' },
    });
    const attempt = outcome.attempts[0];

    expect(attempt?.body).toContain('<Encrypt>');
    expect(replyContent(attempt)).toMatch(ASSISTANT_REPLY);
  });

  it('accepts a plaintext message', async () => {
    const outcome = await deliver(server, {
      mode: 'plaintext',
      openid: OPENID,
      message: { type: 'text', content: '今天食堂吃什么' },
    });
    const attempt = outcome.attempts[0];

    expect(attempt?.status).toBe(200);
    expect(replyContent(attempt)).toMatch(ASSISTANT_REPLY);
  });

  it('rejects a 301-second-ahead timestamp with 403', async () => {
    clockOffsetMs = -301_000;
    const outcome = await deliver(server, {
      mode: 'compatible',
      openid: OPENID,
      message: { type: 'text', content: '今天食堂吃什么' },
    });

    expect(outcome.attempts[0]?.status).toBe(403);
    expect(await InboundMessageModel.countDocuments({})).toBe(0);
  });
});

describe('safe mode rejections', () => {
  it('rejects a signed plaintext unsubscribe with 403', async () => {
    await deliver(server, { openid: OPENID, message: { type: 'event', event: 'subscribe' } });
    const forged = await deliver(server, {
      mode: 'plaintext',
      openid: OPENID,
      message: { type: 'event', event: 'unsubscribe' },
      createTime: Math.floor(Date.now() / 1000) + 5,
    });
    const follower = await FollowerModel.findOne({ openid: OPENID }).lean();

    expect(forged.attempts[0]?.status).toBe(403);
    expect(JSON.parse(forged.attempts[0]?.body ?? '{}')).toMatchObject({
      error: { id: 'forbidden' },
    });
    expect(follower?.following).toBe(true);
    expect(await InboundMessageModel.countDocuments({})).toBe(1);
  });

  it('rejects encrypt_type=aes without msg_signature with 403', async () => {
    const response = await server.request<ApiErrorBody>(
      'POST',
      `${WEBHOOK_PATH}?${signedQuery('&encrypt_type=aes')}`,
      { rawBody: '<xml><Encrypt><![CDATA[AAAAAAAAAAAAAAAAAAAAAA==]]></Encrypt></xml>' },
    );

    expect(response.status).toBe(403);
    expect(response.body.error.id).toBe('forbidden');
  });

  it('rejects a 301-second-old message with 403', async () => {
    clockOffsetMs = 301_000;
    const outcome = await deliver(server, {
      openid: OPENID,
      message: { type: 'text', content: '今天食堂吃什么' },
    });

    expect(outcome.attempts[0]?.status).toBe(403);
    expect(JSON.parse(outcome.attempts[0]?.body ?? '{}')).toMatchObject({
      error: { id: 'forbidden' },
    });
    expect(await InboundMessageModel.countDocuments({})).toBe(0);
  });

  it('accepts a 299-second-old message', async () => {
    clockOffsetMs = 299_000;
    const outcome = await deliver(server, {
      openid: OPENID,
      message: { type: 'text', content: '今天食堂吃什么' },
    });

    expect(outcome.attempts[0]?.status).toBe(200);
    expect(replyContent(outcome.attempts[0])).toMatch(ASSISTANT_REPLY);
  });

  it('rejects a deeply nested envelope with 400', async () => {
    const rawBody = `<xml>${'<a>'.repeat(20_000)}${'</a>'.repeat(20_000)}</xml>`;
    const response = await server.request<ApiErrorBody>(
      'POST',
      `${WEBHOOK_PATH}?${signedQuery('&encrypt_type=aes&msg_signature=0')}`,
      { rawBody, headers: { 'content-type': 'text/xml' } },
    );

    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
  });
});

describe('retries', () => {
  it('gives three deliveries of one message one reply', async () => {
    const outcome = await deliver(server, {
      openid: OPENID,
      message: { type: 'text', content: '重复的消息' },
      repeat: 3,
    });
    const replies = outcome.attempts.map((attempt) =>
      attempt.reply.kind === 'xml' ? attempt.reply.xml : null,
    );

    expect(outcome.attempts.map((attempt) => attempt.status)).toEqual([200, 200, 200]);
    expect(replies[0]).not.toBeNull();
    expect(new Set(replies).size).toBe(1);
    expect(await InboundMessageModel.countDocuments({})).toBe(1);
    const stored = await InboundMessageModel.findOne({
      dedupKey: `msg:${OPENID}:${outcome.msgId}`,
    }).lean();
    expect(stored?.state).toBe('replied');
  });

  it('gives three concurrent deliveries one reply', async () => {
    const outcome = await deliver(server, {
      openid: OPENID,
      message: { type: 'text', content: '同时到达' },
      repeat: 3,
      concurrent: true,
    });
    const replies = outcome.attempts.map((attempt) =>
      attempt.reply.kind === 'xml' ? attempt.reply.xml : null,
    );

    expect(replies[0]).not.toBeNull();
    expect(new Set(replies).size).toBe(1);
    expect(await InboundMessageModel.countDocuments({})).toBe(1);
  });

  it('deduplicates an event by sender and CreateTime', async () => {
    const outcome = await deliver(server, {
      openid: OPENID,
      message: { type: 'event', event: 'subscribe' },
      repeat: 3,
    });

    expect(new Set(outcome.attempts.map((attempt) => replyContent(attempt))).size).toBe(1);
    const stored = await InboundMessageModel.find({}).lean();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.dedupKey).toBe(`event:${OPENID}:${outcome.createTime}:subscribe`);
  });

  it('treats the same MsgId as one message even with new content', async () => {
    await deliver(server, { openid: OPENID, message: { type: 'text', content: 'a' }, msgId: '42' });
    const second = await deliver(server, {
      openid: OPENID,
      message: { type: 'text', content: 'b' },
      msgId: '42',
    });

    expect(second.attempts[0]?.reply.kind).toBe('xml');
    expect(await InboundMessageModel.countDocuments({})).toBe(1);
  });

  it('keeps one MsgId from two senders apart', async () => {
    const otherOpenid = 'oWebhookFollower000000000002';
    await deliver(server, { openid: OPENID, message: { type: 'text', content: 'a' }, msgId: '42' });
    const second = await deliver(server, {
      openid: otherOpenid,
      message: { type: 'text', content: 'b' },
      msgId: '42',
    });
    const reply = second.attempts[0]?.reply;
    const xml = reply?.kind === 'xml' ? reply.xml : '';

    expect(xml).toContain(`<ToUserName><![CDATA[${otherOpenid}]]></ToUserName>`);
    expect(xml).not.toContain(OPENID);
    expect(await InboundMessageModel.countDocuments({})).toBe(2);
  });

  it('keeps two menu clicks in one second apart', async () => {
    const createTime = Math.floor(Date.now() / 1000);
    const faq = await deliver(server, {
      openid: OPENID,
      message: { type: 'event', event: 'CLICK', eventKey: 'FAQ' },
      createTime,
    });
    const other = await deliver(server, {
      openid: OPENID,
      message: { type: 'event', event: 'CLICK', eventKey: 'OTHER_KEY' },
      createTime,
    });
    const keys = (await InboundMessageModel.find({}).lean()).map((stored) => stored.dedupKey);

    expect(replyContent(faq.attempts[0])).toContain('怎么查看我的学时');
    expect(other.attempts[0]?.body).toBe('success');
    expect(keys.sort()).toEqual([
      `event:${OPENID}:${createTime}:CLICK:FAQ`,
      `event:${OPENID}:${createTime}:CLICK:OTHER_KEY`,
    ]);
  });
});

describe('follow events', () => {
  it('records a subscribe and replies with a welcome', async () => {
    const outcome = await deliver(server, {
      openid: OPENID,
      message: { type: 'event', event: 'subscribe' },
    });
    const follower = await FollowerModel.findOne({ openid: OPENID }).lean();

    expect(replyContent(outcome.attempts[0])).toContain('欢迎关注企业学堂');
    expect(follower?.following).toBe(true);
    expect(follower?.subscribedAt?.getTime()).toBe(outcome.createTime * 1000);
    expect(follower?.learnerId).toBeNull();
  });

  it('records an unsubscribe without a reply', async () => {
    await deliver(server, { openid: OPENID, message: { type: 'event', event: 'subscribe' } });
    const outcome = await deliver(server, {
      openid: OPENID,
      message: { type: 'event', event: 'unsubscribe' },
      createTime: Math.floor(Date.now() / 1000) + 5,
    });
    const follower = await FollowerModel.findOne({ openid: OPENID }).lean();

    expect(outcome.attempts[0]?.body).toBe('success');
    expect(outcome.attempts[0]?.reply.kind).toBe('none');
    expect(follower?.following).toBe(false);
    expect(follower?.unsubscribedAt?.getTime()).toBe(outcome.createTime * 1000);
  });

  it('keeps a later unsubscribe when an earlier subscribe arrives late', async () => {
    const now = Math.floor(Date.now() / 1000);
    await deliver(server, {
      openid: OPENID,
      message: { type: 'event', event: 'unsubscribe' },
      createTime: now,
    });
    await deliver(server, {
      openid: OPENID,
      message: { type: 'event', event: 'subscribe' },
      createTime: now - 60,
    });

    const follower = await FollowerModel.findOne({ openid: OPENID }).lean();
    expect(follower?.following).toBe(false);
  });

  it('keeps one follower per openid across subscribe, unsubscribe and subscribe', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const [offset, event] of [
      [0, 'subscribe'],
      [1, 'unsubscribe'],
      [2, 'subscribe'],
    ] as const) {
      await deliver(server, {
        openid: OPENID,
        message: { type: 'event', event },
        createTime: now + offset,
      });
    }

    const followers = await FollowerModel.find({ openid: OPENID }).lean();
    expect(followers).toHaveLength(1);
    expect(followers[0]?.following).toBe(true);
  });
});

describe('menu clicks and other messages', () => {
  it('answers the FAQ button', async () => {
    const outcome = await deliver(server, {
      openid: OPENID,
      message: { type: 'event', event: 'CLICK', eventKey: 'FAQ' },
    });

    expect(replyContent(outcome.attempts[0])).toContain('怎么查看我的学时');
  });

  it('answers success to an unknown button and a link click', async () => {
    const unknown = await deliver(server, {
      openid: OPENID,
      message: { type: 'event', event: 'CLICK', eventKey: 'NOTHING' },
    });
    const view = await deliver(server, {
      openid: OPENID,
      message: { type: 'event', event: 'VIEW', eventKey: 'https://example.com/' },
    });

    expect(unknown.attempts[0]?.body).toBe('success');
    expect(view.attempts[0]?.body).toBe('success');
  });

  it('asks for text when an image arrives', async () => {
    const outcome = await deliver(server, { openid: OPENID, message: { type: 'image' } });

    expect(replyContent(outcome.attempts[0])).toContain('暂时只能处理文字消息');
  });

  it('creates a follower for a message from someone who followed earlier', async () => {
    await deliver(server, { openid: OPENID, message: { type: 'text', content: '今天食堂吃什么' } });

    const follower = await FollowerModel.findOne({ openid: OPENID }).lean();
    expect(follower?.following).toBe(true);
  });
});

describe('request checks', () => {
  it('rejects a body over the limit with 413', async () => {
    const response = await server.request<ApiErrorBody>(
      'POST',
      `${WEBHOOK_PATH}?${signedQuery()}`,
      {
        rawBody: `<xml>${'x'.repeat(300 * 1024)}</xml>`,
        headers: { 'content-type': 'text/xml' },
      },
    );

    expect(response.status).toBe(413);
  });

  it('rejects a request without timestamp with 400', async () => {
    const response = await server.request('POST', `${WEBHOOK_PATH}?signature=abc&nonce=1`, {
      rawBody: '<xml/>',
    });

    expect(response.status).toBe(400);
  });
});

describe('message mode configuration', () => {
  const environment = () => ({
    ...baseTestEnvironment(server.sandbox.url),
    ...OFFICIAL_ACCOUNT_OVERRIDES,
  });

  it('defaults to safe', () => {
    expect(loadConfig(environment()).WECHAT_OA_MESSAGE_MODE).toBe('safe');
  });

  it('rejects an unknown mode with the allowed values', () => {
    const load = () => loadConfig({ ...environment(), WECHAT_OA_MESSAGE_MODE: 'aes' });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/WECHAT_OA_MESSAGE_MODE: must be safe, compatible or plain/);
  });
});

describe('without official-account configuration', () => {
  it('creates no service', () => {
    const {
      WECHAT_OA_APP_ID,
      WECHAT_OA_APP_SECRET,
      WECHAT_OA_TOKEN,
      WECHAT_OA_ENCODING_AES_KEY,
      ...rest
    } = server.deps.config;
    void [WECHAT_OA_APP_ID, WECHAT_OA_APP_SECRET, WECHAT_OA_TOKEN, WECHAT_OA_ENCODING_AES_KEY];

    const service = createOfficialAccountService(
      rest,
      server.deps.accessTokens,
      server.deps.logger,
    );

    expect(service).toBeNull();
  });

  it('does not mount the webhook', async () => {
    const app = createApp({ ...server.deps, officialAccount: null });
    const listener = app.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    try {
      const port = (listener.address() as AddressInfo).port;
      const response = await fetch(
        `http://127.0.0.1:${port}${WEBHOOK_PATH}?${signedQuery('&echostr=1')}`,
      );

      expect(response.status).toBe(404);
    } finally {
      listener.close();
    }
  });
});
