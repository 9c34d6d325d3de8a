import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  requestJson,
  startTestSandbox,
  TEST_APP_ID,
  TEST_OFFICIAL_ACCOUNT,
  type TestSandbox,
} from '../sandbox/test-support.js';
import { buildMenu, parseMenuEnvironment, publishMenu } from './menu.js';

const MENU_PATH = fileURLToPath(new URL('./menu.ts', import.meta.url));
const logger = pino({ level: 'silent' });

let harness: TestSandbox;

beforeEach(async () => {
  harness = await startTestSandbox();
});

afterEach(async () => {
  await harness.close();
});

function environment(overrides: Record<string, string> = {}) {
  return {
    WECHAT_API_BASE_URL: harness.url,
    WECHAT_OA_APP_ID: TEST_OFFICIAL_ACCOUNT.appId,
    WECHAT_OA_APP_SECRET: TEST_OFFICIAL_ACCOUNT.appSecret,
    WECHAT_APP_ID: TEST_APP_ID,
    OA_MENU_FALLBACK_URL: 'https://example.com/learn',
    ...overrides,
  };
}

/** Runs the menu command and returns its exit code and output. */
function runMenu(env: Record<string, string>, args: string[] = []) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MENU_PATH, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('buildMenu', () => {
  it('links the mini-program pages and the FAQ key', () => {
    const menu = buildMenu('wxmini', 'https://example.com/');

    expect(menu.button.map((button) => button.name)).toEqual(['学习', '我的学时', '常见问题']);
    expect(menu.button[0]).toMatchObject({
      type: 'miniprogram',
      appid: 'wxmini',
      pagepath: 'pages/index/index',
    });
    expect(menu.button[1]).toMatchObject({
      type: 'miniprogram',
      pagepath: 'packages/me/hours/index',
    });
    expect(menu.button[2]).toEqual({ type: 'click', name: '常见问题', key: 'FAQ' });
  });
});

describe('publishMenu', () => {
  it('creates the menu in the sandbox', async () => {
    const menu = await publishMenu(parseMenuEnvironment(environment()), logger);

    const records = await requestJson(`${harness.url}/sandbox/official-account/menus`);
    const menus = records.body.menus as Array<{ appId: string; menu: unknown }>;
    expect(menus).toHaveLength(1);
    expect(menus[0]?.appId).toBe(TEST_OFFICIAL_ACCOUNT.appId);
    expect(menus[0]?.menu).toEqual(menu);
  });

  it('fails with the errcode of a mini-program the sandbox does not know', async () => {
    const failure = await publishMenu(
      parseMenuEnvironment(environment({ WECHAT_APP_ID: 'wxnotlinked0000000' })),
      logger,
    ).catch((error: unknown) => error);

    expect((failure as { errcode?: number }).errcode).toBe(40013);
  });

  it('lists every missing variable', () => {
    expect(() => parseMenuEnvironment({})).toThrow(/WECHAT_OA_APP_ID[\s\S]*OA_MENU_FALLBACK_URL/);
  });
});

describe('oa-menu command', () => {
  it('prints the menu without publishing it in a dry run', async () => {
    const result = await runMenu(environment(), ['--dry-run']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(buildMenu(TEST_APP_ID, 'https://example.com/learn'));
    expect(harness.sandbox.callCounts().menu_create).toBe(0);
  });

  it('publishes the menu and exits 0', async () => {
    const result = await runMenu(environment());

    expect(result.code).toBe(0);
    expect(harness.sandbox.callCounts().menu_create).toBe(1);
  });

  it('exits 1 on an invalid environment', async () => {
    const result = await runMenu(environment({ OA_MENU_FALLBACK_URL: 'not a url' }));

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('OA_MENU_FALLBACK_URL');
  });
});
