/**
 * Child process for the two-process access-token test. It connects to the test database, prints
 * `ready`, waits for a `go` line on standard input so that both children start together, then runs
 * GET_COUNT concurrent `get` calls and prints `{"tokens": [...]}` as one JSON line.
 *
 * Environment: MONGODB_URI, WECHAT_API_BASE_URL, WECHAT_APP_ID, WECHAT_APP_SECRET, GET_COUNT.
 */
import { createInterface } from 'node:readline';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import { createLogger } from '../../src/logger.js';
import { AccessTokenStore } from '../../src/wechat/access-token-store.js';
import { WechatClient } from '../../src/wechat/api-client.js';

function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is missing`);
  return value;
}

const appId = requireEnv('WECHAT_APP_ID');
const appSecret = requireEnv('WECHAT_APP_SECRET');
const getCount = Number(requireEnv('GET_COUNT'));
const logger = createLogger({ level: 'warn' }, process.stderr);

await connectDatabase(requireEnv('MONGODB_URI'), logger);
const store = new AccessTokenStore({
  wechat: new WechatClient({
    baseUrl: requireEnv('WECHAT_API_BASE_URL'),
    appId,
    appSecret,
    timeoutMs: 5_000,
    logger,
  }),
  apps: [{ appId, appSecret }],
  logger,
});

const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  if (line.trim() === 'go') break;
}
lines.close();

const tokens = await Promise.all(Array.from({ length: getCount }, () => store.get(appId)));
process.stdout.write(`${JSON.stringify({ tokens })}\n`);
await disconnectDatabase();
