// End-to-end: buying a paid course in the H5 build against the real stack. An operator prices a
// real imported course with the pay CLI; a learner opens it, sees its price and locked lessons,
// buys it (the server places a JSAPI order at the WeChat Pay sandbox, the development payment
// route has the sandbox pay it, the sandbox posts the signed, encrypted notification), and reads
// its lesson.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import type { CoursePage, OrderView } from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../db/paths.js';
import type { RunningStack } from '../stack/stack.js';
import {
  apiToken,
  e2eArtifactsDir,
  launchChromium,
  newPhonePage,
  recordApiErrors,
  settle,
  startE2eStack,
  visible,
} from './browser.js';

const logger = pino({ name: 'e2e', level: process.env.LOG_LEVEL ?? 'warn' });
const run = promisify(execFile);

let stack: RunningStack;
let browser: Browser;
/** The real course that the test prices at 99 yuan. */
let course: { id: string; code: string; title: string };

beforeAll(async () => {
  stack = await startE2eStack(logger, { databaseName: 'e2e-purchase', employees: 200 });

  const token = await apiToken(stack.url, 'e2e-operator');
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

  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('course purchase in the H5 app', () => {
  it('buys a paid course through the sandbox and opens its lesson', async () => {
    const { context, page } = await newPhonePage(browser);
    const apiErrors = recordApiErrors(page, 500);

    // The course page shows the price, a buy button and locked lessons.
    await page.goto(
      `${stack.url}/?learner=e2e-buyer#/packages/course/detail/index?id=${course.id}`,
    );
    await expect.poll(() => visible(page, 'course-title').innerText()).toBe(course.title);
    expect(await visible(page, 'course-price').innerText()).toBe('¥99.00');
    expect(await visible(page, 'enrol-button').count()).toBe(0);
    expect(await visible(page, 'lesson-item').first().getAttribute('data-locked')).toBe('true');
    await settle(page);
    await page.screenshot({ path: path.join(e2eArtifactsDir, 'purchase-1-course.png') });

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
    await page.screenshot({ path: path.join(e2eArtifactsDir, 'purchase-2-bought.png') });

    const token = await apiToken(stack.url, 'e2e-buyer');
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
    await page.screenshot({ path: path.join(e2eArtifactsDir, 'purchase-3-lesson.png') });

    expect(apiErrors).toEqual([]);
    await context.close();
  });
});
