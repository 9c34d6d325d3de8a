import { createCipheriv, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import Pay from 'wechatpay-node-v3';
import { describe, expect, it } from 'vitest';
import {
  PayDecryptionError,
  decryptResource,
  signedMessage,
  verifyPlatformSignature,
  type EncryptedResource,
} from './pay-crypto.js';

const API_V3_KEY = 'a'.repeat(16) + 'b'.repeat(16);
const ORDER = 'WXL6b130bfc3a7b41bc97424f67';
const OTHER_ORDER = 'WXL6b130bfc3a7b41bc97424f99';
const PLAINTEXT = JSON.stringify({
  out_trade_no: ORDER,
  trade_state: 'SUCCESS',
  amount: { total: 9900 },
});

function encrypt(plaintext: string, associatedData = 'transaction'): EncryptedResource {
  const nonce = randomBytes(6).toString('hex');
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(API_V3_KEY), Buffer.from(nonce));
  cipher.setAAD(Buffer.from(associatedData));
  const data = Buffer.concat([
    cipher.update(plaintext, 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return { ciphertext: data.toString('base64'), associatedData, nonce };
}

/** Flips ciphertext bits so that the order number decrypts to OTHER_ORDER; the tag stays. */
function redirectToOtherOrder(resource: EncryptedResource): EncryptedResource {
  const data = Buffer.from(resource.ciphertext, 'base64');
  const offset = Buffer.from(PLAINTEXT).indexOf(ORDER);
  for (let index = 0; index < ORDER.length; index++) {
    data[offset + index] =
      (data[offset + index] ?? 0) ^ ORDER.charCodeAt(index) ^ OTHER_ORDER.charCodeAt(index);
  }
  return { ...resource, ciphertext: data.toString('base64') };
}

describe('decryptResource', () => {
  it('returns the plaintext of an intact resource', () => {
    const plaintext = decryptResource(encrypt(PLAINTEXT), API_V3_KEY).toString('utf8');
    expect(plaintext).toBe(PLAINTEXT);
  });

  it('rejects a ciphertext altered to name another order', () => {
    const tampered = redirectToOtherOrder(encrypt(PLAINTEXT));
    expect(() => decryptResource(tampered, API_V3_KEY)).toThrow(PayDecryptionError);
    expect(() => decryptResource(tampered, API_V3_KEY)).toThrow(/authentication tag/);
  });

  it('shows why the library helper is not used', () => {
    // wechatpay-node-v3 2.2.1's decipher_gcm never calls final(), so the altered ciphertext
    // decrypts to the other order number without an error.
    const tampered = redirectToOtherOrder(encrypt(PLAINTEXT));
    const decrypted = Pay.prototype.decipher_gcm<{ out_trade_no: string }>(
      tampered.ciphertext,
      tampered.associatedData,
      tampered.nonce,
      API_V3_KEY,
    );
    expect(decrypted.out_trade_no).toBe(OTHER_ORDER);
  });

  it('rejects other associated data', () => {
    const resource = { ...encrypt(PLAINTEXT), associatedData: 'refund' };
    expect(() => decryptResource(resource, API_V3_KEY)).toThrow(PayDecryptionError);
  });

  it('rejects another APIv3 key', () => {
    expect(() => decryptResource(encrypt(PLAINTEXT), 'c'.repeat(32))).toThrow(PayDecryptionError);
  });

  it('rejects a key that is not 32 bytes', () => {
    expect(() => decryptResource(encrypt(PLAINTEXT), 'short')).toThrow(/32 bytes/);
  });

  it('rejects a ciphertext shorter than the tag', () => {
    const resource = { ...encrypt(PLAINTEXT), ciphertext: randomBytes(10).toString('base64') };
    expect(() => decryptResource(resource, API_V3_KEY)).toThrow(/shorter/);
  });
});

describe('verifyPlatformSignature', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // Spaces after the separators, as a sender may write them; JSON.stringify writes none.
  const body = '{"id": "n1", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功"}';
  const message = { timestamp: '1796400000', nonce: 'NONCE123', body };
  const signature = createSign('RSA-SHA256')
    .update(signedMessage(message.timestamp, message.nonce, body))
    .sign(privateKey, 'base64');

  it('accepts the signature of the exact body', () => {
    expect(verifyPlatformSignature(publicKey, message, signature)).toBe(true);
  });

  it('rejects the body parsed and serialised again', () => {
    const reserialised = JSON.stringify(JSON.parse(body));
    expect(reserialised).not.toBe(body);
    expect(verifyPlatformSignature(publicKey, { ...message, body: reserialised }, signature)).toBe(
      false,
    );
  });

  it('rejects another timestamp', () => {
    expect(
      verifyPlatformSignature(publicKey, { ...message, timestamp: '1796400001' }, signature),
    ).toBe(false);
  });

  it('rejects the key of another serial', () => {
    expect(verifyPlatformSignature(other.publicKey, message, signature)).toBe(false);
  });

  it('rejects a malformed signature without throwing', () => {
    expect(verifyPlatformSignature(publicKey, message, 'not base64 at all ***')).toBe(false);
  });
});
