import cron from 'node-cron';
import { z } from 'zod';

const WECHAT_PRODUCTION_API = 'https://api.weixin.qq.com';
const WECHAT_PAY_PRODUCTION_API = 'https://api.mch.weixin.qq.com';

/** WeChat Pay settings that are set together or not at all; without them payment is off. */
export const WECHAT_PAY_REQUIRED = [
  'WECHAT_PAY_MCH_ID',
  'WECHAT_PAY_SERIAL_NO',
  'WECHAT_PAY_PRIVATE_KEY_PATH',
  'WECHAT_PAY_APIV3_KEY',
  'WECHAT_PAY_NOTIFY_URL',
] as const;

const booleanFromString = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    MONGODB_URI: z
      .string({ error: 'MONGODB_URI is missing: set it to a mongodb:// URI' })
      .regex(/^mongodb(\+srv)?:\/\//, 'MONGODB_URI must start with mongodb:// or mongodb+srv://'),
    WECHAT_APP_ID: z.string().min(1, 'WECHAT_APP_ID is empty'),
    WECHAT_APP_SECRET: z.string().min(1, 'WECHAT_APP_SECRET is empty'),
    WECHAT_API_BASE_URL: z.url().default(WECHAT_PRODUCTION_API),
    WECHAT_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
    WECHAT_DEV_LOGIN: booleanFromString.default(false),
    WECHAT_SANDBOX_URL: z.url().optional(),
    SESSION_TTL_HOURS: z.coerce.number().positive().default(168),
    LOGIN_RETRY_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),
    BODY_LIMIT_KB: z.coerce.number().int().positive().default(256),
    H5_DIST_DIR: z.string().min(1).optional(),
    /** How long each server copy serves one recommendation model before rebuilding it, in minutes. */
    RECOMMENDATION_MODEL_TTL_MINUTES: z.coerce.number().positive().default(60),
    // The official account is a separate WeChat app with its own id, secret and message keys.
    // Without these four, the webhook and the push over the official account are off.
    WECHAT_OA_APP_ID: z.string().min(1).optional(),
    WECHAT_OA_APP_SECRET: z.string().min(1).optional(),
    /** Token configured on the official account's server settings page, 3–32 letters/digits. */
    WECHAT_OA_TOKEN: z
      .string()
      .regex(/^[A-Za-z0-9]{3,32}$/, 'must be 3 to 32 letters or digits')
      .optional(),
    /** EncodingAESKey: 43 characters of base64 without the trailing "=". */
    WECHAT_OA_ENCODING_AES_KEY: z
      .string()
      .regex(/^[A-Za-z0-9+/]{43}$/, 'must be 43 base64 characters')
      .optional(),
    /**
     * Message encryption mode chosen on the official account's server settings page. `safe`
     * accepts only encrypted messages. `compatible` and `plain` also accept plaintext ones, whose
     * signature does not cover the body.
     */
    WECHAT_OA_MESSAGE_MODE: z
      .enum(['safe', 'compatible', 'plain'], {
        error: (issue) =>
          `must be safe, compatible or plain (the encryption mode on the official account's server settings page), not ${JSON.stringify(issue.input)}`,
      })
      .default('safe'),
    /**
     * Credential of the bot process for /api/assistant/channel-ask and the channel outbox. Those
     * routes exist only when it is set.
     */
    BOT_SERVICE_TOKEN: z
      .string()
      .regex(/^[\x21-\x7e]{32,256}$/, 'must be 32 to 256 printable ASCII characters')
      .optional(),
    // WeChat Pay APIv3 (JSAPI payments of paid courses). Without the WECHAT_PAY_REQUIRED group,
    // paid courses show their price but cannot be bought.
    WECHAT_PAY_MCH_ID: z
      .string()
      .regex(/^\d{6,32}$/, 'must be the digits of the merchant id')
      .optional(),
    /** Serial number of the merchant API certificate whose private key signs the requests. */
    WECHAT_PAY_SERIAL_NO: z
      .string()
      .regex(/^[0-9A-Fa-f]{8,64}$/, 'must be the hexadecimal serial of the merchant certificate')
      .optional(),
    /** PEM file of the merchant API private key (apiclient_key.pem). */
    WECHAT_PAY_PRIVATE_KEY_PATH: z.string().min(1).optional(),
    /** The APIv3 key, which decrypts notifications and certificates: exactly 32 bytes. */
    WECHAT_PAY_APIV3_KEY: z
      .string()
      .refine((key) => Buffer.byteLength(key, 'utf8') === 32, {
        error: (issue) =>
          `must be exactly 32 bytes, the APIv3 key set on the merchant platform; this one has ${Buffer.byteLength(String(issue.input), 'utf8')}`,
      })
      .optional(),
    /**
     * PEM file with one or more WeChat Pay platform certificates, read at start-up. The server
     * also downloads the current certificates from /v3/certificates and refreshes them.
     */
    WECHAT_PAY_PLATFORM_CERT_PATH: z.string().min(1).optional(),
    /** WeChat Pay public key mode: the PEM file of the public key and its id (PUB_KEY_ID_...). */
    WECHAT_PAY_PUBLIC_KEY_PATH: z.string().min(1).optional(),
    WECHAT_PAY_PUBLIC_KEY_ID: z
      .string()
      .regex(
        /^[A-Za-z0-9_]{1,64}$/,
        'must be the key id from the merchant platform, PUB_KEY_ID_...',
      )
      .optional(),
    WECHAT_PAY_BASE_URL: z.url().default(WECHAT_PAY_PRODUCTION_API),
    /** Public URL of POST /api/pay/notify; refunds notify `refund-notify` beside it. */
    WECHAT_PAY_NOTIFY_URL: z.url({ protocol: /^https?$/ }).optional(),
    /**
     * Minutes an unpaid order stays payable: at least 5, the shortest time between placing and
     * closing an order in WeChat Pay's v2 close-order documentation, and at most 120, the
     * lifetime of a prepay id.
     */
    ORDER_CLOSE_MINUTES: z.coerce.number().int().min(5).max(120).default(30),
    /** Hides prices and the buy button on iOS, where WeChat forbids selling virtual goods. */
    PAY_HIDE_ON_IOS: booleanFromString.default(true),
    // Weekly course push. Off by default, so a development server never messages anyone.
    PUSH_ENABLED: booleanFromString.default(false),
    /** node-cron expression of the weekly run, read in PUSH_TIMEZONE. Default: Monday 09:00. */
    PUSH_CRON: z
      .string()
      .refine((expression) => cron.validate(expression), 'must be a valid cron expression')
      .default('0 9 * * 1'),
    /** IANA time zone of PUSH_CRON and of the ISO week that names each run. */
    PUSH_TIMEZONE: z
      .string()
      .refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai')
      .default('Asia/Shanghai'),
    /** Official-account template of the weekly message. Without it followers get the next channel. */
    PUSH_TEMPLATE_ID: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/)
      .optional(),
    /** Mini-program subscription template. Without it no subscription message is sent. */
    PUSH_SUBSCRIBE_TEMPLATE_ID: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/)
      .optional(),
    /** WeChat message calls per second across one server copy's push run. */
    PUSH_RATE_PER_SECOND: z.coerce.number().positive().default(1000),
    /** WeChat message calls in flight at once. */
    PUSH_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    if (env.WECHAT_API_BASE_URL !== WECHAT_PRODUCTION_API) {
      ctx.addIssue({
        code: 'custom',
        path: ['WECHAT_API_BASE_URL'],
        message: `must be ${WECHAT_PRODUCTION_API} in production`,
      });
    }
    if (env.WECHAT_DEV_LOGIN) {
      ctx.addIssue({
        code: 'custom',
        path: ['WECHAT_DEV_LOGIN'],
        message: 'development login codes cannot be enabled in production',
      });
    }
    if (env.WECHAT_SANDBOX_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['WECHAT_SANDBOX_URL'],
        message: 'the WeChat sandbox cannot be configured in production',
      });
    }
    if (env.WECHAT_PAY_BASE_URL !== WECHAT_PAY_PRODUCTION_API) {
      ctx.addIssue({
        code: 'custom',
        path: ['WECHAT_PAY_BASE_URL'],
        message: `must be ${WECHAT_PAY_PRODUCTION_API} in production`,
      });
    }
    if (
      env.WECHAT_PAY_NOTIFY_URL !== undefined &&
      !env.WECHAT_PAY_NOTIFY_URL.startsWith('https://')
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['WECHAT_PAY_NOTIFY_URL'],
        message: 'must be an https URL in production, because WeChat Pay notifies only https',
      });
    }
  })
  .superRefine((env, ctx) => {
    const officialAccount = [
      'WECHAT_OA_APP_ID',
      'WECHAT_OA_APP_SECRET',
      'WECHAT_OA_TOKEN',
      'WECHAT_OA_ENCODING_AES_KEY',
    ] as const;
    const set = officialAccount.filter((key) => env[key] !== undefined);
    if (set.length > 0 && set.length < officialAccount.length) {
      for (const key of officialAccount.filter((item) => env[item] === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `is required when ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set`,
        });
      }
    }
    requireTogether(env, ctx, WECHAT_PAY_REQUIRED);
    requireTogether(env, ctx, ['WECHAT_PAY_PUBLIC_KEY_PATH', 'WECHAT_PAY_PUBLIC_KEY_ID']);
    if (env.WECHAT_DEV_LOGIN && !env.WECHAT_SANDBOX_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['WECHAT_SANDBOX_URL'],
        message: 'is required when WECHAT_DEV_LOGIN is true',
      });
    }
  });

export type Config = z.infer<typeof schema>;

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Adds an issue for each key of `group` that is missing while another one is set. */
function requireTogether(
  env: Record<string, unknown>,
  ctx: z.RefinementCtx,
  group: readonly string[],
): void {
  const set = group.filter((key) => env[key] !== undefined);
  if (set.length === 0 || set.length === group.length) return;
  for (const key of group.filter((item) => env[item] === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [key],
      message: `is required when ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set`,
    });
  }
}

/** True when the WeChat Pay settings are present, so paid courses can be bought. */
export function isWechatPayConfigured(config: Config): boolean {
  return WECHAT_PAY_REQUIRED.every((key) => config[key] !== undefined);
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses configuration from environment variables, listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(env);
  if (result.success) return result.data;

  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    return `${name}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}
