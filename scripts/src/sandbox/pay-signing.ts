// Keys and signatures of the WeChat Pay sandbox: platform keys with self-signed certificates,
// the RSA-SHA256 signatures on responses and notifications, the AEAD_AES_256_GCM encryption of
// resources, and the check of the merchant's Authorization header on every APIv3 request.
import {
  createCipheriv,
  createSign,
  createVerify,
  generateKeyPairSync,
  randomBytes,
  randomInt,
  type KeyObject,
} from 'node:crypto';
import forge from 'node-forge';

/** A platform key of the sandbox with its certificate and its WeChat Pay public key id. */
export interface PlatformKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  certificatePem: string;
  /** Certificate serial in upper-case hex, as WeChat Pay writes it in Wechatpay-Serial. */
  serialNo: string;
  /** Id of the key in WeChat Pay public key mode, `PUB_KEY_ID_` and 22 digits. */
  publicKeyId: string;
  validFrom: Date;
  validTo: Date;
}

const CERTIFICATE_LIFETIME_MS = 5 * 365 * 24 * 60 * 60 * 1000;

function randomDigits(length: number): string {
  let digits = '';
  while (digits.length < length) digits += String(randomInt(0, 10));
  return digits;
}

/** Returns a 40-digit hex serial whose first digit keeps the DER integer positive. */
function randomSerial(): string {
  return `${randomInt(1, 8)}${randomBytes(20).toString('hex').slice(1)}`.toUpperCase();
}

/**
 * Generates an RSA 2048 platform key and a self-signed certificate for it, valid from a day
 * before `nowMs` for five years. WeChat Pay's real certificates are issued by its CA; the server
 * only reads the key, serial and validity from them.
 */
export function generatePlatformKey(nowMs: number): PlatformKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const serialNo = randomSerial();
  const validFrom = new Date(nowMs - 24 * 60 * 60 * 1000);
  const validTo = new Date(nowMs + CERTIFICATE_LIFETIME_MS);

  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  certificate.serialNumber = serialNo.toLowerCase();
  certificate.validity.notBefore = validFrom;
  certificate.validity.notAfter = validTo;
  const name = [
    { name: 'commonName', value: 'WeChat Pay sandbox platform' },
    { name: 'organizationName', value: 'wxlearn sandbox' },
    { name: 'countryName', value: 'CN' },
  ];
  certificate.setSubject(name);
  certificate.setIssuer(name);
  const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  certificate.sign(forge.pki.privateKeyFromPem(pkcs1), forge.md.sha256.create());

  return {
    privateKey,
    publicKeyPem,
    certificatePem: forge.pki.certificateToPem(certificate),
    serialNo,
    publicKeyId: `PUB_KEY_ID_${randomDigits(22)}`,
    validFrom,
    validTo,
  };
}

/** Signs `timestamp\nnonce\nbody\n` with a platform key: base64 RSA-SHA256. */
export function signPlatformMessage(
  privateKey: KeyObject,
  timestamp: string,
  nonce: string,
  body: string,
): string {
  return createSign('RSA-SHA256')
    .update(`${timestamp}\n${nonce}\n${body}\n`, 'utf8')
    .sign(privateKey, 'base64');
}

/** Returns a random nonce of 32 upper-case hex digits, as in WeChat Pay's headers. */
export function randomNonce(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export interface EncryptedResource {
  algorithm: 'AEAD_AES_256_GCM';
  ciphertext: string;
  associated_data: string;
  nonce: string;
}

/** Encrypts a resource with the APIv3 key: AES-256-GCM, 12-character nonce, tag appended. */
export function encryptResource(
  apiV3Key: string,
  plaintext: string,
  associatedData: string,
): EncryptedResource {
  const nonce = randomBytes(9).toString('base64url').slice(0, 12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([
    cipher.update(plaintext, 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return {
    algorithm: 'AEAD_AES_256_GCM',
    ciphertext: ciphertext.toString('base64'),
    associated_data: associatedData,
    nonce,
  };
}

/**
 * Rewrites a GCM ciphertext so that it decrypts to `to` where it decrypted to `from`, leaving
 * the tag as it was. Counter mode XORs the plaintext with a key stream, so XORing the
 * ciphertext with `from XOR to` changes exactly those bytes. Only the tag check detects it.
 */
export function alterCiphertext(
  resource: EncryptedResource,
  plaintext: string,
  from: string,
  to: string,
): EncryptedResource {
  const offset = Buffer.from(plaintext, 'utf8').indexOf(Buffer.from(from, 'utf8'));
  const fromBytes = Buffer.from(from, 'utf8');
  const toBytes = Buffer.from(to, 'utf8');
  if (offset < 0 || fromBytes.length !== toBytes.length) {
    throw new Error(
      `cannot alter the ciphertext: ${from} and ${to} differ in length or are absent`,
    );
  }
  const data = Buffer.from(resource.ciphertext, 'base64');
  for (let index = 0; index < fromBytes.length; index++) {
    data[offset + index] =
      (data[offset + index] ?? 0) ^ (fromBytes[index] ?? 0) ^ (toBytes[index] ?? 0);
  }
  return { ...resource, ciphertext: data.toString('base64') };
}

/** The fields of a WECHATPAY2-SHA256-RSA2048 Authorization header. */
export interface MerchantAuthorization {
  mchid: string;
  nonceStr: string;
  timestamp: string;
  serialNo: string;
  signature: string;
}

/** Parses `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",…`; null when malformed. */
export function parseAuthorization(header: string | undefined): MerchantAuthorization | null {
  const prefix = 'WECHATPAY2-SHA256-RSA2048 ';
  if (!header?.startsWith(prefix)) return null;
  const fields = new Map<string, string>();
  for (const match of header.slice(prefix.length).matchAll(/(\w+)="([^"]*)"/g)) {
    fields.set(match[1] ?? '', match[2] ?? '');
  }
  const mchid = fields.get('mchid');
  const nonceStr = fields.get('nonce_str');
  const timestamp = fields.get('timestamp');
  const serialNo = fields.get('serial_no');
  const signature = fields.get('signature');
  if (!mchid || !nonceStr || !timestamp || !serialNo || !signature) return null;
  return { mchid, nonceStr, timestamp, serialNo, signature };
}

/**
 * Checks the merchant's signature of a request: `method\npath?query\ntimestamp\nnonce\nbody\n`,
 * RSA-SHA256 with the merchant API key.
 */
export function verifyMerchantSignature(
  merchantPublicKeyPem: string,
  request: { method: string; url: string; body: string },
  authorization: MerchantAuthorization,
): boolean {
  const message = `${request.method}\n${request.url}\n${authorization.timestamp}\n${authorization.nonceStr}\n${request.body}\n`;
  try {
    return createVerify('RSA-SHA256')
      .update(message, 'utf8')
      .verify(merchantPublicKeyPem, authorization.signature, 'base64');
  } catch {
    return false;
  }
}

/** Formats a sandbox time as WeChat Pay's RFC 3339 in China Standard Time. */
export function chinaTime(ms: number): string {
  return `${new Date(ms + 8 * 60 * 60 * 1000).toISOString().slice(0, 19)}+08:00`;
}
