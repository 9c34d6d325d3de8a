// Message signatures and safe-mode (AES) encryption of the official account's webhook, as WeChat's
// message encryption guide and its WXBizMsgCrypt sample code define them.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/** WeChat pads the frame to a multiple of 32 bytes, not AES's 16, so a padding is 1 to 32 bytes. */
export const FRAME_BLOCK_BYTES = 32;
const RANDOM_PREFIX_BYTES = 16;
const LENGTH_FIELD_BYTES = 4;
const AES_BLOCK_BYTES = 16;

export type OfficialAccountCryptoFailure =
  'invalid_base64' | 'invalid_length' | 'invalid_padding' | 'invalid_frame' | 'app_id_mismatch';

/** A safe-mode message that cannot be decrypted, or that belongs to another app. */
export class OfficialAccountCryptoError extends Error {
  constructor(
    readonly reason: OfficialAccountCryptoFailure,
    message: string,
  ) {
    super(message);
    this.name = 'OfficialAccountCryptoError';
  }
}

/**
 * Computes WeChat's signature: the SHA-1 hex digest of the parts sorted as strings and joined
 * without a separator. The URL signature covers token, timestamp and nonce; `msg_signature` also
 * covers the Encrypt text.
 */
export function computeSignature(...parts: string[]): string {
  const sorted = [...parts].sort();
  return createHash('sha1').update(sorted.join(''), 'utf8').digest('hex');
}

/** Compares a received signature with the expected one in constant time. */
export function signatureMatches(received: string | undefined, expected: string): boolean {
  if (received === undefined) return false;
  const receivedBytes = Buffer.from(received.toLowerCase(), 'utf8');
  const expectedBytes = Buffer.from(expected, 'utf8');
  return (
    receivedBytes.length === expectedBytes.length && timingSafeEqual(receivedBytes, expectedBytes)
  );
}

/** Decodes the 43-character EncodingAESKey into the 32-byte AES-256 key. */
export function decodeAesKey(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9+/]{43}$/.test(encodingAesKey)) {
    throw new Error('EncodingAESKey must be 43 base64 characters');
  }
  return Buffer.from(`${encodingAesKey}=`, 'base64');
}

/** Appends WeChat's PKCS#7 padding: 1 to 32 bytes, each equal to the padding length. */
export function padFrame(frame: Buffer): Buffer {
  const padding = FRAME_BLOCK_BYTES - (frame.length % FRAME_BLOCK_BYTES);
  return Buffer.concat([frame, Buffer.alloc(padding, padding)]);
}

/**
 * Removes WeChat's PKCS#7 padding. The last byte gives the length, which must be 1 to 32, and
 * every padding byte must equal it.
 */
export function unpadFrame(padded: Buffer): Buffer {
  const padding = padded.at(-1);
  if (
    padding === undefined ||
    padding < 1 ||
    padding > FRAME_BLOCK_BYTES ||
    padding > padded.length
  ) {
    throw new OfficialAccountCryptoError(
      'invalid_padding',
      `invalid padding length ${String(padding)}: expected 1 to ${FRAME_BLOCK_BYTES}`,
    );
  }
  for (let index = padded.length - padding; index < padded.length; index += 1) {
    if (padded[index] !== padding) {
      throw new OfficialAccountCryptoError('invalid_padding', 'padding bytes are not all equal');
    }
  }
  return padded.subarray(0, padded.length - padding);
}

export interface OfficialAccountCryptoOptions {
  /** Token of the official account's server settings. */
  token: string;
  /** EncodingAESKey of the official account's server settings. */
  encodingAesKey: string;
  /** AppID of the official account; safe-mode frames end with it. */
  appId: string;
}

/** Signs, verifies, encrypts and decrypts webhook messages of one official account. */
export class OfficialAccountCrypto {
  private readonly key: Buffer;
  private readonly iv: Buffer;

  constructor(private readonly options: OfficialAccountCryptoOptions) {
    this.key = decodeAesKey(options.encodingAesKey);
    // WeChat uses the first 16 bytes of the key as the IV of every message.
    this.iv = this.key.subarray(0, AES_BLOCK_BYTES);
  }

  /** Checks the `signature` query parameter of a URL verification or plaintext message. */
  verifyUrlSignature(signature: string | undefined, timestamp: string, nonce: string): boolean {
    return signatureMatches(signature, computeSignature(this.options.token, timestamp, nonce));
  }

  /** Checks the `msg_signature` query parameter of a safe-mode message. */
  verifyMessageSignature(
    msgSignature: string | undefined,
    timestamp: string,
    nonce: string,
    encrypted: string,
  ): boolean {
    return signatureMatches(
      msgSignature,
      computeSignature(this.options.token, timestamp, nonce, encrypted),
    );
  }

  /** Signs an encrypted reply for its `MsgSignature` element. */
  signMessage(timestamp: string, nonce: string, encrypted: string): string {
    return computeSignature(this.options.token, timestamp, nonce, encrypted);
  }

  /**
   * Decrypts the base64 Encrypt text of a safe-mode message and returns the message XML. The frame
   * is 16 random bytes, the message length as a 4-byte big-endian number, the message and the
   * sender's AppID. A frame for another AppID is rejected.
   */
  decrypt(encrypted: string): string {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encrypted)) {
      throw new OfficialAccountCryptoError('invalid_base64', 'Encrypt is not base64 text');
    }
    const ciphertext = Buffer.from(encrypted, 'base64');
    if (ciphertext.length === 0 || ciphertext.length % AES_BLOCK_BYTES !== 0) {
      throw new OfficialAccountCryptoError(
        'invalid_length',
        `ciphertext of ${ciphertext.length} bytes is not a whole number of AES blocks`,
      );
    }

    const decipher = createDecipheriv('aes-256-cbc', this.key, this.iv);
    decipher.setAutoPadding(false);
    const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    const frame = unpadFrame(padded);

    const headerBytes = RANDOM_PREFIX_BYTES + LENGTH_FIELD_BYTES;
    if (frame.length < headerBytes) {
      throw new OfficialAccountCryptoError('invalid_frame', 'frame is shorter than its header');
    }
    const messageLength = frame.readUInt32BE(RANDOM_PREFIX_BYTES);
    if (headerBytes + messageLength > frame.length) {
      throw new OfficialAccountCryptoError(
        'invalid_frame',
        `message length ${messageLength} exceeds the frame`,
      );
    }
    const message = frame.subarray(headerBytes, headerBytes + messageLength).toString('utf8');
    const appId = frame.subarray(headerBytes + messageLength).toString('utf8');
    if (appId !== this.options.appId) {
      throw new OfficialAccountCryptoError(
        'app_id_mismatch',
        `message is encrypted for AppID ${appId}, not for this official account`,
      );
    }
    return message;
  }

  /**
   * Encrypts a reply into base64 Encrypt text. `randomPrefix` (16 bytes) is random unless a test
   * fixes it.
   */
  encrypt(message: string, randomPrefix: Buffer = randomBytes(RANDOM_PREFIX_BYTES)): string {
    if (randomPrefix.length !== RANDOM_PREFIX_BYTES) {
      throw new Error(`randomPrefix must be ${RANDOM_PREFIX_BYTES} bytes`);
    }
    const body = Buffer.from(message, 'utf8');
    const length = Buffer.alloc(LENGTH_FIELD_BYTES);
    length.writeUInt32BE(body.length);
    const frame = Buffer.concat([
      randomPrefix,
      length,
      body,
      Buffer.from(this.options.appId, 'utf8'),
    ]);

    const cipher = createCipheriv('aes-256-cbc', this.key, this.iv);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(padFrame(frame)), cipher.final()]).toString('base64');
  }
}
