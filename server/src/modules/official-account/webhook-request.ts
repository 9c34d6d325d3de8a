// Reading the webhook's requests: the raw query string and body, signature checks, safe-mode
// decryption and encryption of replies. Mode is per request: `encrypt_type=aes` in the query means
// safe or compatible mode, whose message is in <Encrypt> and whose reply is encrypted.
import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiError, forbidden, validationFailed } from '../../errors.js';
import {
  OfficialAccountCryptoError,
  type OfficialAccountCrypto,
} from '../../wechat/official-account-crypto.js';
import {
  OfficialAccountXmlError,
  buildEncryptedReply,
  parseEncryptedEnvelope,
  parseInboundMessage,
  type OfficialAccountInbound,
} from '../../wechat/official-account-xml.js';

/** Returns a query parameter exactly as it appears in the raw query string, not decoded. */
export function rawQueryParam(querystring: string, name: string): string | undefined {
  for (const part of querystring.split('&')) {
    const separator = part.indexOf('=');
    const key = separator < 0 ? part : part.slice(0, separator);
    if (key === name) return separator < 0 ? '' : part.slice(separator + 1);
  }
  return undefined;
}

interface SignedQuery {
  signature: string | undefined;
  timestamp: string;
  nonce: string;
}

function signedQuery(querystring: string): SignedQuery {
  const query = new URLSearchParams(querystring);
  const timestamp = query.get('timestamp') ?? '';
  const nonce = query.get('nonce') ?? '';
  if (!/^\d{1,12}$/.test(timestamp) || nonce === '') {
    throw validationFailed('timestamp and nonce are required query parameters');
  }
  return { signature: query.get('signature') ?? undefined, timestamp, nonce };
}

/**
 * Checks a URL verification request and returns its echostr byte for byte as received. Decoding
 * it would turn a `+` into a space, and WeChat compares the reply with what it sent.
 */
export function verifyUrl(crypto: OfficialAccountCrypto, querystring: string): string {
  const { signature, timestamp, nonce } = signedQuery(querystring);
  const echostr = rawQueryParam(querystring, 'echostr');
  if (echostr === undefined || echostr === '') {
    throw validationFailed('echostr is a required query parameter');
  }
  if (!crypto.verifyUrlSignature(signature, timestamp, nonce)) {
    throw forbidden('Invalid WeChat signature');
  }
  return echostr;
}

/** Reads the request body as UTF-8 text, rejecting one larger than `maxBytes` with 413. */
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

export interface OpenedMessage {
  inbound: OfficialAccountInbound;
  /** True when the message came encrypted, so the reply must be encrypted too. */
  encrypted: boolean;
}

/** Verifies the signature of a posted message, decrypts it in safe mode and parses it. */
export function openMessage(
  crypto: OfficialAccountCrypto,
  querystring: string,
  body: string,
): OpenedMessage {
  const { signature, timestamp, nonce } = signedQuery(querystring);
  const query = new URLSearchParams(querystring);
  const encrypted = query.get('encrypt_type') === 'aes';
  try {
    if (!encrypted) {
      if (!crypto.verifyUrlSignature(signature, timestamp, nonce)) {
        throw forbidden('Invalid WeChat signature');
      }
      return { inbound: parseInboundMessage(body), encrypted };
    }

    const envelope = parseEncryptedEnvelope(body);
    const msgSignature = query.get('msg_signature') ?? undefined;
    if (!crypto.verifyMessageSignature(msgSignature, timestamp, nonce, envelope.encrypt)) {
      throw forbidden('Invalid WeChat msg_signature');
    }
    return { inbound: parseInboundMessage(crypto.decrypt(envelope.encrypt)), encrypted };
  } catch (error) {
    if (error instanceof OfficialAccountCryptoError) {
      throw error.reason === 'app_id_mismatch'
        ? forbidden('The message is encrypted for another AppID')
        : validationFailed(`Cannot decrypt the message: ${error.message}`);
    }
    if (error instanceof OfficialAccountXmlError) {
      throw validationFailed(`Invalid message XML: ${error.message}`);
    }
    throw error;
  }
}

/** Returns the response body for a reply: the XML, or its encrypted envelope in safe mode. */
export function sealReply(
  crypto: OfficialAccountCrypto,
  replyXml: string,
  encrypted: boolean,
  now: Date,
): string {
  if (!encrypted) return replyXml;
  const ciphertext = crypto.encrypt(replyXml);
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const nonce = String(randomInt(100_000_000, 1_000_000_000));
  return buildEncryptedReply({
    encrypt: ciphertext,
    msgSignature: crypto.signMessage(timestamp, nonce, ciphertext),
    timestamp,
    nonce,
  });
}
