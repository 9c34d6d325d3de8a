// Starts a real server for the bot tests, with the same parts as the server's own test harness:
// its own database on the test run's FerretDB, a WeChat sandbox for development logins, and
// BOT_SERVICE_TOKEN set so the bot routes exist. Everything listens on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import mongoose from 'mongoose';
import { createApp, createDeps, type AppDeps } from '@wxlearn/server/app.js';
import { loadConfig } from '@wxlearn/server/config.js';
import { connectDatabase, ensureIndexes } from '@wxlearn/server/db/connection.js';
import { createLogger } from '@wxlearn/server/logger.js';
import { createSandbox } from '@wxlearn/scripts/sandbox/app.js';

export const TEST_BOT_TOKEN = 'bot-test-service-token-0123456789abcdef';
const APP_ID = 'wxbottestapp0001';
const APP_SECRET = 'bot-test-app-secret-0123456789ab';

export interface BotTestServer {
  url: string;
  deps: AppDeps;
  /** Sends a JSON request and returns the status and parsed body. */
  request<T = unknown>(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string },
  ): Promise<{ status: number; body: T }>;
  /** Logs in as the sandbox learner with this name and returns a session token. */
  loginAs(learner: string): Promise<string>;
  close(): Promise<void>;
}

function testMongoUri(): string {
  const base = process.env.TEST_MONGODB_URI;
  if (!base) throw new Error('TEST_MONGODB_URI is not set: run the bot tests through vitest');
  const url = new URL(base);
  url.pathname = `/test_bot_${randomBytes(6).toString('hex')}`;
  return url.toString();
}

export async function startBotTestServer(): Promise<BotTestServer> {
  const sandbox = createSandbox({ appId: APP_ID, appSecret: APP_SECRET });
  const sandboxListening = await sandbox.listen(0, '127.0.0.1');
  const config = loadConfig({
    NODE_ENV: 'test',
    MONGODB_URI: testMongoUri(),
    WECHAT_APP_ID: APP_ID,
    WECHAT_APP_SECRET: APP_SECRET,
    WECHAT_API_BASE_URL: sandboxListening.url,
    WECHAT_SANDBOX_URL: sandboxListening.url,
    WECHAT_DEV_LOGIN: 'true',
    BOT_SERVICE_TOKEN: TEST_BOT_TOKEN,
    LOG_LEVEL: 'warn',
  });
  const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const logger = createLogger({ level: config.LOG_LEVEL }, sink);
  await connectDatabase(config.MONGODB_URI, logger);
  await ensureIndexes(logger);
  const deps = createDeps(config, logger);
  const server: Server = createApp(deps).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function request<T>(
    method: string,
    path: string,
    options: { body?: unknown; token?: string } = {},
  ) {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(url + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T };
  }

  async function loginAs(learner: string): Promise<string> {
    const code = await request<{ code: string }>('POST', '/api/dev/login-code', {
      body: { learner },
    });
    const login = await request<{ token: string }>('POST', '/api/auth/login', {
      body: { code: code.body.code },
    });
    if (login.status !== 200) throw new Error(`login as ${learner} failed: ${login.status}`);
    return login.body.token;
  }

  return {
    url,
    deps,
    request,
    loginAs,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await mongoose.connection.dropDatabase();
      await mongoose.disconnect();
      await sandboxListening.close();
    },
  };
}
