// @vitest-environment jsdom
// Builds the weapp target and checks the output the way WeChat would take it: every template
// and style sheet compiles with WeChat's compilers, pages render with real data, the package
// sizes fit, and miniprogram-ci's offline code-quality checks pass.
// Set WEAPP_BUILD=reuse to test an existing dist/weapp without building again.
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { startFakeApi, type FakeApi } from '../support/fake-api';
import { installWeappSimulator, waitFor, type WeappSimulator } from '../support/weapp-simulator';

const require = createRequire(import.meta.url);
const projectDir = path.resolve(__dirname, '../..');
const repositoryDir = path.resolve(projectDir, '..');
const distDir = path.join(projectDir, 'dist/weapp');
const BUILD_API_ORIGIN = 'http://127.0.0.1:3000';
const MAIN_PACKAGE_LIMIT = 1024 * 1024;

interface CompilerModule {
  wxmlToJs(rootPath: string): string;
  wxssToJs(rootPath: string): string;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => statSync(path.join(dir, file)).isFile())
    .map((file) => file.split(path.sep).join('/'))
    .sort();
}

function subpackageRoots(): string[] {
  const app = JSON.parse(readFileSync(path.join(distDir, 'app.json'), 'utf8')) as {
    subPackages?: { root: string }[];
  };
  return (app.subPackages ?? []).map((item) => `${item.root.replace(/\/$/, '')}/`);
}

/** Returns the path of WeChat's wcc or wcsc compiler for Linux, shipped in miniprogram-compiler. */
function wechatCompilerBinary(name: 'wcc' | 'wcsc'): string {
  const packageDir = path.dirname(require.resolve('miniprogram-compiler/package.json'));
  const binary = path.join(packageDir, 'bin', 'linux', name);
  // The package ships the binaries without the execute bit and sets it itself before each use.
  chmodSync(binary, 0o755);
  return binary;
}

/** Returns true when this machine can run a process without network access. */
function canIsolateNetwork(): boolean {
  return spawnSync('unshare', ['--net', 'true']).status === 0;
}

let server: FakeApi;
let simulator: WeappSimulator;

beforeAll(async () => {
  if (process.env.WEAPP_BUILD !== 'reuse') {
    const started = Date.now();
    const build = spawnSync('npx', ['taro', 'build', '--type', 'weapp'], {
      cwd: projectDir,
      env: {
        ...process.env,
        // vitest sets NODE_ENV=test, which Taro would build unminified.
        NODE_ENV: 'production',
        API_BASE_URL: BUILD_API_ORIGIN,
        DEV_LOGIN: '',
        DEBUG_LOG: '',
      },
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`taro build failed:\n${build.stdout}\n${build.stderr}`);
    console.info(`weapp build took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  server = await startFakeApi();
  simulator = installWeappSimulator(distDir, BUILD_API_ORIGIN, server.url);
});

afterAll(async () => {
  await server?.close();
});

describe('weapp build', () => {
  test('declares pages and subpackages', () => {
    const app = JSON.parse(readFileSync(path.join(distDir, 'app.json'), 'utf8')) as {
      pages: string[];
      lazyCodeLoading?: string;
    };
    expect(app.pages).toEqual(['pages/index/index', 'pages/me/index']);
    expect(subpackageRoots()).toEqual([
      'packages/course/',
      'packages/learning/',
      'packages/quiz/',
      'packages/me/',
    ]);
    expect(app.lazyCodeLoading).toBe('requiredComponents');
  });

  test('keeps the main package within 1 MB', () => {
    const roots = subpackageRoots();
    let mainBytes = 0;
    let totalBytes = 0;
    const perPackage: Record<string, number> = {};
    for (const file of listFiles(distDir)) {
      const size = statSync(path.join(distDir, file)).size;
      totalBytes += size;
      const root = roots.find((item) => file.startsWith(item));
      if (root) {
        perPackage[root] = (perPackage[root] ?? 0) + size;
      } else {
        mainBytes += size;
      }
    }
    console.info('weapp sizes (bytes)', { main: mainBytes, total: totalBytes, ...perPackage });
    expect(mainBytes).toBeLessThanOrEqual(MAIN_PACKAGE_LIMIT);
    for (const root of roots) expect(perPackage[root]).toBeGreaterThan(0);
  });

  test('compiles every wxml with wcc', () => {
    const compiler = require('miniprogram-compiler') as CompilerModule;
    const generate = new Function(compiler.wxmlToJs(distDir)) as () => (file: string) => unknown;
    const getTemplate = generate();
    const templates = listFiles(distDir).filter((file) => file.endsWith('.wxml'));
    expect(templates.length).toBeGreaterThan(5);
    for (const file of templates) {
      expect(typeof getTemplate(file), file).toBe('function');
    }
  });

  test('compiles every wxss with wcsc', () => {
    // wcsc is run directly because the package's wxssToJs() returns an Error object instead of
    // throwing when a sheet fails. wcsc exits non-zero on a syntax error or a missing @import, and
    // every sheet is passed at once so that imports between them resolve.
    const wcsc = wechatCompilerBinary('wcsc');
    const sheets = listFiles(distDir).filter((file) => file.endsWith('.wxss'));
    expect(sheets.length).toBeGreaterThan(5);
    const run = spawnSync(wcsc, ['-db', '-pc', '0', ...sheets], { cwd: distDir, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('comm=');
  });

  test('home page renders API data', async () => {
    const page = simulator.openPage('pages/index/index');
    await waitFor(() => page.dom.textContent?.includes('数据库基础测验') ?? false);
    const text = page.dom.textContent ?? '';
    expect(text).toContain('课程分类');
    expect(text).toContain('数据库系统');
    expect(text).toContain('还没有报名课程');
    expect(server.requests.some((item) => item.path === '/api/auth/login')).toBe(true);

    page.querySelector('.quiz-item')?.dispatchEvent('tap');
    await waitFor(() => simulator.navigations.length > 0);
    expect(simulator.navigations.at(-1)).toBe(
      '/packages/quiz/quiz/index?id=65b000000000000000000001',
    );
  });

  test('lesson page renders Markdown as text', async () => {
    const page = simulator.openPage('packages/learning/lesson/index', {
      id: '65e000000000000000000001',
    });
    await waitFor(() => page.dom.textContent?.includes('SELECT name FROM courses;') ?? false);
    const text = page.dom.textContent ?? '';
    expect(text).toContain('什么是数据库');
    expect(text).toContain('按结构组织');
    expect(text).not.toContain('**');
    expect(page.dom.innerHTML).toContain('md-list-item');
  });

  test('course page renders description Markdown', async () => {
    const page = simulator.openPage('packages/course/detail/index', {
      id: '65a000000000000000000001',
    });
    await waitFor(() => page.dom.textContent?.includes('循序渐进') ?? false);
    const text = page.dom.textContent ?? '';
    expect(text).toContain('关系型数据库 bustub。');
    expect(text).not.toContain('](');
    expect(text).not.toContain('`');
    expect(page.dom.innerHTML).toContain('md-link');
  });

  test('my hours page renders and switches years', async () => {
    // miniprogram-simulate loads a page's code once per file, so one test opens the page once.
    const year = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();
    const page = simulator.openPage('packages/me/hours/index', { year: String(year) });
    await waitFor(() => page.dom.textContent?.includes('学时记录') ?? false);
    const text = page.dom.textContent ?? '';
    expect(text).toContain(`${year}年`);
    expect(text).toContain('已获学时4.0');
    expect(text).toContain('绑定员工身份后显示');
    expect(text).toContain('学习时长 4小时30分（不等于学时）');
    expect(text).toContain('完成后计 4.0 学时');
    expect(text).toContain('未设置学时');
    expect(text).toContain('平台学习');
    expect(page.querySelectorAll('.course-hours-item')).toHaveLength(3);

    const opened = simulator.navigations.length;
    page.querySelector('.course-hours-item')?.dispatchEvent('tap');
    await waitFor(() => simulator.navigations.length > opened);
    expect(simulator.navigations.at(-1)).toBe(
      '/packages/course/detail/index?id=65a000000000000000000001',
    );

    page.querySelector('.binding-notice-button')?.dispatchEvent('tap');
    await waitFor(() => simulator.navigations.length > opened + 1);
    expect(simulator.navigations.at(-1)).toBe('/pages/me/index');

    page.querySelector('.year-arrow')?.dispatchEvent('tap');
    await waitFor(() => page.dom.textContent?.includes('没有学时记录') ?? false);
    expect(page.dom.textContent).toContain(`${year - 1}年`);
    expect(page.querySelectorAll('.record-item')).toHaveLength(0);
    expect(page.querySelectorAll('.course-hours-item')).toHaveLength(0);
  });

  test('passes miniprogram-ci code-quality checks', () => {
    const script = path.join(__dirname, 'code-quality.mjs');
    // Run without network where possible, so the check provably stays offline.
    const [command, args] = canIsolateNetwork()
      ? ['unshare', ['--net', process.execPath, script, repositoryDir]]
      : [process.execPath, [script, repositoryDir]];
    const run = spawnSync(command, args, { cwd: projectDir, encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const line = run.stdout.split('\n').find((item) => item.startsWith('CODE_QUALITY_RESULT '));
    expect(line).toBeDefined();
    const result = JSON.parse(line?.slice('CODE_QUALITY_RESULT '.length) ?? '{}') as {
      quality: { name: string; success: boolean; detail?: unknown }[];
      files: { path: string; size: number; subPackage: string | null }[];
    };
    for (const check of result.quality) {
      expect(check.success, `${check.name}: ${JSON.stringify(check.detail ?? {})}`).toBe(true);
    }
    const sizeCheck = result.quality.find((check) => check.name === 'PACKAGE_SIZE_LIMIT');
    console.info('miniprogram-ci package sizes (bytes)', sizeCheck?.detail);
    const mainFiles = result.files.filter((file) => file.subPackage === null);
    expect(mainFiles.some((file) => file.path === 'app.js')).toBe(true);
  });
});
