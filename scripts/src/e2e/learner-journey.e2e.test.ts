// End-to-end: the H5 build of the mini-program in Debian's chromium against the real stack (local
// PostgreSQL + FerretDB, the WeChat sandbox, the imported public data, the API server). A learner
// signs in, searches 数据库, opens a real course, reads its lesson, takes a quiz drawn from the
// imported Chinese bank, submits, and the page shows the score the server computed.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AttemptResult } from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../db/paths.js';
import { ensureH5Build, startStack, type RunningStack } from '../stack/stack.js';

const artifactsDir = path.join(repoRoot, 'test-artifacts', 'e2e');
const logger = pino({ name: 'e2e', level: process.env.LOG_LEVEL ?? 'warn' });

let stack: RunningStack;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(artifactsDir, { recursive: true });
  await ensureH5Build(logger, { quiet: true });
  stack = await startStack({
    logger,
    port: 0,
    sandboxPort: 0,
    databaseName: 'e2e',
    ephemeral: true,
    dataDir: path.resolve(repoRoot, process.env.DATA_DIR ?? '../shared/data'),
    employees: 200,
    quiet: true,
  });
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

describe('learner journey in the H5 app', () => {
  it('completes search, lesson and graded quiz', async () => {
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

    // Sign in silently as a test learner and land on the home page.
    const login = page.waitForResponse((response) => response.url().endsWith('/api/auth/login'));
    await page.goto(`${stack.url}/?learner=e2e-learner`);
    expect((await login).status()).toBe(200);
    await expect.poll(() => visible(page, 'search-input').count()).toBeGreaterThan(0);

    // Search 数据库 and open a 数据库系统 course from the real catalog.
    await visible(page, 'search-input').locator('input').fill('数据库');
    await visible(page, 'search-button').click();
    await expect.poll(() => visible(page, 'course-result').count()).toBeGreaterThanOrEqual(5);
    const results = await visible(page, 'course-result').allInnerTexts();
    expect(results.some((text) => text.includes('数据库系统'))).toBe(true);
    await settle(page);
    await page.screenshot({ path: path.join(artifactsDir, '1-search.png') });

    const databaseCourse = visible(page, 'course-result').filter({ hasText: '15-445' });
    await databaseCourse.first().click();
    await expect.poll(() => visible(page, 'course-title').innerText()).toContain('15-445');
    await visible(page, 'enrol-button').click();
    await expect.poll(() => visible(page, 'enrolled-badge').count()).toBe(1);
    await settle(page);
    await page.screenshot({ path: path.join(artifactsDir, '2-course.png') });

    // Read the course's article lesson.
    await visible(page, 'lesson-item').first().click();
    await expect.poll(() => visible(page, 'lesson-content').count()).toBe(1);
    const lessonText = await visible(page, 'lesson-content').innerText();
    expect(lessonText).toContain('CMU');
    expect(lessonText.length).toBeGreaterThan(200);
    await settle(page);
    await page.screenshot({ path: path.join(artifactsDir, '3-lesson.png') });

    // Take the politics quiz drawn from the imported Chinese bank.
    await page.goto(`${stack.url}/#/pages/index/index`);
    const quizItem = visible(page, 'quiz-item').filter({ hasText: '思想政治常识测验' });
    await expect.poll(() => quizItem.count()).toBe(1);
    await quizItem.click();
    await visible(page, 'start-quiz').click();
    await expect.poll(() => visible(page, 'question').count()).toBe(10);

    const questions = visible(page, 'question');
    for (let index = 0; index < 10; index++) {
      // Alternate between the first and second option so the score depends on the server's key.
      const option = questions
        .nth(index)
        .locator('[data-testid="option-item"]')
        .nth(index % 2);
      await option.click();
      await expect.poll(() => option.getAttribute('data-selected')).toBe('true');
    }
    await expect
      .poll(
        async () =>
          (await visible(page, 'save-state').allInnerTexts()).filter((text) =>
            text.includes('已保存'),
          ).length,
      )
      .toBe(10);
    await settle(page);
    await page.screenshot({ path: path.join(artifactsDir, '4-quiz.png') });

    const submitted = page.waitForResponse(
      (response) => /\/api\/attempts\/[0-9a-f]{24}\/submit$/.test(response.url()) && response.ok(),
    );
    // Every question is answered, so the app submits without asking for confirmation.
    await visible(page, 'submit-quiz').click();
    const result = (await (await submitted).json()) as AttemptResult;

    // The page shows exactly the score the server computed.
    await expect.poll(() => visible(page, 'score').innerText()).toContain(`${result.score}`);
    expect(await visible(page, 'score').innerText()).toContain(`${result.maxScore}`);
    expect(result.maxScore).toBe(100);
    expect(result.questions).toHaveLength(10);
    const correctShown = await visible(page, 'question-result').evaluateAll(
      (elements) =>
        elements.filter((element) => element.getAttribute('data-correct') === 'true').length,
    );
    expect(correctShown).toBe(result.questions.filter((question) => question.correct).length);
    expect(result.score).toBe(correctShown * 10);
    await settle(page);
    await page.screenshot({ path: path.join(artifactsDir, '5-result.png'), fullPage: true });

    expect(apiErrors).toEqual([]);
    await context.close();
  });
});
