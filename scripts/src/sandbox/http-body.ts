import type { IncomingMessage } from 'node:http';

/** Maximum request body the sandbox reads. WeChat's JSON requests are far smaller. */
export const MAX_BODY_BYTES = 64 * 1024;

export type JsonBodyResult =
  | { kind: 'empty' }
  | { kind: 'too_large' }
  | { kind: 'invalid_json' }
  | { kind: 'parsed'; value: unknown };

/**
 * Reads and parses a JSON request body whatever its Content-Type.
 * NOTE: WeChat does not document how it treats a JSON body sent under another content type, such
 * as text/plain. The sandbox accepts it.
 */
export async function readJsonBody(
  req: IncomingMessage,
  maxBytes = MAX_BODY_BYTES,
): Promise<JsonBodyResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBytes) {
      return { kind: 'too_large' };
    }
    chunks.push(buffer);
  }

  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') {
    return { kind: 'empty' };
  }
  try {
    return { kind: 'parsed', value: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'invalid_json' };
  }
}
