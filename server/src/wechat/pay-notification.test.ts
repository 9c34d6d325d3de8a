import { createCipheriv, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedMessage } from './pay-crypto.js';
import {
  PayNotificationError,
  openNotification,
  type NotificationHeaders,
} from './pay-notification.js';
import { PublicKeyMode } from './pay-platform-keys.js';

const API_V3_KEY = randomBytes(16).toString('hex');
const KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keys = new PublicKeyMode(
  KEY_ID,
  publicKey.export({ type: 'spki', format: 'pem' }).toString(),
);
const NOW = new Date('2026-12-04T10:00:00Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
const TRANSACTION = { out_trade_no: 'WXL0001', trade_state: 'SUCCESS', amount: { total: 9900 } };

function envelope(ciphertextOverride?: (data: Buffer) => void): string {
  const nonce = randomBytes(6).toString('hex');
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(API_V3_KEY), Buffer.from(nonce));
  cipher.setAAD(Buffer.from('transaction'));
  const data = Buffer.concat([
    cipher.update(JSON.stringify(TRANSACTION)),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  ciphertextOverride?.(data);
  return JSON.stringify({
    id: 'EV-2018022511223320873',
    create_time: '2026-12-04T18:00:00+08:00',
    resource_type: 'encrypt-resource',
    event_type: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: {
      original_type: 'transaction',
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext: data.toString('base64'),
      associated_data: 'transaction',
      nonce,
    },
  });
}

function signed(body: string, timestamp = String(NOW_SECONDS)): NotificationHeaders {
  const nonce = randomBytes(8).toString('hex');
  const signature = createSign('RSA-SHA256')
    .update(signedMessage(timestamp, nonce, body))
    .sign(privateKey, 'base64');
  return { timestamp, nonce, signature, serial: KEY_ID };
}

async function rejection(headers: NotificationHeaders, body: string): Promise<string> {
  try {
    await openNotification(headers, body, keys, API_V3_KEY, NOW);
  } catch (error) {
    if (error instanceof PayNotificationError) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('openNotification', () => {
  it('returns the decrypted resource of a valid notification', async () => {
    const body = envelope();
    const opened = await openNotification(signed(body), body, keys, API_V3_KEY, NOW);
    expect(opened.eventType).toBe('TRANSACTION.SUCCESS');
    expect(opened.id).toBe('EV-2018022511223320873');
    expect(opened.serial).toBe(KEY_ID);
    expect(opened.resource).toEqual(TRANSACTION);
  });

  it('rejects a notification without a signature header', async () => {
    const body = envelope();
    expect(await rejection({ ...signed(body), signature: undefined }, body)).toBe('missing_header');
  });

  it('rejects a timestamp more than 5 minutes old', async () => {
    const body = envelope();
    expect(await rejection(signed(body, String(NOW_SECONDS - 301)), body)).toBe('stale_timestamp');
  });

  it('rejects a timestamp more than 5 minutes ahead', async () => {
    const body = envelope();
    expect(await rejection(signed(body, String(NOW_SECONDS + 301)), body)).toBe('stale_timestamp');
  });

  it('accepts a timestamp 5 minutes old', async () => {
    const body = envelope();
    expect(await rejection(signed(body, String(NOW_SECONDS - 300)), body)).toBe('accepted');
  });

  it('rejects an unknown serial', async () => {
    const body = envelope();
    expect(await rejection({ ...signed(body), serial: 'PUB_KEY_ID_999' }, body)).toBe(
      'unknown_serial',
    );
  });

  it('rejects a body changed after signing', async () => {
    const body = envelope();
    const headers = signed(body);
    expect(await rejection(headers, body.replace('支付成功', '支付失败'))).toBe(
      'invalid_signature',
    );
  });

  it('rejects a body parsed and serialised again with other spacing', async () => {
    const body = JSON.stringify(JSON.parse(envelope()), null, 1);
    const headers = signed(body);
    expect(await rejection(headers, JSON.stringify(JSON.parse(body)))).toBe('invalid_signature');
  });

  it('rejects a signed ciphertext whose tag does not match', async () => {
    const body = envelope((data) => {
      data[5] = (data[5] ?? 0) ^ 1;
    });
    expect(await rejection(signed(body), body)).toBe('decryption_failed');
  });

  it('rejects a signed body that is not an encrypted resource', async () => {
    const body = JSON.stringify({ id: 'x', event_type: 'TRANSACTION.SUCCESS' });
    expect(await rejection(signed(body), body)).toBe('invalid_body');
  });
});
