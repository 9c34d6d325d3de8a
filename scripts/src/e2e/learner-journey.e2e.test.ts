// End-to-end: the H5 build of the mini-program in Debian's chromium against the real stack (local
// PostgreSQL + FerretDB, the WeChat sandbox, the imported public data, the API server). A learner
// signs in, searches 数据库, opens a real course, reads its lesson, takes a quiz drawn from the
// imported Chinese bank, submits, and the page shows the score the server computed.
import path from 'node:path';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import type { AttemptResult } from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStack } from '../stack/stack.js';
import {
  e2eArtifactsDir,
  launchChromium,
  newPhonePage,
  recordApiErrors,
  settle,
  startE2eStack,
  visible,
} from './browser.js';

const logger = pino({ name: 'e2e', level: process.env.LOG_LEVEL ?? 'warn' });

let stack: RunningStack;
let browser: Browser;

beforeAll(async () => {
  stack = await startE2eStack(logger, { databaseName: 'e2e', employees: 200 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('learner journey in the H5 app', () => {
  it('completes search, lesson and graded quiz', async () => {
    const { context, page } = await newPhonePage(browser);
    const apiErrors = recordApiErrors(page, 500);

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
    await page.screenshot({ path: path.join(e2eArtifactsDir, '1-search.png') });

    const databaseCourse = visible(page, 'course-result').filter({ hasText: '15-445' });
    await databaseCourse.first().click();
    await expect.poll(() => visible(page, 'course-title').innerText()).toContain('15-445');
    await visible(page, 'enrol-button').click();
    await expect.poll(() => visible(page, 'enrolled-badge').count()).toBe(1);
    await settle(page);
    await page.screenshot({ path: path.join(e2eArtifactsDir, '2-course.png') });

    // Read the course's article lesson.
    await visible(page, 'lesson-item').first().click();
    await expect.poll(() => visible(page, 'lesson-content').count()).toBe(1);
    const lessonText = await visible(page, 'lesson-content').innerText();
    expect(lessonText).toContain('CMU');
    expect(lessonText.length).toBeGreaterThan(200);
    await settle(page);
    await page.screenshot({ path: path.join(e2eArtifactsDir, '3-lesson.png') });

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
    await page.screenshot({ path: path.join(e2eArtifactsDir, '4-quiz.png') });

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
    await page.screenshot({ path: path.join(e2eArtifactsDir, '5-result.png'), fullPage: true });

    expect(apiErrors).toEqual([]);
    await context.close();
  });
});
