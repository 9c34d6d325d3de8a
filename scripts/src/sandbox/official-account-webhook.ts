// Posts official-account messages and events to the configured webhook as WeChat does: the XML
// of the message, the signature query parameters and, in safe and compatible mode, the AES
// encryption. Then reads the webhook's reply as WeChat would, checking an encrypted reply's
// signature and AppID.
import { randomInt } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import type { SandboxContext } from './context.js';
import type { OfficialAccountArea, OfficialAccountWebhook } from './official-account.js';
import {
  decryptWebhookReply,
  encryptForWebhook,
  fitXmlToPadding,
  wechatSignature,
} from './official-account-crypto.js';

/** WeChat waits this long for a webhook's reply before it gives up on the attempt. */
export const WEBHOOK_TIMEOUT_MS = 5_000;

const wechatIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -');

export const deliverRequestSchema = z.strictObject({
  /** `plaintext` (no encryption), `compatible` (plaintext and Encrypt) or `safe` (Encrypt only). */
  mode: z.enum(['plaintext', 'compatible', 'safe']).default('safe'),
  /** The follower's openid under the official account. */
  openid: wechatIdSchema,
  /** Sets the follower's unionid, returned by user/info from then on. */
  unionid: wechatIdSchema.optional(),
  message: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('text'), content: z.string().min(1).max(2048) }),
    z.strictObject({ type: z.literal('image'), picUrl: z.url().optional() }),
    z.strictObject({
      type: z.literal('event'),
      event: z.string().regex(/^[A-Za-z_]{1,64}$/),
      eventKey: z.string().max(256).optional(),
      /** A ticket from qrcode/create: the sandbox sets EventKey from its scene as WeChat does. */
      qrTicket: z.string().min(1).optional(),
    }),
  ]),
  /** Defaults to a random 64-bit id for messages; events have none. */
  msgId: z
    .string()
    .regex(/^\d{1,20}$/)
    .optional(),
  /** Seconds since the epoch; defaults to the sandbox clock. */
  createTime: z.number().int().positive().optional(),
  /** Number of times the same message is posted, as WeChat's retries do. */
  repeat: z.number().int().min(1).max(5).default(1),
  /** Posts the repeats at the same time instead of one after another. */
  concurrent: z.boolean().default(false),
  /** Pads the message XML so that the encrypted frame ends with exactly this many padding bytes. */
  paddingBytes: z.number().int().min(1).max(32).optional(),
  /** AppID written into the encrypted frame; defaults to the configured official account's. */
  frameAppId: z.string().min(1).max(64).optional(),
  /** Sends a wrong signature (and msg_signature). */
  invalidSignature: z.boolean().default(false),
  timeoutMs: z.number().int().min(100).max(15_000).default(WEBHOOK_TIMEOUT_MS),
});

export type DeliverRequest = z.infer<typeof deliverRequestSchema>;

export const verifyUrlRequestSchema = z.strictObject({
  /** Sent unencoded in the query string; defaults to a random 19-digit number. */
  echostr: z
    .string()
    .regex(/^[A-Za-z0-9+/=_-]{1,128}$/)
    .optional(),
  invalidSignature: z.boolean().default(false),
});

export type VerifyUrlRequest = z.infer<typeof verifyUrlRequestSchema>;

/** A webhook's reply body as WeChat reads it. */
export type WebhookReply =
  { kind: 'none' } | { kind: 'xml'; xml: string } | { kind: 'invalid'; problem: string };

export interface DeliveryAttempt {
  /** HTTP status, or null when the attempt failed or timed out. */
  status: number | null;
  /** Raw reply body. */
  body: string;
  durationMs: number;
  timedOut: boolean;
  error: string | null;
  reply: WebhookReply;
}

export interface DeliverOutcome {
  /** The plaintext message XML, as encrypted. */
  xml: string;
  msgId: string | null;
  createTime: number;
  attempts: DeliveryAttempt[];
}

export type DeliverResult =
  { ok: true; outcome: DeliverOutcome } | { ok: false; status: number; message: string };

const replyParser = new XMLParser({ parseTagValue: false, ignoreAttributes: true });

function cdata(value: string): string {
  return `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

function randomDigits(length: number): string {
  let digits = String(randomInt(1, 10));
  while (digits.length < length) digits += String(randomInt(0, 10));
  return digits;
}

/** Replaces the first character of a hex signature with another hex digit. */
function spoil(signature: string): string {
  return (signature.startsWith('0') ? '1' : '0') + signature.slice(1);
}

interface MessageFields {
  createTime: number;
  msgId: string | null;
  eventKey: string | null;
  ticket: string | null;
}

function buildMessageXml(
  webhook: OfficialAccountWebhook,
  request: DeliverRequest,
  fields: MessageFields,
): string {
  const lines = [
    `<ToUserName>${cdata(webhook.originalId)}</ToUserName>`,
    `<FromUserName>${cdata(request.openid)}</FromUserName>`,
    `<CreateTime>${fields.createTime}</CreateTime>`,
  ];
  const message = request.message;
  if (message.type === 'text') {
    lines.push(
      `<MsgType>${cdata('text')}</MsgType>`,
      `<Content>${cdata(message.content)}</Content>`,
    );
  } else if (message.type === 'image') {
    lines.push(
      `<MsgType>${cdata('image')}</MsgType>`,
      `<PicUrl>${cdata(message.picUrl ?? 'http://mmbiz.qpic.cn/sandbox.jpg')}</PicUrl>`,
      `<MediaId>${cdata(`media_${fields.msgId ?? ''}`)}</MediaId>`,
    );
  } else {
    lines.push(`<MsgType>${cdata('event')}</MsgType>`, `<Event>${cdata(message.event)}</Event>`);
    if (fields.eventKey !== null) lines.push(`<EventKey>${cdata(fields.eventKey)}</EventKey>`);
    if (fields.ticket !== null) lines.push(`<Ticket>${cdata(fields.ticket)}</Ticket>`);
  }
  if (fields.msgId !== null) lines.push(`<MsgId>${fields.msgId}</MsgId>`);
  return `<xml>\n${lines.join('\n')}\n</xml>`;
}

/** Reads a webhook's reply as WeChat does: `success` or empty means no reply. */
export function readWebhookReply(
  webhook: OfficialAccountWebhook,
  mode: DeliverRequest['mode'],
  body: string,
): WebhookReply {
  if (body.trim() === '' || body === 'success') return { kind: 'none' };
  if (mode === 'plaintext' || (mode === 'compatible' && !body.includes('<Encrypt>'))) {
    return { kind: 'xml', xml: body };
  }

  let fields: Record<string, unknown>;
  try {
    const parsed = replyParser.parse(body) as { xml?: Record<string, unknown> };
    fields = parsed.xml ?? {};
  } catch (error) {
    return { kind: 'invalid', problem: `reply is not XML: ${String(error)}` };
  }
  const { Encrypt: encrypt, MsgSignature: signature, TimeStamp: timestamp, Nonce: nonce } = fields;
  if (
    typeof encrypt !== 'string' ||
    typeof signature !== 'string' ||
    typeof timestamp !== 'string' ||
    typeof nonce !== 'string'
  ) {
    return { kind: 'invalid', problem: 'reply lacks Encrypt, MsgSignature, TimeStamp or Nonce' };
  }
  if (wechatSignature(webhook.token, timestamp, nonce, encrypt) !== signature) {
    return { kind: 'invalid', problem: 'reply MsgSignature does not match' };
  }
  try {
    const decrypted = decryptWebhookReply(webhook.encodingAesKey, encrypt);
    if (decrypted.appId !== webhook.appId) {
      return { kind: 'invalid', problem: `reply is encrypted for AppID ${decrypted.appId}` };
    }
    return { kind: 'xml', xml: decrypted.message };
  } catch (error) {
    return { kind: 'invalid', problem: `reply cannot be decrypted: ${String(error)}` };
  }
}

/** Applies what the follower's action changes at WeChat: follow state and service window. */
function applyFollowerAction(
  area: OfficialAccountArea,
  webhook: OfficialAccountWebhook,
  request: DeliverRequest,
  now: number,
): void {
  const follower = area.follower(webhook.appId, request.openid);
  if (request.unionid !== undefined) follower.unionid = request.unionid;

  const event = request.message.type === 'event' ? request.message.event : null;
  if (event === 'unsubscribe') {
    follower.subscribed = false;
    return;
  }
  // Only followers can send messages or use the menu, so every other action means following.
  if (!follower.subscribed) {
    follower.subscribed = true;
    follower.subscribedAt = now;
  }
  // Messages, following, scanning and click-type menu buttons open the window; links do not.
  const opensWindow =
    event === null ||
    ['subscribe', 'SCAN', 'CLICK', 'scancode_push', 'scancode_waitmsg'].includes(event);
  if (opensWindow) area.recordInteraction(follower);
}

async function postOnce(
  webhook: OfficialAccountWebhook,
  request: DeliverRequest,
  now: number,
  body: string,
  encrypted: string | null,
): Promise<DeliveryAttempt> {
  const timestamp = String(Math.floor(now / 1000));
  const nonce = randomDigits(10);
  let signature = wechatSignature(webhook.token, timestamp, nonce);
  if (request.invalidSignature) signature = spoil(signature);
  const query = new URLSearchParams({ signature, timestamp, nonce, openid: request.openid });
  if (encrypted !== null) {
    let msgSignature = wechatSignature(webhook.token, timestamp, nonce, encrypted);
    if (request.invalidSignature) msgSignature = spoil(msgSignature);
    query.set('encrypt_type', 'aes');
    query.set('msg_signature', msgSignature);
  }

  const url = new URL(webhook.url);
  for (const [name, value] of query) url.searchParams.append(name, value);
  const startedAt = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      body,
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text,
      durationMs: Math.round(performance.now() - startedAt),
      timedOut: false,
      error: null,
      reply: response.ok
        ? readWebhookReply(webhook, request.mode, text)
        : { kind: 'invalid', problem: `HTTP ${response.status}` },
    };
  } catch (error) {
    const timedOut = (error as { name?: string }).name === 'TimeoutError';
    return {
      status: null,
      body: '',
      durationMs: Math.round(performance.now() - startedAt),
      timedOut,
      error: timedOut ? `no reply within ${request.timeoutMs} ms` : String(error),
      reply: { kind: 'invalid', problem: timedOut ? 'timed out' : 'request failed' },
    };
  }
}

/** Builds, signs, encrypts and posts one message `repeat` times and returns every attempt. */
export async function deliverToWebhook(
  context: SandboxContext,
  area: OfficialAccountArea,
  request: DeliverRequest,
): Promise<DeliverResult> {
  const webhook = area.webhook();
  if (webhook === null) {
    return {
      ok: false,
      status: 409,
      message: 'no webhook configured: POST /sandbox/official-account/webhook first',
    };
  }

  const now = context.clock.now();
  const message = request.message;
  let eventKey = message.type === 'event' ? (message.eventKey ?? null) : null;
  let ticket: string | null = null;
  if (message.type === 'event' && message.qrTicket !== undefined) {
    const code = area.validQrCode(message.qrTicket);
    if (code === undefined) {
      return {
        ok: false,
        status: 409,
        message: 'QR code is unknown or expired: WeChat sends no event for it',
      };
    }
    const scene = code.sceneStr ?? String(code.sceneId);
    // A follower who subscribes through the code gets `qrscene_` before the scene.
    eventKey = message.event === 'subscribe' ? `qrscene_${scene}` : scene;
    ticket = code.ticket;
  }

  const fields: MessageFields = {
    createTime: request.createTime ?? Math.floor(now / 1000),
    msgId: message.type === 'event' ? null : (request.msgId ?? randomDigits(19)),
    eventKey,
    ticket,
  };
  const frameAppId = request.frameAppId ?? webhook.appId;
  let xml = buildMessageXml(webhook, request, fields);
  if (request.paddingBytes !== undefined) {
    xml = fitXmlToPadding(xml, frameAppId, request.paddingBytes);
  }

  let body = xml;
  let encrypted: string | null = null;
  if (request.mode !== 'plaintext') {
    encrypted = encryptForWebhook(webhook.encodingAesKey, frameAppId, xml);
    const encryptElement = `<Encrypt>${cdata(encrypted)}</Encrypt>`;
    body =
      request.mode === 'safe'
        ? `<xml>\n<ToUserName>${cdata(webhook.originalId)}</ToUserName>\n${encryptElement}\n</xml>`
        : xml.replace(/<\/xml>$/, `${encryptElement}\n</xml>`);
  }

  applyFollowerAction(area, webhook, request, now);
  context.logger.info(
    { openid: request.openid, mode: request.mode, repeat: request.repeat },
    'official account message delivered',
  );

  let attempts: DeliveryAttempt[];
  if (request.concurrent) {
    attempts = await Promise.all(
      Array.from({ length: request.repeat }, () =>
        postOnce(webhook, request, now, body, encrypted),
      ),
    );
  } else {
    attempts = [];
    for (let index = 0; index < request.repeat; index += 1) {
      attempts.push(await postOnce(webhook, request, now, body, encrypted));
    }
  }
  return {
    ok: true,
    outcome: { xml, msgId: fields.msgId, createTime: fields.createTime, attempts },
  };
}

export interface VerifyUrlOutcome {
  echostr: string;
  status: number | null;
  body: string;
  /** True when the body equals echostr byte for byte, which is what WeChat checks. */
  verified: boolean;
}

/** Sends the GET that WeChat sends when the server URL is saved on the settings page. */
export async function verifyWebhookUrl(
  context: SandboxContext,
  area: OfficialAccountArea,
  request: VerifyUrlRequest,
): Promise<
  { ok: true; outcome: VerifyUrlOutcome } | { ok: false; status: number; message: string }
> {
  const webhook = area.webhook();
  if (webhook === null) {
    return {
      ok: false,
      status: 409,
      message: 'no webhook configured: POST /sandbox/official-account/webhook first',
    };
  }
  const echostr = request.echostr ?? randomDigits(19);
  const timestamp = String(Math.floor(context.clock.now() / 1000));
  const nonce = randomDigits(10);
  let signature = wechatSignature(webhook.token, timestamp, nonce);
  if (request.invalidSignature) signature = spoil(signature);

  // echostr goes into the query string unencoded, so `+` and `/` reach the server as they are.
  const separator = webhook.url.includes('?') ? '&' : '?';
  const query = `signature=${signature}&timestamp=${timestamp}&nonce=${nonce}&echostr=${echostr}`;
  const url = `${webhook.url}${separator}${query}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS) });
    const body = await response.text();
    return {
      ok: true,
      outcome: {
        echostr,
        status: response.status,
        body,
        verified: response.ok && body === echostr,
      },
    };
  } catch (error) {
    return {
      ok: true,
      outcome: { echostr, status: null, body: String(error), verified: false },
    };
  }
}
