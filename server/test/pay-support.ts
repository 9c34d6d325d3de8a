// A test server with WeChat Pay configured against the sandbox, merchant keys generated per run,
// and helpers for paid courses. The server listens before its configuration is built, because
// WECHAT_PAY_NOTIFY_URL must name its own address.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { CreateOrderResponse } from '@wxlearn/api-types';
import { createSandbox } from '@wxlearn/scripts/sandbox/app.js';
import mongoose, { Types } from 'mongoose';
import { createApp, createDeps } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { connectDatabase, ensureIndexes } from '../src/db/connection.js';
import { createLogger } from '../src/logger.js';
import { prepareCourseFields } from '../src/modules/catalog/course-fields.js';
import { CourseModel } from '../src/modules/catalog/course.model.js';
import { EnrolmentModel } from '../src/modules/catalog/enrolment.model.js';
import { LessonModel } from '../src/modules/catalog/lesson.model.js';
import { payContextOf, type PayContext } from '../src/modules/orders/pay-context.js';
import {
  TEST_APP_ID,
  TEST_APP_SECRET,
  TEST_OA_APP_ID,
  TEST_OA_APP_SECRET,
  type RequestOptions,
  type TestResponse,
  type TestServer,
} from './harness.js';

export const TEST_MCH_ID = '1900000109';
export const TEST_MERCHANT_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';

export interface Merchant {
  mchId: string;
  serialNo: string;
  privateKeyPem: string;
  publicKeyPem: string;
  apiV3Key: string;
}

export interface PayTestServer extends TestServer {
  merchant: Merchant;
  /** Sends a JSON request to a sandbox control, such as `/sandbox/pay/orders/X/pay`. */
  sandboxRequest<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  /** The services' view of WeChat Pay, for calling the reconciliation job directly. */
  payContext(): PayContext;
}

export interface PayTestOptions {
  /** `public_key` configures WECHAT_PAY_PUBLIC_KEY_ID/PATH; otherwise certificates are downloaded. */
  keyMode?: 'certificates' | 'public_key';
  overrides?: Partial<Record<keyof Config, string>>;
}

function testMongoUri(): string {
  const base = process.env.TEST_MONGODB_URI ?? process.env.MONGODB_URI;
  if (!base) throw new Error('TEST_MONGODB_URI is not set: run tests through vitest');
  const url = new URL(base);
  url.pathname = `/test_${randomBytes(6).toString('hex')}`;
  return url.toString();
}

function generateMerchant(): Merchant {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    mchId: TEST_MCH_ID,
    serialNo: TEST_MERCHANT_SERIAL,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    // 32 random letters and digits; never a key used anywhere else.
    apiV3Key: randomBytes(16).toString('hex'),
  };
}

export async function startPayTestServer(options: PayTestOptions = {}): Promise<PayTestServer> {
  const keyMode = options.keyMode ?? 'certificates';
  const merchant = generateMerchant();
  const sandbox = createSandbox({
    appId: TEST_APP_ID,
    appSecret: TEST_APP_SECRET,
    otherApps: [{ appId: TEST_OA_APP_ID, appSecret: TEST_OA_APP_SECRET }],
    payMerchant: {
      mchId: merchant.mchId,
      appId: TEST_APP_ID,
      merchantSerialNo: merchant.serialNo,
      merchantPublicKeyPem: merchant.publicKeyPem,
      apiV3Key: merchant.apiV3Key,
      signWith: keyMode === 'public_key' ? 'public_key' : 'certificate',
      autoCompleteRefunds: false,
    },
  });
  const sandboxListening = await sandbox.listen(0, '127.0.0.1');
  const sandboxUrl = sandboxListening.url;

  async function sandboxRequest<T>(method: string, path: string, body?: unknown) {
    const response = await fetch(sandboxUrl + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as T };
  }

  const keyDir = mkdtempSync(path.join(tmpdir(), 'wxlearn-pay-test-'));
  const privateKeyPath = path.join(keyDir, 'apiclient_key.pem');
  writeFileSync(privateKeyPath, merchant.privateKeyPem, { mode: 0o600 });
  const keyVariables: Partial<Record<keyof Config, string>> = {};
  if (keyMode === 'public_key') {
    const platform = await sandboxRequest<{ publicKeyId: string; publicKeyPem: string }>(
      'GET',
      '/sandbox/pay/platform',
    );
    const publicKeyPath = path.join(keyDir, 'pub_key.pem');
    writeFileSync(publicKeyPath, platform.body.publicKeyPem);
    keyVariables.WECHAT_PAY_PUBLIC_KEY_ID = platform.body.publicKeyId;
    keyVariables.WECHAT_PAY_PUBLIC_KEY_PATH = publicKeyPath;
  }

  const httpServer = createServer();
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;

  const logLines: string[] = [];
  const config = loadConfig({
    NODE_ENV: 'test',
    MONGODB_URI: testMongoUri(),
    WECHAT_APP_ID: TEST_APP_ID,
    WECHAT_APP_SECRET: TEST_APP_SECRET,
    WECHAT_API_BASE_URL: sandboxUrl,
    WECHAT_SANDBOX_URL: sandboxUrl,
    WECHAT_DEV_LOGIN: 'true',
    LOG_LEVEL: 'debug',
    WECHAT_PAY_MCH_ID: merchant.mchId,
    WECHAT_PAY_SERIAL_NO: merchant.serialNo,
    WECHAT_PAY_PRIVATE_KEY_PATH: privateKeyPath,
    WECHAT_PAY_APIV3_KEY: merchant.apiV3Key,
    WECHAT_PAY_BASE_URL: sandboxUrl,
    WECHAT_PAY_NOTIFY_URL: `${url}/api/pay/notify`,
    ...keyVariables,
    ...options.overrides,
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = createLogger({ level: config.LOG_LEVEL }, sink);
  await connectDatabase(config.MONGODB_URI, logger);
  await ensureIndexes(logger);
  const deps = createDeps(config, logger);
  httpServer.on('request', createApp(deps).callback());

  async function request<T>(
    method: string,
    requestPath: string,
    requestOptions: RequestOptions = {},
  ) {
    const headers: Record<string, string> = { ...requestOptions.headers };
    if (requestOptions.token) headers.authorization = `Bearer ${requestOptions.token}`;
    let body: string | undefined = requestOptions.rawBody;
    if (requestOptions.body !== undefined) {
      body = JSON.stringify(requestOptions.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(url + requestPath, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    const result: TestResponse<T> = {
      status: response.status,
      body: parsed as T,
      headers: response.headers,
      text,
    };
    return result;
  }

  async function loginAs(learner: string): Promise<string> {
    const code = await request<{ code: string }>('POST', '/api/dev/login-code', {
      body: { learner },
    });
    const login = await request<{ token: string }>('POST', '/api/auth/login', {
      body: { code: code.body.code },
    });
    if (login.status !== 200) throw new Error(`login as ${learner} failed: ${login.text}`);
    return login.body.token;
  }

  return {
    url,
    deps,
    sandbox: Object.assign(sandbox, { url: sandboxUrl, close: sandboxListening.close }),
    logLines,
    request,
    loginAs,
    merchant,
    sandboxRequest,
    payContext() {
      const context = payContextOf(deps);
      if (!context) throw new Error('WeChat Pay is not configured on the test server');
      return context;
    },
    async close() {
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await mongoose.connection.dropDatabase();
      await mongoose.disconnect();
      await sandboxListening.close();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}

export interface PaidCourse {
  courseId: string;
  lessonId: string;
}

/** Creates a published course priced at `priceFen` with one article lesson. */
export async function createPaidCourse(code: string, priceFen: number | null): Promise<PaidCourse> {
  const chapterId = new Types.ObjectId();
  const course = await CourseModel.create({
    ...prepareCourseFields({
      code,
      title: `付费课程 ${code}`,
      category: '付费专区',
      subcategory: null,
      description: '一门需要购买的精品课程。',
      university: null,
      instructor: null,
      prerequisites: null,
      website: null,
      difficulty: null,
      studyTimeText: null,
      studyHoursMin: null,
      studyHoursMax: null,
      published: true,
    }),
    chapters: [{ _id: chapterId, title: '第一章', position: 1 }],
    lessonCount: 1,
    priceFen,
  });
  const lesson = await LessonModel.create({
    courseId: course._id,
    chapterId,
    position: 1,
    title: '精品课时',
    type: 'article',
    content: { markdown: '只有购买后才能阅读的内容。', wordCount: 12 },
  });
  return { courseId: course._id.toString(), lessonId: lesson._id.toString() };
}

/** Creates an order over HTTP and fails the test unless the server created or reused one. */
export async function createOrder(
  server: TestServer,
  token: string,
  courseId: string,
): Promise<CreateOrderResponse> {
  const response = await server.request<CreateOrderResponse>('POST', '/api/orders', {
    token,
    body: { courseId },
  });
  if (response.status !== 201 && response.status !== 200) {
    throw new Error(`creating an order failed: ${response.status} ${response.text}`);
  }
  return response.body;
}

/** Counts the enrolment documents of a course, active or revoked. */
export async function countEnrolments(courseId: string): Promise<number> {
  return EnrolmentModel.countDocuments({ courseId: new Types.ObjectId(courseId) });
}
