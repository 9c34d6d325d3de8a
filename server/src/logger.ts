import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Keys whose values never reach a log line, wherever they appear in a logged object up to two levels
 * deep. The list covers WeChat secrets, session keys, bearer tokens, payment keys and signatures.
 */
export const REDACTED_KEYS = [
  'secret',
  'appSecret',
  'app_secret',
  'session_key',
  'sessionKey',
  'access_token',
  'accessToken',
  'token',
  'js_code',
  'authorization',
  'Authorization',
  'password',
  'apiV3Key',
  'privateKey',
  'signature',
  'apiv3Key',
  'WECHAT_PAY_APIV3_KEY',
  'privateKeyPem',
  'paySign',
  'ciphertext',
  'wechatpay-signature',
  'Wechatpay-Signature',
];

/** Returns the pino path of a key: bracket notation for keys that are not identifiers. */
function keyPath(key: string, prefix: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key)
    ? `${prefix}${key}`
    : `${prefix.replace(/\.$/, '')}["${key}"]`;
}

const redactPaths = REDACTED_KEYS.flatMap((key) => [
  keyPath(key, ''),
  keyPath(key, '*.'),
  keyPath(key, '*.*.'),
]);

export function createLogger(options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  return pino(
    {
      base: { service: 'server' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [...redactPaths, 'req.headers.authorization', 'req.headers.cookie'],
        censor: '[redacted]',
      },
      ...options,
    },
    destination ?? pino.destination(1),
  );
}

export type { Logger };
