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
