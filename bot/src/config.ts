import { z } from 'zod';

/**
 * Configuration of the service bot process. The bot talks to the server's answering service over
 * HTTP with a service credential, and picks its Wechaty puppet by name.
 */
const schema = z.object({
  BOT_SERVER_URL: z.url().default('http://127.0.0.1:3000'),
  BOT_SERVICE_TOKEN: z.string().min(32, 'BOT_SERVICE_TOKEN must be at least 32 characters'),
  BOT_PUPPET: z
    .enum(['wechaty-puppet-mock', 'wechaty-puppet-service'])
    .default('wechaty-puppet-mock'),
  BOT_PUPPET_TOKEN: z.string().optional(),
  /** Milliseconds between two polls of the outbox of operators' answers. */
  BOT_OUTBOX_POLL_MS: z.coerce.number().int().min(500).max(60_000).default(3_000),
  /** Milliseconds a call to the server may take before it is abandoned and retried once. */
  BOT_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(8_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type BotConfig = z.infer<typeof schema>;

/** Parses the bot's configuration, listing every problem in one error. */
export function loadBotConfig(env: NodeJS.ProcessEnv = process.env): BotConfig {
  const result = schema
    .superRefine((config, ctx) => {
      if (config.BOT_PUPPET === 'wechaty-puppet-service' && !config.BOT_PUPPET_TOKEN) {
        ctx.addIssue({
          code: 'custom',
          path: ['BOT_PUPPET_TOKEN'],
          message: 'is required for wechaty-puppet-service',
        });
      }
    })
    .safeParse(env);
  if (result.success) return result.data;

  const problems = result.error.issues.map(
    (issue) => `  - ${issue.path.join('.')}: ${issue.message}`,
  );
  throw new Error(`Invalid bot configuration:\n${problems.join('\n')}`);
}
