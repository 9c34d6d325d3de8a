// End-to-end: buying a paid course in the H5 build against the real stack. An operator prices a
// real imported course with the pay CLI; a learner opens it, sees its price and locked lessons,
// buys it (the server places a JSAPI order at the WeChat Pay sandbox, the development payment
// route has the sandbox pay it, the sandbox posts the signed, encrypted notification), and reads
// its lesson.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { CoursePage, LoginResponse, OrderView } from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../db/paths.js';
import { ensureH5Build, startStack, type RunningStack } from '../stack/stack.js';

const artifactsDir = path.join(repoRoot, 'test-artifacts', 'e2e');
const logger = pino({ name: 'e2e', level: process.env.LOG_LEVEL ?? 'warn' });
const run = promisify(execFile);

let stack: RunningStack;
let browser: Browser;
/** The real course that the test prices at 99 yuan. */
let course: { id: string; code: string; title: string };

/** Signs in as a test learner over the API, as the app does in the browser. */
async function apiToken(learner: string): Promise<string> {
  const post = async <T>(pathname: string, body: unknown): Promise<T> => {
    const response = await fetch(`${stack.url}${pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${pathname} failed with ${response.status}`);
    return (await response.json()) as T;
  };
  const { code } = await post<{ code: string }>('/api/dev/login-code', { learner });
  return (await post<LoginResponse>('/api/auth/login', { code })).token;
}

beforeAll(async () => {
  mkdirSync(artifactsDir, { recursive: true });
  await ensureH5Build(logger, { quiet: true });
  stack = await startStack({
    logger,
    port: 0,
    sandboxPort: 0,
    databaseName: 'e2e-purchase',
    ephemeral: true,
    dataDir: path.resolve(repoRoot, process.env.DATA_DIR ?? '../shared/data'),
    employees: 200,
    quiet: true,
  });

  const token = await apiToken('e2e-operator');
  const response = await fetch(`${stack.url}/api/courses?q=${encodeURIComponent('操作系统')}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const found = ((await response.json()) as CoursePage).items[0];
  if (!found) throw new Error('the imported catalog has no course about 操作系统');
  course = { id: found.id, code: found.code, title: found.title };
  await run(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(repoRoot, 'scripts/src/pay/cli.ts'),
      'price',
      '--course',
      course.code,
      '--fen',
      '9900',
    ],
    { cwd: repoRoot, env: { ...process.env, MONGODB_URI: stack.mongodbUri, LOG_LEVEL: 'warn' } },
  );

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Returns the visible element with this test id; Taro keeps earlier pages hidden in the DOM. */
function visible(page: Page, testId: string) {
  return page.locator(`[data-testid="${testId}"]`).locator('visible=true');
}

/** Waits until the page that slid in has settled, so a screenshot is not blank. */
async function settle(page: Page) {
  await page.waitForFunction(() => {
    const pages = [...document.querySelectorAll<HTMLElement>('.taro_page')].filter(
      (element) => element.offsetParent !== null || getComputedStyle(element).display !== 'none',
    );
    const current = pages[pages.length - 1];
    return current !== undefined && Math.abs(current.getBoundingClientRect().left) < 1;
  });
}

describe('course purchase in the H5 app', () => {
  it('buys a paid course through the sandbox and opens its lesson', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      locale: 'zh-CN',
    });
    const page = await context.newPage();
    const apiErrors: string[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/api/') && response.status() >= 500) {
        apiErrors.push(`${response.status()} ${response.url()}`);
      }
    });

    // The course page shows the price, a buy button and locked lessons.
    await page.goto(
      `${stack.url}/?learner=e2e-buyer#/packages/course/detail/index?id=${course.id}`,
    );
    await expect.poll(() => visible(page, 'course-title').innerText()).toBe(course.title);
    expect(await visible(page, 'course-price').innerText()).toBe('¥99.00');
    expect(await visible(page, 'enrol-button').count()).toBe(0);
    expect(await visible(page, 'lesson-item').first().getAttribute('data-locked')).toBe('true');
    await settle(page);
    await page.screenshot({ path: path.join(artifactsDir, 'purchase-1-course.png') });

    // Buy: the order, the sandbox payment and its notification, then a poll reads it paid.
    const ordered = page.waitForResponse(
      (response) =>
        response.url().endsWith('/api/orders') && response.request().method() === 'POST',
    );
    await visible(page, 'buy-button').click();
    const order = (await (await ordered).json()) as { order: OrderView };
    expect(order.order.amountFen).toBe(9900);
    await expect.poll(() => visible(page, 'purchased-badge').count()).toBe(1);
    expect(await visible(page, 'buy-button').count()).toBe(0);
    expect(await visible(page, 'lesson-item').first().getAttribute('data-locked')).toBe('false');
    await settle(page);
    await page.screenshot({ path: path.join(artifactsDir, 'purchase-2-bought.png') });

    const token = await apiToken('e2e-buyer');
    const stored = await fetch(`${stack.url}/api/orders/${order.order.id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const paid = (await stored.json()) as OrderView;
    expect(paid.state).toBe('paid');
    expect(paid.paidAt).not.toBeNull();

    // Open the course's lesson, which the server now serves.
    await visible(page, 'lesson-item').first().click();
    await expect.poll(() => visible(page, 'lesson-content').count()).toBe(1);
    expect((await visible(page, 'lesson-content').innerText()).length).toBeGreaterThan(100);
    await settle(page);
    await page.screenshot({ path: path.join(artifactsDir, 'purchase-3-lesson.png') });

    expect(apiErrors).toEqual([]);
    await context.close();
  });
});
