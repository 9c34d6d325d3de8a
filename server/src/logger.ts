import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Keys whose values never reach a log line, wherever they appear in a logged object up to two levels
 * deep. The list covers WeChat secrets, session keys, bearer tokens and payment keys.
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
];

const redactPaths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

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
