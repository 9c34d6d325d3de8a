// Payment and refund notifications as WeChat Pay posts them: a JSON envelope whose resource is
// encrypted with the APIv3 key, signed with the platform key named in Wechatpay-Serial. On
// request the sandbox repeats them, delays them, or spoils them in the ways a server must reject.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { SandboxContext } from './context.js';
import type { PayArea, SandboxPayOrder, SandboxRefund } from './pay.js';
import {
  alterCiphertext,
  chinaTime,
  encryptResource,
  generatePlatformKey,
  randomNonce,
  signPlatformMessage,
  type PlatformKey,
} from './pay-signing.js';

/** WeChat Pay waits this long for the merchant's response before it counts the attempt failed. */
export const NOTIFY_TIMEOUT_MS = 5_000;

/** Options of building a notification: the ways to spoil it that a server must detect. */
export const notificationBuildSchema = z.strictObject({
  /**
   * `ciphertext`: alter the ciphertext so that it decrypts to another order number, keep the
   * GCM tag, and sign the result with the real platform key. `body`: change the body after
   * signing it.
   */
  tamper: z.enum(['none', 'ciphertext', 'body']).default('none'),
  /** Order number that a `ciphertext` tamper makes the resource name; same length as the real one. */
  tamperOutTradeNo: z.string().min(1).max(32).optional(),
  /** Sign with a key whose serial WeChat Pay never published. */
  unknownSerial: z.boolean().default(false),
  /** `spaced` writes the JSON with spaces after `:` and `,`, which a re-serialised body loses. */
  format: z.enum(['compact', 'spaced']).default('compact'),
  /** Seconds to move Wechatpay-Timestamp from the sandbox clock, such as -600 for a stale one. */
  timestampOffsetSeconds: z.number().int().min(-86_400).max(86_400).default(0),
});

/** Options of delivering a notification. */
export const deliverySchema = notificationBuildSchema.extend({
  /** Number of times the same notification is posted, as WeChat Pay's retries do. */
  repeat: z.number().int().min(1).max(50).default(1),
  /** Time between the starts of two posts, in milliseconds of real time. */
  intervalMs: z.number().int().min(0).max(30_000).default(0),
  /** Posts every repeat at the same moment. */
  concurrent: z.boolean().default(false),
  /** Wait before the first post, in milliseconds of real time. */
  delayMs: z.number().int().min(0).max(60_000).default(0),
  timeoutMs: z.number().int().min(100).max(15_000).default(NOTIFY_TIMEOUT_MS),
  /** False responds at once and posts in the background, as WeChat Pay notifies after paying. */
  wait: z.boolean().default(true),
});

export type NotificationBuild = z.infer<typeof notificationBuildSchema>;
export type Delivery = z.infer<typeof deliverySchema>;

export interface BuiltNotification {
  id: string;
  headers: Record<string, string>;
  body: string;
}

export interface NotifyAttempt {
  status: number | null;
  body: string;
  durationMs: number;
  timedOut: boolean;
  error: string | null;
}

export interface NotifyOutcome {
  notificationId: string;
  url: string;
  attempts: NotifyAttempt[];
}

/** A key that signs notifications under a serial the merchant cannot know; made on first use. */
let strangerKey: PlatformKey | undefined;

interface Resource {
  json: Record<string, unknown>;
  originalType: 'transaction' | 'refund';
  eventType: string;
  summary: string;
  /** The order number inside the resource, for a `ciphertext` tamper. */
  outTradeNo: string;
}

function stringify(value: unknown, format: NotificationBuild['format']): string {
  const compact = JSON.stringify(value);
  if (format === 'compact') return compact;
  // Spaces after the separators outside strings, as many JSON writers put them.
  return compact.replace(/("(?:[^"\\]|\\.)*")|([:,])/g, (match, text: string | undefined) =>
    text === undefined ? `${match} ` : text,
  );
}

/** Builds and signs a notification of a resource; throws when the merchant is not configured. */
function build(
  context: SandboxContext,
  area: PayArea,
  resource: Resource,
  options: NotificationBuild,
): BuiltNotification {
  const merchant = area.merchant();
  if (!merchant) throw new Error('no merchant configured: POST /sandbox/pay/merchant first');
  const now = context.clock.now();
  const plaintext = JSON.stringify(resource.json);
  let encrypted = encryptResource(merchant.apiV3Key, plaintext, resource.originalType);
  if (options.tamper === 'ciphertext') {
    const target = options.tamperOutTradeNo ?? spoilLastCharacter(resource.outTradeNo);
    encrypted = alterCiphertext(encrypted, plaintext, resource.outTradeNo, target);
  }
  const id = randomUUID();
  const envelope = {
    id,
    create_time: chinaTime(now),
    resource_type: 'encrypt-resource',
    event_type: resource.eventType,
    summary: resource.summary,
    resource: { original_type: resource.originalType, ...encrypted },
  };
  let body = stringify(envelope, options.format);

  let { key, serial } = area.signingKey();
  if (options.unknownSerial) {
    strangerKey ??= generatePlatformKey(now);
    key = strangerKey;
    serial = strangerKey.serialNo;
  }
  const timestamp = String(Math.floor(now / 1000) + options.timestampOffsetSeconds);
  const nonce = randomNonce();
  const signature = signPlatformMessage(key.privateKey, timestamp, nonce, body);
  if (options.tamper === 'body') body = body.replace(resource.summary, `${resource.summary}!`);
  return {
    id,
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': nonce,
      'wechatpay-signature': signature,
      'wechatpay-serial': serial,
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
      'request-id': randomNonce(),
    },
    body,
  };
}

/** Replaces the last character of an order number with another letter or digit. */
function spoilLastCharacter(outTradeNo: string): string {
  const last = outTradeNo.slice(-1);
  return `${outTradeNo.slice(0, -1)}${last === '0' ? '1' : '0'}`;
}

export function buildPaymentNotification(
  context: SandboxContext,
  area: PayArea,
  order: SandboxPayOrder,
  options: NotificationBuild,
): BuiltNotification {
  return build(
    context,
    area,
    {
      json: area.transactionJson(order),
      originalType: 'transaction',
      eventType: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      outTradeNo: order.outTradeNo,
    },
    options,
  );
}

const REFUND_EVENTS = {
  SUCCESS: { eventType: 'REFUND.SUCCESS', summary: '退款成功' },
  ABNORMAL: { eventType: 'REFUND.ABNORMAL', summary: '退款异常' },
  CLOSED: { eventType: 'REFUND.CLOSED', summary: '退款关闭' },
} as const;

export function buildRefundNotification(
  context: SandboxContext,
  area: PayArea,
  refund: SandboxRefund,
  options: NotificationBuild,
): BuiltNotification {
  if (refund.status === 'PROCESSING') throw new Error('a processing refund sends no notification');
  return build(
    context,
    area,
    {
      json: area.refundNotificationJson(refund),
      originalType: 'refund',
      ...REFUND_EVENTS[refund.status],
      outTradeNo: refund.outTradeNo,
    },
    options,
  );
}

async function postOnce(
  url: string,
  notification: BuiltNotification,
  timeoutMs: number,
): Promise<NotifyAttempt> {
  const startedAt = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: notification.headers,
      body: notification.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return {
      status: response.status,
      body: await response.text(),
      durationMs: Math.round(performance.now() - startedAt),
      timedOut: false,
      error: null,
    };
  } catch (error) {
    const timedOut = (error as { name?: string }).name === 'TimeoutError';
    return {
      status: null,
      body: '',
      durationMs: Math.round(performance.now() - startedAt),
      timedOut,
      error: timedOut ? `no answer within ${timeoutMs} ms` : String(error),
    };
  }
}

/** Posts a notification `repeat` times after `delayMs` and returns every attempt. */
export async function deliver(
  context: SandboxContext,
  url: string,
  notification: BuiltNotification,
  delivery: Delivery,
): Promise<NotifyOutcome> {
  if (delivery.delayMs > 0) await sleep(delivery.delayMs);
  let attempts: NotifyAttempt[];
  if (delivery.concurrent) {
    attempts = await Promise.all(
      Array.from({ length: delivery.repeat }, () =>
        postOnce(url, notification, delivery.timeoutMs),
      ),
    );
  } else {
    attempts = [];
    for (let index = 0; index < delivery.repeat; index++) {
      if (index > 0 && delivery.intervalMs > 0) await sleep(delivery.intervalMs);
      attempts.push(await postOnce(url, notification, delivery.timeoutMs));
    }
  }
  context.logger.info(
    {
      notificationId: notification.id,
      attempts: attempts.length,
      statuses: attempts.map((attempt) => attempt.status),
    },
    'sandbox pay notification delivered',
  );
  return { notificationId: notification.id, url, attempts };
}
