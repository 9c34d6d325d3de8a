// Builds the development H5 target (DEV_LOGIN=true), serves it from the same origin as a stand-in
// API at `/`, and walks a learner through it in headless Chromium with the selectors listed in
// TESTING.md. Screenshots go to test-artifacts/h5/. Set H5_BUILD=reuse to skip the build.
// Needs Chromium at /usr/bin/chromium (Debian package `chromium`); the browser test is skipped
// without it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { startFakeApi, type FakeApi } from '../support/fake-api';

const projectDir = path.resolve(__dirname, '../..');
const distDir = path.join(projectDir, 'dist/h5');
const screenshotDir = path.join(projectDir, 'test-artifacts/h5');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The element with this test id on the page in front; Taro keeps earlier pages hidden in the DOM. */
function byTestId(page: Page, testId: string): Locator {
  return page.locator(`[data-testid="${testId}"]`).locator('visible=true');
}

async function screenshot(page: Page, name: string): Promise<void> {
  // Taro slides a new page in; wait until the page in front has settled at the left edge.
  await page.waitForFunction(() => {
    const pages = [...document.querySelectorAll<HTMLElement>('.taro_page')];
    const front = pages.filter((item) => item.offsetParent !== null).at(-1);
    return front !== undefined && Math.round(front.getBoundingClientRect().left) === 0;
  });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
}

beforeAll(() => {
  if (process.env.H5_BUILD === 'reuse') return;
  const started = Date.now();
  const build = spawnSync('npx', ['taro', 'build', '--type', 'h5'], {
    cwd: projectDir,
    // vitest sets NODE_ENV=test, which Taro would build unminified.
    env: { ...process.env, NODE_ENV: 'production', DEV_LOGIN: 'true', DEBUG_LOG: '' },
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`taro build failed:\n${build.stdout}\n${build.stderr}`);
  console.info(`h5 build took ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe('h5 build', () => {
  test('index.html loads its assets from /', () => {
    const html = readFileSync(path.join(distDir, 'index.html'), 'utf8');
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)]
      .map((match) => match[1] ?? '')
      .filter((asset) => !asset.startsWith('data:'));
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      expect(asset.startsWith('/'), asset).toBe(true);
      expect(existsSync(path.join(distDir, asset)), asset).toBe(true);
    }
  });

  test('index.html has an inline icon', () => {
    // Without an icon link, browsers request /favicon.ico on every page load.
    const html = readFileSync(path.join(distDir, 'index.html'), 'utf8');
    expect(html).toMatch(/<link rel="?icon"? href="?data:image\/svg\+xml,/);
  });

  describe.skipIf(!existsSync(CHROMIUM))('in Chromium', () => {
    let server: FakeApi;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      mkdirSync(screenshotDir, { recursive: true });
      server = await startFakeApi({ staticDir: distDir });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    test('home page logs in and lists data', async () => {
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${server.url}/?learner=h5-smoke`);
      await expect.poll(() => byTestId(page, 'category-item').count()).toBe(3);
      await expect.poll(() => byTestId(page, 'quiz-item').count()).toBe(2);
      const login = server.requests.find((item) => item.path === '/api/dev/login-code');
      expect(login?.body).toEqual({ learner: 'h5-smoke' });
      expect(errors).toEqual([]);
      await screenshot(page, '1-home');
    });

    test('search finds a course', async () => {
      await byTestId(page, 'search-input').locator('input').fill('数据库');
      await byTestId(page, 'search-button').click();
      await expect.poll(() => byTestId(page, 'course-result').count()).toBe(1);
      const result = await byTestId(page, 'course-result').innerText();
      expect(result).toContain('CMU 15-445');
      expect(result).toContain('配套教学数据库 bustub，实现 Buffer Pool。');
      expect(result).not.toContain('](');
      expect(result).not.toContain('`');
      expect(await byTestId(page, 'search-total').innerText()).toBe('共 1 门课程');
      await screenshot(page, '2-search');
    });

    test('course detail enrols', async () => {
      await byTestId(page, 'course-result').first().click();
      await expect
        .poll(() => byTestId(page, 'course-title').innerText())
        .toBe('CMU 15-445：数据库系统');
      await expect.poll(() => byTestId(page, 'lesson-item').count()).toBe(3);
      const description = byTestId(page, 'course-description');
      const descriptionText = await description.innerText();
      expect(descriptionText).toContain('关系型数据库 bustub。');
      expect(descriptionText).toContain('循序渐进');
      expect(descriptionText).not.toContain('](');
      expect(descriptionText).not.toContain('`');
      expect(descriptionText).not.toContain('**');
      expect(await description.locator('.md-link').innerText()).toBe('bustub');
      expect(await description.locator('.md-paragraph').count()).toBe(2);
      await byTestId(page, 'enrol-button').click();
      await expect.poll(() => byTestId(page, 'enrolled-badge').count()).toBe(1);
      expect(server.requests.some((item) => item.path.endsWith('/enrolment'))).toBe(true);
      await screenshot(page, '3-course');
    });

    test('lessons show article, video and document', async () => {
      await byTestId(page, 'lesson-item').first().click();
      const content = byTestId(page, 'lesson-content');
      await expect.poll(() => content.innerText()).toContain('SELECT name FROM courses;');
      const text = await content.innerText();
      expect(text).toContain('按结构组织');
      expect(text).not.toContain('**');
      expect(await content.locator('.md-list-item').count()).toBe(3);
      await screenshot(page, '4-lesson');
      await byTestId(page, 'lesson-next').click();
      await expect.poll(() => byTestId(page, 'video-player').count()).toBe(1);
      expect(await byTestId(page, 'video-rate').count()).toBe(5);
      await byTestId(page, 'lesson-next').click();
      await expect
        .poll(() => byTestId(page, 'document-page-indicator').innerText())
        .toBe('第 1 / 12 页');
      expect(await byTestId(page, 'document-open').getAttribute('href')).toBe('/media/notes.pdf');
    });

    test('lesson shows resume and unsaved progress', async () => {
      // Heartbeats cannot reach the server, so they stay in the offline queue.
      server.dropNext('/api/learning/sessions/', 1000);
      try {
        await page.goto(
          `${server.url}/#/packages/learning/lesson/index?id=65e000000000000000000001`,
        );
        await expect.poll(() => byTestId(page, 'lesson-resume').count()).toBe(1);
        expect(await byTestId(page, 'lesson-resume').innerText()).toContain('上次学到约');
        await expect
          .poll(() => byTestId(page, 'progress-unsaved').innerText())
          .toBe('学习进度尚未保存，联网后自动同步');
        await screenshot(page, '4b-lesson-unsaved');
      } finally {
        server.dropNext('/api/learning/sessions/', 0);
      }
    });

    test('quiz saves answers and shows the score', async () => {
      await page.goto(`${server.url}/#/packages/quiz/quiz/index?id=65b000000000000000000001`);
      await byTestId(page, 'start-quiz').click();
      await expect.poll(() => byTestId(page, 'question').count()).toBe(3);
      const questions = byTestId(page, 'question');
      await questions.nth(0).locator('[data-testid="option-item"][data-key="A"]').click();
      await questions.nth(1).locator('[data-testid="option-item"][data-key="A"]').click();
      await questions.nth(1).locator('[data-testid="option-item"][data-key="B"]').click();
      await questions.nth(2).locator('[data-testid="option-item"][data-key="F"]').click();
      await expect
        .poll(() => byTestId(page, 'save-state').allInnerTexts())
        .toEqual(['已保存', '已保存', '已保存']);
      const selected = questions
        .nth(1)
        .locator('[data-testid="option-item"][data-selected="true"]');
      expect(await selected.count()).toBe(2);
      await screenshot(page, '5-quiz');

      await byTestId(page, 'submit-quiz').click();
      await expect.poll(() => byTestId(page, 'score').innerText()).toBe('4 / 4 分');
      expect(await byTestId(page, 'score-verdict').innerText()).toBe('恭喜，测验通过');
      expect(await byTestId(page, 'question-result').count()).toBe(3);
      expect(await byTestId(page, 'explanation').count()).toBe(3);
      await screenshot(page, '6-result');
    });

    test('timed quiz submits at the deadline', async () => {
      await page.goto(`${server.url}/#/packages/quiz/quiz/index?id=65b000000000000000000002`);
      await byTestId(page, 'start-quiz').click();
      await expect.poll(() => byTestId(page, 'quiz-timer').innerText()).toMatch(/^剩余 00:0[0-3]$/);
      const firstQuestion = byTestId(page, 'question').first();
      await firstQuestion.locator('[data-testid="option-item"][data-key="A"]').click();
      await expect.poll(() => byTestId(page, 'save-state').first().innerText()).toBe('已保存');

      // No tap on 交卷: the countdown reaching zero submits, and the result page follows.
      await expect
        .poll(() => byTestId(page, 'score').innerText(), { timeout: 10_000 })
        .toBe('1 / 4 分');
      expect(await byTestId(page, 'score-verdict').innerText()).toBe('未通过，再接再厉');
    });

    test('me page binds an employee', async () => {
      await page.goto(`${server.url}/#/pages/me/index`);
      const form = byTestId(page, 'binding-form');
      await expect.poll(() => form.count()).toBe(1);
      await byTestId(page, 'binding-employee-no').locator('input').fill('E9999');
      await byTestId(page, 'binding-name').locator('input').fill('张三');
      await byTestId(page, 'binding-submit').click();
      await expect
        .poll(() => byTestId(page, 'binding-message').innerText())
        .toBe('未找到该员工，请核对工号和姓名');

      await byTestId(page, 'binding-employee-no').locator('input').fill('E1001');
      await byTestId(page, 'binding-submit').click();
      await expect.poll(() => byTestId(page, 'binding-info').innerText()).toContain('工号：E1001');
      await screenshot(page, '7-me');
    });

    test('my hours shows requirement and records', async () => {
      // The learner was bound by the previous test, so the requirement and imported records show.
      const year = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();
      await byTestId(page, 'my-hours-entry').click();
      await expect.poll(() => byTestId(page, 'hours-required').innerText()).toBe('50.0');
      expect(await byTestId(page, 'hours-year').innerText()).toBe(`${year}年 ▾`);
      expect(await byTestId(page, 'hours-earned').innerText()).toBe('6.5');
      expect(await byTestId(page, 'hours-missing').innerText()).toBe('43.5 学时');
      expect(await byTestId(page, 'hours-progress').getAttribute('data-percent')).toBe('13');
      expect(await byTestId(page, 'hours-learning-time').innerText()).toBe(
        '学习时长 4小时30分（不等于学时）',
      );
      expect(await byTestId(page, 'hours-binding-notice').count()).toBe(0);
      expect(await byTestId(page, 'hours-course-credit').allInnerTexts()).toEqual([
        '4.0 学时',
        '完成后计 4.0 学时',
        '未设置学时',
      ]);
      expect(await byTestId(page, 'hours-record-source').allInnerTexts()).toEqual([
        '平台学习',
        '原培训管理系统',
      ]);
      await screenshot(page, '8-hours');

      await byTestId(page, 'hours-year-previous').click();
      await expect.poll(() => byTestId(page, 'hours-missing').innerText()).toBe('已完成');
      expect(await byTestId(page, 'hours-year').innerText()).toBe(`${year - 1}年 ▾`);
      expect(await byTestId(page, 'hours-earned').innerText()).toBe('50.0');
      expect(await byTestId(page, 'hours-course-item').count()).toBe(0);
      const records = byTestId(page, 'hours-record-item');
      expect(await records.count()).toBe(3);
      expect(await records.first().innerText()).toContain(`${year - 1}-11-20`);
      await screenshot(page, '9-hours-last-year');
    });

    test('page load failure shows a toast', async () => {
      // A new browser context, so that no page chunk beyond the home page's is loaded yet.
      const offlinePage = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const errors: string[] = [];
      offlinePage.on('pageerror', (error) => errors.push(error.message));
      // The toast's own element has no size (its children are fixed), so look at its text line.
      const toast = offlinePage.locator('.taro__toast p').locator('visible=true');
      const tab = (text: string) => offlinePage.locator('.taro-tabbar__tabbar').getByText(text);
      const chunkPattern = /\/(js|css)\//;
      const abortChunks = () =>
        offlinePage.route(chunkPattern, (route) => route.abort('internetdisconnected'));
      try {
        await offlinePage.goto(`${server.url}/?learner=h5-offline`);
        await expect.poll(() => byTestId(offlinePage, 'category-item').count()).toBe(3);

        // A tab page: the previous page stays, with the network message.
        await abortChunks();
        await tab('我的').click();
        await expect
          .poll(() => toast.allInnerTexts(), { timeout: 10_000 })
          .toEqual(['网络不给力，请检查网络后重试']);
        expect(await byTestId(offlinePage, 'category-item').count()).toBe(3);
        expect(errors).toEqual([]);

        // Tapping again once the network is back loads the page.
        await offlinePage.unroute(chunkPattern);
        await tab('我的').click();
        await expect.poll(() => byTestId(offlinePage, 'profile').count()).toBe(1);

        // A page opened with navigateTo, after the first toast has gone.
        await tab('首页').click();
        await expect.poll(() => byTestId(offlinePage, 'category-item').count()).toBe(3);
        await expect.poll(() => toast.count(), { timeout: 5_000 }).toBe(0);
        await abortChunks();
        await byTestId(offlinePage, 'category-item').first().click();
        await expect
          .poll(() => toast.allInnerTexts(), { timeout: 10_000 })
          .toEqual(['网络不给力，请检查网络后重试']);
        expect(await byTestId(offlinePage, 'category-item').count()).toBe(3);

        await offlinePage.unroute(chunkPattern);
        await byTestId(offlinePage, 'category-item').first().click();
        await expect.poll(() => byTestId(offlinePage, 'search-total').count()).toBe(1);
        expect(errors).toEqual([]);
      } finally {
        await offlinePage.close();
      }
    });
  });
});
