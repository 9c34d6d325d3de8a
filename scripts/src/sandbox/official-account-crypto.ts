// WeChat's side of the official account's safe mode: how WeChat signs and encrypts what it posts
// to a webhook and checks an encrypted reply. The server has its own implementation, so a mistake
// in one shows up as a failure against the other instead of cancelling out.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** WeChat's PKCS#7 variant pads to a multiple of 32 bytes. */
const BLOCK_BYTES = 32;
const HEADER_BYTES = 20;

/** SHA-1 hex of the parts sorted as strings and joined: WeChat's signature and msg_signature. */
export function wechatSignature(...parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

function keyAndIv(encodingAesKey: string): { key: Buffer; iv: Buffer } {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) {
    throw new Error('EncodingAESKey must be 43 base64 characters that decode to 32 bytes');
  }
  return { key, iv: key.subarray(0, 16) };
}

/** Length in bytes of the frame that carries `message` for `appId`, before padding. */
export function frameLength(message: string, appId: string): number {
  return HEADER_BYTES + Buffer.byteLength(message) + Buffer.byteLength(appId);
}

/**
 * Returns `xml` with spaces added before its closing tag so that WeChat's padding of the frame is
 * exactly `paddingBytes` (1 to 32). XML parsers ignore the added whitespace.
 */
export function fitXmlToPadding(xml: string, appId: string, paddingBytes: number): string {
  if (!Number.isInteger(paddingBytes) || paddingBytes < 1 || paddingBytes > BLOCK_BYTES) {
    throw new Error(`paddingBytes must be 1 to ${BLOCK_BYTES}`);
  }
  const current = BLOCK_BYTES - (frameLength(xml, appId) % BLOCK_BYTES);
  const extra = (current - paddingBytes + BLOCK_BYTES) % BLOCK_BYTES;
  const closing = xml.lastIndexOf('</xml>');
  if (closing < 0) throw new Error('message XML has no closing </xml> tag');
  return `${xml.slice(0, closing)}${' '.repeat(extra)}${xml.slice(closing)}`;
}

/** Encrypts `message` the way WeChat does and returns the base64 text of the Encrypt element. */
export function encryptForWebhook(encodingAesKey: string, appId: string, message: string): string {
  const { key, iv } = keyAndIv(encodingAesKey);
  const body = Buffer.from(message, 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  randomBytes(16).copy(header);
  header.writeUInt32BE(body.length, 16);
  const frame = Buffer.concat([header, body, Buffer.from(appId, 'utf8')]);
  const padding = BLOCK_BYTES - (frame.length % BLOCK_BYTES);

  const cipher = createCipheriv('aes-256-cbc', key, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([
    cipher.update(Buffer.concat([frame, Buffer.alloc(padding, padding)])),
    cipher.final(),
  ]).toString('base64');
}

/** Decrypts a webhook's encrypted reply and returns the message and the AppID of its frame. */
export function decryptWebhookReply(
  encodingAesKey: string,
  encrypted: string,
): { message: string; appId: string } {
  const { key, iv } = keyAndIv(encodingAesKey);
  const decipher = createDecipheriv('aes-256-cbc', key, iv);
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([
    decipher.update(Buffer.from(encrypted, 'base64')),
    decipher.final(),
  ]);

  const padding = padded.at(-1) ?? 0;
  if (padding < 1 || padding > BLOCK_BYTES || padded.length < HEADER_BYTES + padding) {
    throw new Error(`reply has an invalid padding of ${padding} bytes`);
  }
  const frame = padded.subarray(0, padded.length - padding);
  const length = frame.readUInt32BE(16);
  if (HEADER_BYTES + length > frame.length) {
    throw new Error(`reply declares ${length} message bytes but its frame is shorter`);
  }
  return {
    message: frame.subarray(HEADER_BYTES, HEADER_BYTES + length).toString('utf8'),
    appId: frame.subarray(HEADER_BYTES + length).toString('utf8'),
  };
}
