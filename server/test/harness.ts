import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import mongoose from 'mongoose';
import { createSandbox } from '@wxlearn/scripts/sandbox/app.js';
import { createApp, createDeps, type AppDeps } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { connectDatabase, ensureIndexes } from '../src/db/connection.js';
import { createLogger, type Logger } from '../src/logger.js';

export const TEST_APP_ID = 'wxtestapp0000001';
export const TEST_APP_SECRET = 'test-app-secret-0123456789abcdef';
/** The official account that the test sandbox also issues access tokens to. */
export const TEST_OA_APP_ID = 'wxtestoa00000001';
export const TEST_OA_APP_SECRET = 'test-oa-secret-0123456789abcdef0';

/** A running server on 127.0.0.1 with its own database and WeChat sandbox, for one test file. */
export interface TestServer {
  url: string;
  deps: AppDeps;
  sandbox: Awaited<ReturnType<typeof startSandbox>>;
  /** Every log line the server wrote, as raw JSON text. */
  logLines: string[];
  /** Sends a JSON request and returns status, parsed body and headers. */
  request<T = unknown>(
    method: string,
    path: string,
    options?: RequestOptions,
  ): Promise<TestResponse<T>>;
  /** Logs in as the sandbox test learner with this name and returns a bearer token. */
  loginAs(learner: string): Promise<string>;
  close(): Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
}

export interface TestResponse<T> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

async function startSandbox() {
  const sandbox = createSandbox({
    appId: TEST_APP_ID,
    appSecret: TEST_APP_SECRET,
    otherApps: [{ appId: TEST_OA_APP_ID, appSecret: TEST_OA_APP_SECRET }],
  });
  const listening = await sandbox.listen(0, '127.0.0.1');
  return Object.assign(sandbox, { url: listening.url, close: listening.close });
}

/** Returns the URI of a new, randomly named database on the server that vitest's setup started. */
export function testMongoUri(): string {
  const base = process.env.TEST_MONGODB_URI ?? process.env.MONGODB_URI;
  if (!base) {
    throw new Error(
      'TEST_MONGODB_URI is not set: run tests through vitest with the database global setup',
    );
  }
  const url = new URL(base);
  url.pathname = `/test_${randomBytes(6).toString('hex')}`;
  return url.toString();
}

/** Returns the environment that every test server shares: test mode, dev login, the sandbox. */
export function baseTestEnvironment(sandboxUrl: string): Partial<Record<keyof Config, string>> {
  return {
    NODE_ENV: 'test',
    MONGODB_URI: testMongoUri(),
    WECHAT_APP_ID: TEST_APP_ID,
    WECHAT_APP_SECRET: TEST_APP_SECRET,
    WECHAT_API_BASE_URL: sandboxUrl,
    WECHAT_SANDBOX_URL: sandboxUrl,
    WECHAT_DEV_LOGIN: 'true',
    LOG_LEVEL: 'debug',
  };
}

/** Creates a logger that appends every line it writes, as raw JSON text, to `logLines`. */
export function createCapturingLogger(level: string): { logger: Logger; logLines: string[] } {
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return { logger: createLogger({ level }, sink), logLines };
}

/** Returns TestServer.request for the server at `baseUrl`. */
export function createRequest(baseUrl: string): TestServer['request'] {
  return async <T>(method: string, path: string, options: RequestOptions = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(baseUrl + path, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    return { status: response.status, body: parsed as T, headers: response.headers, text };
  };
}

/** Returns TestServer.loginAs, which logs in through the dev login code that `request` fetches. */
export function createLoginAs(request: TestServer['request']): TestServer['loginAs'] {
  return async (learner) => {
    const code = await request<{ code: string }>('POST', '/api/dev/login-code', {
      body: { learner },
    });
    const login = await request<{ token: string }>('POST', '/api/auth/login', {
      body: { code: code.body.code },
    });
    if (login.status !== 200) throw new Error(`login as ${learner} failed: ${login.text}`);
    return login.body.token;
  };
}

export async function startTestServer(
  overrides: Partial<Record<keyof Config, string>> = {},
): Promise<TestServer> {
  const sandbox = await startSandbox();
  const config = loadConfig({ ...baseTestEnvironment(sandbox.url), ...overrides });
  const { logger, logLines } = createCapturingLogger(config.LOG_LEVEL);

  await connectDatabase(config.MONGODB_URI, logger);
  await ensureIndexes(logger);
  const deps = createDeps(config, logger);
  const server: Server = createApp(deps).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const request = createRequest(url);
  const loginAs = createLoginAs(request);

  return {
    url,
    deps,
    sandbox,
    logLines,
    request,
    loginAs,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await mongoose.connection.dropDatabase();
      await mongoose.disconnect();
      await sandbox.close();
    },
  };
}
