// WeChat Pay configuration: validation at start-up, and a server without WeChat Pay.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApiErrorBody, CourseDetail } from '@wxlearn/api-types';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { createWechatPay } from '../src/wechat/pay-client.js';
import { startTestServer, type TestServer } from './harness.js';
import { createPaidCourse } from './pay-support.js';

const BASE = {
  MONGODB_URI: 'mongodb://127.0.0.1:27017/config',
  WECHAT_APP_ID: 'wxconfigtest0001',
  WECHAT_APP_SECRET: 'secret',
};
const PAY = {
  WECHAT_PAY_MCH_ID: '1900000109',
  WECHAT_PAY_SERIAL_NO: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
  WECHAT_PAY_PRIVATE_KEY_PATH: '/nonexistent/apiclient_key.pem',
  WECHAT_PAY_APIV3_KEY: '0123456789abcdef0123456789abcdef',
  WECHAT_PAY_NOTIFY_URL: 'https://learn.example.com/api/pay/notify',
};

/** Returns the problems loadConfig reports, or an empty list when the configuration is valid. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('WeChat Pay configuration', () => {
  it('accepts the complete group', () => {
    expect(problemsOf({ ...BASE, ...PAY })).toEqual([]);
  });

  it('defaults the order lifetime and the iOS switch', () => {
    const config = loadConfig({ ...BASE, ...PAY });
    expect(config.ORDER_CLOSE_MINUTES).toBe(30);
    expect(config.PAY_HIDE_ON_IOS).toBe(true);
    expect(config.WECHAT_PAY_BASE_URL).toBe('https://api.mch.weixin.qq.com');
  });

  it('rejects an APIv3 key that is not 32 bytes without printing it', () => {
    const key = '0123456789abcdef0123456789abcde';
    const problems = problemsOf({ ...BASE, ...PAY, WECHAT_PAY_APIV3_KEY: key });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('WECHAT_PAY_APIV3_KEY: must be exactly 32 bytes');
    expect(problems[0]).toContain('this one has 31');
    expect(problems[0]).not.toContain(key);
  });

  it('counts bytes, not characters, of the APIv3 key', () => {
    // 16 Chinese characters are 48 bytes in UTF-8.
    const problems = problemsOf({ ...BASE, ...PAY, WECHAT_PAY_APIV3_KEY: '支'.repeat(16) });
    expect(problems[0]).toContain('this one has 48');
  });

  it('names every missing variable of a partial group', () => {
    const problems = problemsOf({ ...BASE, WECHAT_PAY_MCH_ID: '1900000109' });
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toContain('WECHAT_PAY_APIV3_KEY: is required');
    expect(problems.join('\n')).toContain('WECHAT_PAY_NOTIFY_URL: is required');
  });

  it('requires the public key and its id together', () => {
    const problems = problemsOf({ ...BASE, ...PAY, WECHAT_PAY_PUBLIC_KEY_ID: 'PUB_KEY_ID_01' });
    expect(problems).toEqual([
      'WECHAT_PAY_PUBLIC_KEY_PATH: is required when WECHAT_PAY_PUBLIC_KEY_ID is set',
    ]);
  });

  it('rejects another WeChat Pay host and an http notify URL in production', () => {
    const problems = problemsOf({
      ...BASE,
      ...PAY,
      NODE_ENV: 'production',
      WECHAT_PAY_BASE_URL: 'http://127.0.0.1:4010',
      WECHAT_PAY_NOTIFY_URL: 'http://learn.example.com/api/pay/notify',
    });
    expect(problems).toContain(
      'WECHAT_PAY_BASE_URL: must be https://api.mch.weixin.qq.com in production',
    );
    expect(
      problems.some((problem) => problem.startsWith('WECHAT_PAY_NOTIFY_URL: must be an https')),
    ).toBe(true);
  });

  it('rejects an order lifetime under 5 minutes', () => {
    const problems = problemsOf({ ...BASE, ...PAY, ORDER_CLOSE_MINUTES: '1' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ORDER_CLOSE_MINUTES:/);
  });
});

describe('createWechatPay', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'wxlearn-pay-config-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns null without the WeChat Pay group', () => {
    expect(
      createWechatPay(loadConfig(BASE), pino({ level: 'silent' }), () => new Date()),
    ).toBeNull();
  });

  it('names the variable of a missing key file', () => {
    const config = loadConfig({ ...BASE, ...PAY });
    expect(() => createWechatPay(config, pino({ level: 'silent' }), () => new Date())).toThrow(
      /WECHAT_PAY_PRIVATE_KEY_PATH: cannot read \/nonexistent\/apiclient_key.pem/,
    );
  });

  it('rejects a key file without a private key', () => {
    const file = path.join(dir, 'not-a-key.pem');
    writeFileSync(file, 'hello');
    const config = loadConfig({ ...BASE, ...PAY, WECHAT_PAY_PRIVATE_KEY_PATH: file });
    expect(() => createWechatPay(config, pino({ level: 'silent' }), () => new Date())).toThrow(
      /contains no valid private key/,
    );
  });

  it('derives the refund notify URL beside the notify URL', () => {
    const file = path.join(dir, 'apiclient_key.pem');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const config = loadConfig({ ...BASE, ...PAY, WECHAT_PAY_PRIVATE_KEY_PATH: file });
    const pay = createWechatPay(config, pino({ level: 'silent' }), () => new Date());
    expect(pay?.refundNotifyUrl).toBe('https://learn.example.com/api/pay/refund-notify');
  });
});

describe('server without WeChat Pay', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.close();
  });

  it('rejects orders with 503 payment_unavailable', async () => {
    const course = await createPaidCourse('NO-PAY', 9900);
    const token = await server.loginAs('no-pay');
    const response = await server.request<ApiErrorBody>('POST', '/api/orders', {
      token,
      body: { courseId: course.courseId },
    });
    expect(response.status).toBe(503);
    expect(response.body.error.id).toBe('payment_unavailable');
    const detail = await server.request<CourseDetail>('GET', `/api/courses/${course.courseId}`, {
      token,
    });
    expect(detail.body.purchase?.priceFen).toBe(9900);
  });

  it('rejects notifications with 503', async () => {
    const response = await server.request('POST', '/api/pay/notify', { rawBody: '{}' });
    expect(response.status).toBe(503);
  });
});
