import type { IncomingMessage } from 'node:http';
import { ApiError } from '../errors.js';

/**
 * Reads the request body as UTF-8 text, exactly as sent, rejecting one larger than `maxBytes`
 * with 413. WeChat Pay and the official-account webhook sign these bytes, so nothing may parse
 * the body before the signature check.
 */
export async function readRawBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBytes) {
      throw new ApiError(
        413,
        'payload_too_large',
        `The request body is larger than ${maxBytes} bytes`,
      );
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
