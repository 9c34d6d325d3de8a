import { z } from 'zod';

const WECHAT_PRODUCTION_API = 'https://api.weixin.qq.com';

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
    if (env.WECHAT_DEV_LOGIN && !env.WECHAT_SANDBOX_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['WECHAT_SANDBOX_URL'],
        message: 'is required when WECHAT_DEV_LOGIN is true',
      });
    }
  });

export type Config = z.infer<typeof schema>;

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
