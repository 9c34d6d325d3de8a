// Command-line entry of the WeChat sandbox, a development and test stand-in for WeChat's
// server APIs. Run it with `npx tsx scripts/src/sandbox/main.ts`. It stops on SIGINT or SIGTERM.
import { pino } from 'pino';
import { z } from 'zod';
import { createSandbox, type RunningSandbox } from './app.js';

/** Public development credentials. The AppSecret has the shape of a real one (32 hex digits). */
export const DEFAULT_APP_ID = 'wxsandbox00000000';
export const DEFAULT_APP_SECRET = '0123456789abcdef0123456789abcdef';

const environmentSchema = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65_535).default(4010),
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  WECHAT_APP_ID: z
    .string()
    .regex(/^wx[0-9A-Za-z]{8,32}$/, 'must be "wx" followed by 8 to 32 letters or digits')
    .default(DEFAULT_APP_ID),
  WECHAT_APP_SECRET: z
    .string()
    .regex(/^\S{8,128}$/, 'must be 8 to 128 characters without whitespace')
    .default(DEFAULT_APP_SECRET),
});

const logger = pino({ name: 'wechat-sandbox' });

const parsed = environmentSchema.safeParse(process.env);
if (!parsed.success) {
  logger.fatal({ problems: z.prettifyError(parsed.error) }, 'invalid sandbox environment');
  process.exit(1);
}
const environment = parsed.data;

const sandbox = createSandbox({
  appId: environment.WECHAT_APP_ID,
  appSecret: environment.WECHAT_APP_SECRET,
  logger,
});

async function listenOrExit(): Promise<RunningSandbox> {
  try {
    return await sandbox.listen(environment.SANDBOX_PORT, environment.SANDBOX_HOST);
  } catch (error) {
    logger.fatal(
      { err: error, host: environment.SANDBOX_HOST, port: environment.SANDBOX_PORT },
      'sandbox failed to listen',
    );
    process.exit(1);
  }
}

const server = await listenOrExit();
logger.info({ url: server.url, appId: environment.WECHAT_APP_ID }, 'wechat sandbox listening');

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'wechat sandbox stopping');
  await server.close();
  logger.info('wechat sandbox stopped');
  process.exit(0);
}
process.once('SIGINT', (signal) => void stop(signal));
process.once('SIGTERM', (signal) => void stop(signal));
