// A test server with WeChat Pay configured against the sandbox, merchant keys generated per run,
// and helpers for paid courses. The server listens before its configuration is built, because
// WECHAT_PAY_NOTIFY_URL must name its own address.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CreateOrderResponse } from '@wxlearn/api-types';
import { createSandbox } from '@wxlearn/scripts/sandbox/app.js';
import type { NotifyOutcome } from '@wxlearn/scripts/sandbox/pay-notify.js';
import mongoose, { Types } from 'mongoose';
import { createApp, createDeps } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { connectDatabase, ensureIndexes } from '../src/db/connection.js';
import { prepareCourseFields } from '../src/modules/catalog/course-fields.js';
import { EnrolmentModel } from '../src/modules/catalog/enrolment.model.js';
import { payContextOf, type PayContext } from '../src/modules/orders/pay-context.js';
import { courseInput, createArticleCourse } from './catalog-fixtures.js';
import {
  baseTestEnvironment,
  createCapturingLogger,
  createLoginAs,
  createRequest,
  TEST_APP_ID,
  TEST_APP_SECRET,
  TEST_OA_APP_ID,
  TEST_OA_APP_SECRET,
  type TestServer,
} from './harness.js';

export type { NotifyOutcome };

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

  const config = loadConfig({
    ...baseTestEnvironment(sandboxUrl),
    WECHAT_PAY_MCH_ID: merchant.mchId,
    WECHAT_PAY_SERIAL_NO: merchant.serialNo,
    WECHAT_PAY_PRIVATE_KEY_PATH: privateKeyPath,
    WECHAT_PAY_APIV3_KEY: merchant.apiV3Key,
    WECHAT_PAY_BASE_URL: sandboxUrl,
    WECHAT_PAY_NOTIFY_URL: `${url}/api/pay/notify`,
    ...keyVariables,
    ...options.overrides,
  });
  const { logger, logLines } = createCapturingLogger(config.LOG_LEVEL);
  await connectDatabase(config.MONGODB_URI, logger);
  await ensureIndexes(logger);
  const deps = createDeps(config, logger);
  httpServer.on('request', createApp(deps).callback());

  const request = createRequest(url);
  const loginAs = createLoginAs(request);

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
  const fields = courseInput({
    code,
    title: `付费课程 ${code}`,
    category: '付费专区',
    description: '一门需要购买的精品课程。',
  });
  return createArticleCourse(
    { ...prepareCourseFields(fields), priceFen },
    { title: '精品课时', markdown: '只有购买后才能阅读的内容。', wordCount: 12 },
  );
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

export interface OrderedCourse extends PaidCourse {
  token: string;
  order: CreateOrderResponse;
  orderId: string;
  /** The order's out_trade_no at WeChat Pay. */
  outTradeNo: string;
}

/** Creates a paid course, logs in as `learner` and creates their order of it over HTTP. */
export async function orderPaidCourse(
  server: TestServer,
  courseCode: string,
  learner: string,
  priceFen = 9900,
): Promise<OrderedCourse> {
  const course = await createPaidCourse(courseCode, priceFen);
  const token = await server.loginAs(learner);
  const order = await createOrder(server, token, course.courseId);
  return { ...course, token, order, orderId: order.order.id, outTradeNo: `WXL${order.order.id}` };
}

/**
 * Has the sandbox pay an order and notify the server, and returns the notification attempts.
 * `body` changes the payment or its notification (see the sandbox's pay control). Throws unless the
 * sandbox accepted the request.
 */
export async function payAtSandbox(
  server: PayTestServer,
  outTradeNo: string,
  body: Record<string, unknown> = {},
): Promise<NotifyOutcome> {
  const response = await server.sandboxRequest<NotifyOutcome>(
    'POST',
    `/sandbox/pay/orders/${outTradeNo}/pay`,
    body,
  );
  if (response.status !== 200) {
    throw new Error(`paying ${outTradeNo} at the sandbox failed: ${response.status}`);
  }
  return response.body;
}

/** Counts the enrolment documents of a course, active or revoked. */
export async function countEnrolments(courseId: string): Promise<number> {
  return EnrolmentModel.countDocuments({ courseId: new Types.ObjectId(courseId) });
}
