// WeChat Pay APIv3 cryptography: the RSA-SHA256 signatures on requests, responses and
// notifications, and the AEAD_AES_256_GCM encryption of notification resources and certificates.
import { createDecipheriv, createVerify, randomBytes, type KeyObject } from 'node:crypto';

/** Length of the GCM authentication tag that WeChat Pay appends to each ciphertext. */
const GCM_TAG_BYTES = 16;

/** An encrypted resource as WeChat Pay sends it: base64 ciphertext with the tag at its end. */
export interface EncryptedResource {
  ciphertext: string;
  associatedData: string;
  nonce: string;
}

/** Decryption failed: wrong key, altered ciphertext, nonce or associated data. */
export class PayDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayDecryptionError';
  }
}

/**
 * Decrypts an AEAD_AES_256_GCM resource with the APIv3 key and checks its authentication tag.
 * Throws PayDecryptionError when the tag does not match. GCM encrypts in counter mode, so a
 * ciphertext with flipped bits decrypts to text with the same bits flipped, and only the tag
 * check detects it. wechatpay-node-v3 2.2.1's `decipher_gcm` never calls `final()` and so
 * skips that check.
 */
export function decryptResource(resource: EncryptedResource, apiV3Key: string): Buffer {
  const key = Buffer.from(apiV3Key, 'utf8');
  if (key.length !== 32) throw new PayDecryptionError('the APIv3 key is not 32 bytes');
  const data = Buffer.from(resource.ciphertext, 'base64');
  if (data.length <= GCM_TAG_BYTES) {
    throw new PayDecryptionError('the ciphertext is shorter than its authentication tag');
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(resource.nonce, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - GCM_TAG_BYTES));
  decipher.setAAD(Buffer.from(resource.associatedData, 'utf8'));
  const head = decipher.update(data.subarray(0, data.length - GCM_TAG_BYTES));
  try {
    return Buffer.concat([head, decipher.final()]);
  } catch {
    throw new PayDecryptionError('the authentication tag does not match the ciphertext');
  }
}

/** Returns the text WeChat Pay signs on a response or notification: `timestamp\nnonce\nbody\n`. */
export function signedMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

/** Checks a base64 RSA-SHA256 signature of `timestamp\nnonce\nbody\n` with a platform key. */
export function verifyPlatformSignature(
  publicKey: KeyObject,
  message: { timestamp: string; nonce: string; body: string },
  signature: string,
): boolean {
  const verifier = createVerify('RSA-SHA256');
  verifier.update(signedMessage(message.timestamp, message.nonce, message.body), 'utf8');
  try {
    return verifier.verify(publicKey, signature, 'base64');
  } catch {
    // A malformed key or signature is a failed verification, never a thrown request error.
    return false;
  }
}

/** Returns a random nonce of 32 hex digits; WeChat Pay accepts up to 32 letters and digits. */
export function randomNonce(): string {
  return randomBytes(16).toString('hex');
}
