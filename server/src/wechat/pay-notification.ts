// Opening a WeChat Pay notification: the headers' signature over the raw body bytes, the age of
// its timestamp, the key its serial names, then the AEAD_AES_256_GCM decryption of its resource.
import { z } from 'zod';
import { PayDecryptionError, decryptResource, verifyPlatformSignature } from './pay-crypto.js';
import type { PlatformKeys } from './pay-platform-keys.js';

/** WeChat Pay's notifications must be no older or newer than this, against the server clock. */
export const NOTIFICATION_MAX_AGE_MS = 5 * 60 * 1000;

export type NotificationRejection =
  | 'missing_header'
  | 'stale_timestamp'
  | 'unknown_serial'
  | 'invalid_signature'
  | 'invalid_body'
  | 'decryption_failed';

/** A notification that failed a check; nothing in it may be acted on. */
export class PayNotificationError extends Error {
  constructor(
    readonly reason: NotificationRejection,
    message: string,
  ) {
    super(message);
    this.name = 'PayNotificationError';
  }
}

/** The signature headers, read case-insensitively from the request. */
export interface NotificationHeaders {
  timestamp: string | undefined;
  nonce: string | undefined;
  signature: string | undefined;
  serial: string | undefined;
}

export interface OpenedNotification {
  /** WeChat Pay's notification id; the same notification keeps it on every retry. */
  id: string;
  /** Such as `TRANSACTION.SUCCESS` or `REFUND.SUCCESS`. */
  eventType: string;
  /** The serial whose key verified the signature. */
  serial: string;
  /** The decrypted resource: a transaction or a refund, as JSON. */
  resource: unknown;
}

const envelopeSchema = z.object({
  id: z.string(),
  event_type: z.string(),
  resource_type: z.literal('encrypt-resource'),
  resource: z.object({
    algorithm: z.literal('AEAD_AES_256_GCM'),
    ciphertext: z.string().min(1),
    associated_data: z.string().default(''),
    nonce: z.string().min(1),
  }),
});

/**
 * Verifies and decrypts a notification. `body` must be the request body exactly as received:
 * the signature covers its bytes, and a body parsed and serialised again differs in spacing,
 * escapes or number format and fails. Throws PayNotificationError naming the failed check.
 */
export async function openNotification(
  headers: NotificationHeaders,
  body: string,
  keys: PlatformKeys,
  apiV3Key: string,
  now: Date,
): Promise<OpenedNotification> {
  const { timestamp, nonce, signature, serial } = headers;
  if (!timestamp || !nonce || !signature || !serial) {
    throw new PayNotificationError(
      'missing_header',
      'Wechatpay-Timestamp, Wechatpay-Nonce, Wechatpay-Signature and Wechatpay-Serial are required',
    );
  }
  // A replayed notification keeps its old timestamp, which the signature covers.
  const sentAtMs = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) * 1000 : Number.NaN;
  if (!Number.isFinite(sentAtMs) || Math.abs(now.getTime() - sentAtMs) > NOTIFICATION_MAX_AGE_MS) {
    throw new PayNotificationError(
      'stale_timestamp',
      `Wechatpay-Timestamp ${timestamp} is more than 5 minutes from the server clock`,
    );
  }

  const key = await keys.keyFor(serial, 'notification');
  if (!key) {
    throw new PayNotificationError(
      'unknown_serial',
      `Wechatpay-Serial ${serial} names no known platform certificate or public key`,
    );
  }
  if (!verifyPlatformSignature(key, { timestamp, nonce, body }, signature)) {
    throw new PayNotificationError(
      'invalid_signature',
      'Wechatpay-Signature does not match the body',
    );
  }

  let envelope: z.infer<typeof envelopeSchema>;
  try {
    const parsed = envelopeSchema.safeParse(JSON.parse(body));
    if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
    envelope = parsed.data;
  } catch (error) {
    throw new PayNotificationError(
      'invalid_body',
      `the notification body is not an encrypted resource: ${(error as Error).message}`,
    );
  }

  let plaintext: string;
  try {
    plaintext = decryptResource(
      {
        ciphertext: envelope.resource.ciphertext,
        associatedData: envelope.resource.associated_data,
        nonce: envelope.resource.nonce,
      },
      apiV3Key,
    ).toString('utf8');
  } catch (error) {
    if (error instanceof PayDecryptionError) {
      throw new PayNotificationError('decryption_failed', error.message);
    }
    throw error;
  }
  try {
    return {
      id: envelope.id,
      eventType: envelope.event_type,
      serial,
      resource: JSON.parse(plaintext) as unknown,
    };
  } catch {
    throw new PayNotificationError('invalid_body', 'the decrypted resource is not JSON');
  }
}

/** Reads the four signature headers from a Koa-style header getter. */
export function notificationHeaders(get: (name: string) => string): NotificationHeaders {
  const value = (name: string) => get(name) || undefined;
  return {
    timestamp: value('wechatpay-timestamp'),
    nonce: value('wechatpay-nonce'),
    signature: value('wechatpay-signature'),
    serial: value('wechatpay-serial'),
  };
}
