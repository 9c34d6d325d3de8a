// Helpers shared by the end-to-end tests: the stack they start, Debian's chromium, sign-in over the
// API, and locators for the H5 build, whose router keeps earlier pages hidden in the DOM.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { LoginResponse } from '@wxlearn/api-types';
import type { Logger } from 'pino';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from '../db/paths.js';
import { ensureH5Build, startStack, type RunningStack } from '../stack/stack.js';

/** Folder of the screenshots that the end-to-end tests save. */
export const e2eArtifactsDir = path.join(repoRoot, 'test-artifacts', 'e2e');

/**
 * Starts a throwaway stack on free ports with the public data from DATA_DIR (default
 * `../shared/data`) and a generated roster of `employees`. Before that, it creates the screenshot
 * folder and rebuilds the H5 app if any of its sources is newer than the build.
 */
export async function startE2eStack(
  logger: Logger,
  options: { databaseName: string; employees: number },
): Promise<RunningStack> {
  mkdirSync(e2eArtifactsDir, { recursive: true });
  await ensureH5Build(logger, { quiet: true });
  return startStack({
    logger,
    port: 0,
    sandboxPort: 0,
    databaseName: options.databaseName,
    ephemeral: true,
    dataDir: path.resolve(repoRoot, process.env.DATA_DIR ?? '../shared/data'),
    employees: options.employees,
    quiet: true,
  });
}

/** Launches headless chromium from CHROMIUM_PATH (default `/usr/bin/chromium`), offline. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
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
}

/** Opens a browser context with a phone-sized viewport and the zh-CN locale, and a page in it. */
export async function newPhonePage(
  browser: Browser,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    locale: 'zh-CN',
  });
  return { context, page: await context.newPage() };
}

/**
 * Records every API response of `page` whose status is `minStatus` or higher, as "status url", in
 * the returned array.
 */
export function recordApiErrors(page: Page, minStatus: number): string[] {
  const apiErrors: string[] = [];
  page.on('response', (response) => {
    if (response.url().includes('/api/') && response.status() >= minStatus) {
      apiErrors.push(`${response.status()} ${response.url()}`);
    }
  });
  return apiErrors;
}

/**
 * Signs in as a test learner over the API, as the development H5 build does, and returns the
 * session token.
 */
export async function apiToken(stackUrl: string, learner: string): Promise<string> {
  const post = async <T>(pathname: string, body: unknown): Promise<T> => {
    const response = await fetch(`${stackUrl}${pathname}`, {
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

/** Returns the visible element with this test id; Taro keeps earlier pages hidden in the DOM. */
export function visible(page: Page, testId: string) {
  return page.locator(`[data-testid="${testId}"]`).locator('visible=true');
}

/** Waits until the page that slid in has settled, so a screenshot is not blank. */
export async function settle(page: Page) {
  await page.waitForFunction(() => {
    const pages = [...document.querySelectorAll<HTMLElement>('.taro_page')].filter(
      (element) => element.offsetParent !== null || getComputedStyle(element).display !== 'none',
    );
    const current = pages[pages.length - 1];
    return current !== undefined && Math.abs(current.getBoundingClientRect().left) < 1;
  });
}
