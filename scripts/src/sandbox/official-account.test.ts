import { createDecipheriv } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OfficialAccountCrypto } from '@wxlearn/server/wechat/official-account-crypto.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SERVICE_WINDOW_MESSAGES, SERVICE_WINDOW_MS } from './official-account.js';
import {
  postJson,
  requestJson,
  startTestSandbox,
  TEST_APP_ID,
  TEST_OFFICIAL_ACCOUNT,
  type JsonResponse,
  type TestSandbox,
} from './test-support.js';

const TOKEN = 'sandboxToken42';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const OPENID = 'oSandboxFollower0000000000001';

/** A request that the test webhook received. */
interface ReceivedRequest {
  method: string;
  url: URL;
  rawQuery: string;
  body: string;
}

/**
 * Starts a webhook on 127.0.0.1 that records every request and replies with `reply(request)`. It
 * checks nothing itself, so tests can inspect exactly what the sandbox sent.
 */
async function startReceiver(reply: (request: ReceivedRequest) => string) {
  const received: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawUrl = req.url ?? '/';
      const request = {
        method: req.method ?? '',
        url: new URL(rawUrl, 'http://127.0.0.1'),
        rawQuery: rawUrl.includes('?') ? rawUrl.slice(rawUrl.indexOf('?') + 1) : '',
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      res.setHeader('content-type', 'text/plain');
      res.end(reply(request));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/wechat/official-account`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const serverCrypto = new OfficialAccountCrypto({
  token: TOKEN,
  encodingAesKey: AES_KEY,
  appId: TEST_OFFICIAL_ACCOUNT.appId,
});

/** Decrypts an Encrypt value with plain AES and returns the padded frame. */
function rawFrame(encrypted: string): Buffer {
  const key = Buffer.from(`${AES_KEY}=`, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
}

function encryptOf(body: string): string {
  const match = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(body);
  if (!match?.[1]) throw new Error(`no Encrypt element in ${body}`);
  return match[1];
}

let harness: TestSandbox;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let replyWith: (request: ReceivedRequest) => string;

beforeEach(async () => {
  harness = await startTestSandbox();
  replyWith = () => 'success';
  receiver = await startReceiver((request) => replyWith(request));
  const configured = await postJson(`${harness.url}/sandbox/official-account/webhook`, {
    url: receiver.url,
    token: TOKEN,
    encodingAesKey: AES_KEY,
    appId: TEST_OFFICIAL_ACCOUNT.appId,
  });
  expect(configured.status).toBe(200);
});

afterEach(async () => {
  await harness.close();
  await receiver.close();
});

async function deliver(body: Record<string, unknown>): Promise<JsonResponse> {
  return postJson(`${harness.url}/sandbox/official-account/deliver`, {
    openid: OPENID,
    message: { type: 'text', content: '你好' },
    ...body,
  });
}

async function officialAccountToken(): Promise<string> {
  const response = await postJson(`${harness.url}/cgi-bin/stable_token`, {
    grant_type: 'client_credential',
    appid: TEST_OFFICIAL_ACCOUNT.appId,
    secret: TEST_OFFICIAL_ACCOUNT.appSecret,
  });
  return String(response.body.access_token);
}

async function sendCustom(token: string, touser = OPENID): Promise<JsonResponse> {
  return postJson(`${harness.url}/cgi-bin/message/custom/send?access_token=${token}`, {
    touser,
    msgtype: 'text',
    text: { content: '学习提醒' },
  });
}

async function createMenu(token: string, menu: unknown): Promise<JsonResponse> {
  return postJson(`${harness.url}/cgi-bin/menu/create?access_token=${token}`, menu);
}

describe('webhook settings', () => {
  it('rejects an AppID that is not a sandbox account', async () => {
    const response = await postJson(`${harness.url}/sandbox/official-account/webhook`, {
      url: receiver.url,
      token: TOKEN,
      encodingAesKey: AES_KEY,
      appId: 'wx9999999999999999',
    });

    expect(response.status).toBe(400);
  });

  it('refuses to deliver before a webhook is configured', async () => {
    await postJson(`${harness.url}/sandbox/reset`, {});

    const response = await deliver({});

    expect(response.status).toBe(409);
  });
});

describe('deliver in safe mode', () => {
  it('signs and encrypts a text message that the server code opens', async () => {
    const response = await deliver({ msgId: '6054768590064713728' });

    expect(response.status).toBe(200);
    expect(receiver.received).toHaveLength(1);
    const request = receiver.received[0]!;
    const query = request.url.searchParams;
    expect(request.method).toBe('POST');
    expect(query.get('encrypt_type')).toBe('aes');
    expect(query.get('openid')).toBe(OPENID);
    const encrypted = encryptOf(request.body);
    const timestamp = query.get('timestamp') ?? '';
    const nonce = query.get('nonce') ?? '';
    expect(serverCrypto.verifyUrlSignature(query.get('signature') ?? '', timestamp, nonce)).toBe(
      true,
    );
    expect(
      serverCrypto.verifyMessageSignature(
        query.get('msg_signature') ?? '',
        timestamp,
        nonce,
        encrypted,
      ),
    ).toBe(true);
    const xml = serverCrypto.decrypt(encrypted);
    expect(xml).toContain('<Content><![CDATA[你好]]></Content>');
    expect(xml).toContain('<MsgId>6054768590064713728</MsgId>');
    expect(xml).toContain(`<FromUserName><![CDATA[${OPENID}]]></FromUserName>`);
    expect(request.body).not.toContain('你好');
  });

  for (const paddingBytes of [1, 17, 31, 32]) {
    it(`pads the frame with exactly ${paddingBytes} bytes on request`, async () => {
      await deliver({ paddingBytes });

      const frame = rawFrame(encryptOf(receiver.received[0]!.body));
      expect(frame.length % 32).toBe(0);
      expect(frame.at(-1)).toBe(paddingBytes);
      expect(
        frame.subarray(frame.length - paddingBytes).every((byte) => byte === paddingBytes),
      ).toBe(true);
      expect(serverCrypto.decrypt(encryptOf(receiver.received[0]!.body))).toContain('你好');
    });
  }

  it('writes another AppID into the frame on request', async () => {
    await deliver({ frameAppId: 'wx0000000000000000' });

    const frame = rawFrame(encryptOf(receiver.received[0]!.body));
    expect(frame.toString('utf8')).toContain('wx0000000000000000');
    expect(() => serverCrypto.decrypt(encryptOf(receiver.received[0]!.body))).toThrow(/AppID/);
  });

  it('sends a wrong signature on request', async () => {
    await deliver({ invalidSignature: true });

    const query = receiver.received[0]!.url.searchParams;
    const valid = serverCrypto.verifyMessageSignature(
      query.get('msg_signature') ?? '',
      query.get('timestamp') ?? '',
      query.get('nonce') ?? '',
      encryptOf(receiver.received[0]!.body),
    );
    expect(valid).toBe(false);
  });

  it('repeats the same message, as WeChat retries', async () => {
    const response = await deliver({ repeat: 3 });

    const msgIds = receiver.received.map(
      (request) => /<MsgId>(\d+)<\/MsgId>/.exec(serverCrypto.decrypt(encryptOf(request.body)))?.[1],
    );
    expect(receiver.received).toHaveLength(3);
    expect(new Set(msgIds).size).toBe(1);
    expect(msgIds[0]).toBe(response.body.msgId);
    expect(response.body.attempts).toHaveLength(3);
  });

  it('decrypts and checks an encrypted reply', async () => {
    const replyXml = '<xml><Content><![CDATA[回复]]></Content></xml>';
    replyWith = () => serverEncryptedReply(replyXml);

    const response = await deliver({});
    const attempts = response.body.attempts as Array<{ reply: { kind: string; xml?: string } }>;

    expect(attempts[0]?.reply.kind).toBe('xml');
    expect(attempts[0]?.reply.xml).toBe(replyXml);
  });

  it('marks a reply with a wrong signature invalid', async () => {
    replyWith = () =>
      serverEncryptedReply('<xml/>').replace(
        /<MsgSignature><!\[CDATA\[./,
        '<MsgSignature><![CDATA[x',
      );

    const response = await deliver({});
    const attempts = response.body.attempts as Array<{ reply: { kind: string } }>;

    expect(attempts[0]?.reply.kind).toBe('invalid');
  });

  it('reads success as no reply', async () => {
    const response = await deliver({});
    const attempts = response.body.attempts as Array<{ reply: { kind: string } }>;

    expect(attempts[0]?.reply.kind).toBe('none');
  });
});

function serverEncryptedReply(xml: string): string {
  const encrypted = serverCrypto.encrypt(xml);
  const signature = serverCrypto.signMessage('1700000000', '123', encrypted);
  return (
    `<xml><Encrypt><![CDATA[${encrypted}]]></Encrypt><MsgSignature><![CDATA[${signature}]]>` +
    '</MsgSignature><TimeStamp>1700000000</TimeStamp><Nonce><![CDATA[123]]></Nonce></xml>'
  );
}

describe('deliver in plaintext and compatible mode', () => {
  it('posts plain XML with only the URL signature', async () => {
    await deliver({ mode: 'plaintext' });

    const request = receiver.received[0]!;
    expect(request.url.searchParams.has('encrypt_type')).toBe(false);
    expect(request.body).toContain('<Content><![CDATA[你好]]></Content>');
    expect(request.body).not.toContain('<Encrypt>');
  });

  it('posts plaintext fields and Encrypt together in compatible mode', async () => {
    await deliver({ mode: 'compatible' });

    const request = receiver.received[0]!;
    expect(request.url.searchParams.get('encrypt_type')).toBe('aes');
    expect(request.body).toContain('<Content><![CDATA[你好]]></Content>');
    expect(serverCrypto.decrypt(encryptOf(request.body))).toContain('你好');
  });
});

describe('parameterised QR codes', () => {
  async function createQr(token: string, scene = 'bind_abcdefghijklmnop') {
    return postJson(`${harness.url}/cgi-bin/qrcode/create?access_token=${token}`, {
      expire_seconds: 600,
      action_name: 'QR_STR_SCENE',
      action_info: { scene: { scene_str: scene } },
    });
  }

  it('creates a temporary code and puts its scene in scan events', async () => {
    const token = await officialAccountToken();
    const created = await createQr(token);
    const ticket = String(created.body.ticket);

    await deliver({ message: { type: 'event', event: 'SCAN', qrTicket: ticket } });
    await deliver({
      openid: 'oSandboxFollower0000000000002',
      message: { type: 'event', event: 'subscribe', qrTicket: ticket },
    });

    expect(created.body.expire_seconds).toBe(600);
    const scan = serverCrypto.decrypt(encryptOf(receiver.received[0]!.body));
    const subscribe = serverCrypto.decrypt(encryptOf(receiver.received[1]!.body));
    expect(scan).toContain('<EventKey><![CDATA[bind_abcdefghijklmnop]]></EventKey>');
    expect(scan).toContain(`<Ticket><![CDATA[${ticket}]]></Ticket>`);
    expect(subscribe).toContain('<EventKey><![CDATA[qrscene_bind_abcdefghijklmnop]]></EventKey>');
  });

  it('sends no event for an expired code', async () => {
    const token = await officialAccountToken();
    const ticket = String((await createQr(token)).body.ticket);
    harness.advance(600_000);

    const response = await deliver({ message: { type: 'event', event: 'SCAN', qrTicket: ticket } });

    expect(response.status).toBe(409);
    expect(receiver.received).toHaveLength(0);
  });

  it('rejects a request without a scene with 47001', async () => {
    const token = await officialAccountToken();

    const response = await postJson(`${harness.url}/cgi-bin/qrcode/create?access_token=${token}`, {
      action_name: 'QR_STR_SCENE',
      action_info: { scene: {} },
    });

    expect(response.body.errcode).toBe(47001);
  });

  it('serves an image for a known ticket', async () => {
    const token = await officialAccountToken();
    const ticket = String((await createQr(token)).body.ticket);

    const image = await fetch(
      `${harness.url}/cgi-bin/showqrcode?ticket=${encodeURIComponent(ticket)}`,
    );
    const missing = await fetch(`${harness.url}/cgi-bin/showqrcode?ticket=unknown`);

    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(missing.status).toBe(404);
  });
});

describe('customer-service messages', () => {
  it('rejects an openid that never interacted with 40003', async () => {
    const token = await officialAccountToken();

    const response = await sendCustom(token);

    expect(response.body.errcode).toBe(40003);
  });

  it('allows 5 messages per interaction, then 45047', async () => {
    const token = await officialAccountToken();
    await deliver({});

    for (let index = 0; index < SERVICE_WINDOW_MESSAGES; index += 1) {
      expect((await sendCustom(token)).body.errcode).toBe(0);
    }
    const sixth = await sendCustom(token);
    await deliver({});
    const afterNewMessage = await sendCustom(token);

    expect(sixth.body.errcode).toBe(45047);
    expect(afterNewMessage.body.errcode).toBe(0);
  });

  it('rejects a message 48 hours after the interaction with 45015', async () => {
    await deliver({});
    harness.advance(SERVICE_WINDOW_MS);
    // The 48 hours outlast any access token, so the token is fetched afterwards.
    const token = await officialAccountToken();

    const response = await sendCustom(token);

    expect(response.body.errcode).toBe(45015);
  });

  it('rejects a follower who unsubscribed with 45015', async () => {
    const token = await officialAccountToken();
    await deliver({});
    await deliver({ message: { type: 'event', event: 'unsubscribe' } });

    expect((await sendCustom(token)).body.errcode).toBe(45015);
  });

  it('does not open the window for a VIEW event', async () => {
    const token = await officialAccountToken();
    await deliver({ message: { type: 'event', event: 'VIEW', eventKey: 'https://example.com/' } });

    expect((await sendCustom(token)).body.errcode).toBe(45015);
  });

  it('records every request that passed the token check', async () => {
    const token = await officialAccountToken();
    await deliver({});
    await sendCustom(token);
    await sendCustom(token, 'oUnknownFollower');

    const records = await requestJson(`${harness.url}/sandbox/official-account/custom-messages`);
    const messages = records.body.messages as Array<Record<string, unknown>>;

    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatchObject({ touser: OPENID, content: '学习提醒', errcode: 0 });
    expect(messages[1]).toMatchObject({ touser: 'oUnknownFollower', errcode: 40003 });
  });

  it('rejects an invalid token with 40001 and records nothing', async () => {
    const response = await sendCustom('90_not-a-token');
    const records = await requestJson(`${harness.url}/sandbox/official-account/custom-messages`);

    expect(response.body.errcode).toBe(40001);
    expect(records.body.messages).toEqual([]);
  });
});

describe('custom menu', () => {
  const validMenu = {
    button: [
      {
        type: 'miniprogram',
        name: '学习',
        url: 'https://example.com/',
        appid: TEST_APP_ID,
        pagepath: 'pages/index/index',
      },
      { type: 'click', name: '常见问题', key: 'FAQ' },
      {
        name: '更多',
        sub_button: [{ type: 'view', name: '官网', url: 'https://example.com/about' }],
      },
    ],
  };

  it('accepts a valid menu and records it', async () => {
    const token = await officialAccountToken();

    const response = await createMenu(token, validMenu);
    const records = await requestJson(`${harness.url}/sandbox/official-account/menus`);

    expect(response.body.errcode).toBe(0);
    expect((records.body.menus as Array<{ menu: unknown }>)[0]?.menu).toEqual(validMenu);
  });

  const invalidCases: Array<{ name: string; menu: unknown; errcode: number }> = [
    { name: 'no buttons', menu: { button: [] }, errcode: 40016 },
    {
      name: 'four buttons',
      menu: { button: Array.from({ length: 4 }, () => ({ type: 'click', name: 'a', key: 'k' })) },
      errcode: 40016,
    },
    {
      name: 'a name over 16 bytes',
      menu: { button: [{ type: 'click', name: '非常非常长的名字', key: 'k' }] },
      errcode: 40018,
    },
    { name: 'an unknown type', menu: { button: [{ type: 'tap', name: 'a' }] }, errcode: 40017 },
    {
      name: 'a click without key',
      menu: { button: [{ type: 'click', name: 'a' }] },
      errcode: 40019,
    },
    {
      name: 'a view with an invalid url',
      menu: { button: [{ type: 'view', name: 'a', url: 'not a url' }] },
      errcode: 40055,
    },
    {
      name: 'a sub-button with an invalid url',
      menu: { button: [{ name: 'a', sub_button: [{ type: 'view', name: 'b', url: 'ftp://x' }] }] },
      errcode: 40054,
    },
    {
      name: 'six sub-buttons',
      menu: {
        button: [
          {
            name: 'a',
            sub_button: Array.from({ length: 6 }, () => ({ type: 'click', name: 'b', key: 'k' })),
          },
        ],
      },
      errcode: 40023,
    },
    {
      name: 'a mini-program of another AppID',
      menu: {
        button: [
          {
            type: 'miniprogram',
            name: '学习',
            url: 'https://example.com/',
            appid: TEST_OFFICIAL_ACCOUNT.appId,
            pagepath: 'pages/index/index',
          },
        ],
      },
      errcode: 40013,
    },
  ];

  for (const testCase of invalidCases) {
    it(`rejects ${testCase.name} with ${testCase.errcode}`, async () => {
      const token = await officialAccountToken();

      const response = await createMenu(token, testCase.menu);

      expect(response.body.errcode).toBe(testCase.errcode);
    });
  }
});

describe('user/info', () => {
  async function userInfo(token: string, openid: string): Promise<JsonResponse> {
    return requestJson(`${harness.url}/cgi-bin/user/info?access_token=${token}&openid=${openid}`);
  }

  it('returns the unionid of a follower', async () => {
    const token = await officialAccountToken();
    await deliver({
      unionid: 'uSandboxUnion0000000000000001',
      message: { type: 'event', event: 'subscribe' },
    });

    const response = await userInfo(token, OPENID);

    expect(response.body.subscribe).toBe(1);
    expect(response.body.unionid).toBe('uSandboxUnion0000000000000001');
  });

  it('returns subscribe 0 after unsubscribe', async () => {
    const token = await officialAccountToken();
    await deliver({ message: { type: 'event', event: 'unsubscribe' } });

    const response = await userInfo(token, OPENID);

    expect(response.body.subscribe).toBe(0);
    expect(response.body).not.toHaveProperty('unionid');
  });

  it('rejects an unknown openid with 40003', async () => {
    const token = await officialAccountToken();

    expect((await userInfo(token, 'oNobody')).body.errcode).toBe(40003);
  });
});

describe('URL verification', () => {
  it('sends echostr unencoded, so + and / arrive as they are', async () => {
    replyWith = (request) => /echostr=([^&]*)/.exec(request.rawQuery)?.[1] ?? '';

    const response = await postJson(`${harness.url}/sandbox/official-account/verify-url`, {
      echostr: 'ab+cd/ef==',
    });

    expect(receiver.received[0]?.method).toBe('GET');
    expect(receiver.received[0]?.rawQuery).toContain('echostr=ab+cd/ef==');
    expect(response.body.verified).toBe(true);
  });

  it('reports a reply that differs from echostr', async () => {
    replyWith = () => 'ab cd/ef==';

    const response = await postJson(`${harness.url}/sandbox/official-account/verify-url`, {
      echostr: 'ab+cd/ef==',
    });

    expect(response.body.verified).toBe(false);
  });
});
