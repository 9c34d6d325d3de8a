// Reading the webhook's requests: the raw query string, signature checks, safe-mode
// decryption and encryption of replies. `encrypt_type=aes` in the query means safe or compatible
// mode, whose message is in <Encrypt> and whose reply is encrypted. WECHAT_OA_MESSAGE_MODE decides
// whether a plaintext message is accepted at all.
import { randomInt } from 'node:crypto';
import type { Config } from '../../config.js';
import { forbidden, validationFailed } from '../../errors.js';
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

export interface OpenedMessage {
  inbound: OfficialAccountInbound;
  /** True when the message came encrypted, so the reply must be encrypted too. */
  encrypted: boolean;
}

/**
 * Maximum difference between a message's `timestamp` and the server clock, in seconds. It limits
 * how long a signed URL copied from a log can be replayed.
 */
export const MAX_TIMESTAMP_SKEW_SECONDS = 300;

export interface OpenMessageOptions {
  mode: Config['WECHAT_OA_MESSAGE_MODE'];
  now: Date;
}

/**
 * Verifies the signature and timestamp of a posted message, decrypts it in safe and compatible
 * mode and parses it. In `safe` mode a plaintext message is rejected, because its `signature`
 * covers only token, timestamp and nonce: anyone holding one signed URL could post any body.
 */
export function openMessage(
  crypto: OfficialAccountCrypto,
  querystring: string,
  body: string,
  options: OpenMessageOptions,
): OpenedMessage {
  const { signature, timestamp, nonce } = signedQuery(querystring);
  // NOTE: nonces are not remembered, so a captured request can be replayed within the window.
  // Encrypted replays carry the same message and are caught by retry detection, but in compatible
  // and plain mode a captured plaintext URL accepts any body until its timestamp expires.
  const skewSeconds = Math.abs(options.now.getTime() / 1000 - Number(timestamp));
  if (skewSeconds > MAX_TIMESTAMP_SKEW_SECONDS) {
    throw forbidden(
      `timestamp ${timestamp} is more than ${MAX_TIMESTAMP_SKEW_SECONDS} seconds from the server clock: check that the server clock is synchronised`,
    );
  }
  const query = new URLSearchParams(querystring);
  const encrypted = query.get('encrypt_type') === 'aes';
  if (!encrypted && options.mode === 'safe') {
    throw forbidden(
      'Plaintext messages are rejected in safe mode: encrypt_type=aes and msg_signature are required',
    );
  }

  if (!encrypted) {
    if (!crypto.verifyUrlSignature(signature, timestamp, nonce)) {
      throw forbidden('Invalid WeChat signature');
    }
    return { inbound: parseXml(() => parseInboundMessage(body)), encrypted };
  }

  const envelope = parseXml(() => parseEncryptedEnvelope(body));
  const msgSignature = query.get('msg_signature') ?? undefined;
  if (!crypto.verifyMessageSignature(msgSignature, timestamp, nonce, envelope.encrypt)) {
    throw forbidden('Invalid WeChat msg_signature');
  }
  let xml: string;
  try {
    xml = crypto.decrypt(envelope.encrypt);
  } catch (error) {
    if (!(error instanceof OfficialAccountCryptoError)) throw error;
    throw error.reason === 'app_id_mismatch'
      ? forbidden('The message is encrypted for another AppID')
      : validationFailed(`Failed to decrypt the message: ${error.message}`);
  }
  return { inbound: parseXml(() => parseInboundMessage(xml)), encrypted };
}

/**
 * Runs an XML parse and turns any failure into 400, so that WeChat does not retry a body that can
 * never be read. Besides OfficialAccountXmlError, fast-xml-parser (5.12) throws plain errors, such
 * as "Maximum nested tags exceeded" for elements nested more than 100 deep (maxNestedTags).
 */
function parseXml<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof OfficialAccountXmlError) {
      throw validationFailed(`Invalid message XML: ${error.message}`);
    }
    if (error instanceof Error) {
      throw validationFailed(`Failed to parse the message XML: ${error.message}`);
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
