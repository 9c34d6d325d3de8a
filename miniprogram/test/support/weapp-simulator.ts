// Runs pages of the real weapp build (dist/weapp) under jsdom with miniprogram-simulate. That tool
// renders custom components only, so this file supplies what the WeChat client would: the
// globals App, getApp, getCurrentPages and Page (mapped onto Component), and the few `wx` APIs the
// app calls. `wx.request` and `wx.login` go to a test server, so the pages load real data.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The parts of a j-component instance (miniprogram-simulate's render result) used by tests. */
export interface SimulatedComponent {
  dom: HTMLElement;
  attach(parent: Element): void;
  detach(): void;
  querySelector(selector: string): SimulatedComponent | null;
  querySelectorAll(selector: string): SimulatedComponent[];
  dispatchEvent(eventName: string, options?: Record<string, unknown>): void;
}

interface Simulate {
  load(componentPath: string, options: { rootPath: string }): string;
  render(id: string, properties?: Record<string, unknown>): SimulatedComponent;
}

interface WxCallbacks {
  success?: (result: unknown) => void;
  fail?: (error: unknown) => void;
  complete?: (result: unknown) => void;
}

interface RequestOptions extends WxCallbacks {
  url: string;
  method?: string;
  header?: Record<string, string>;
  data?: unknown;
}

type PageOptions = Record<string, unknown> & { data?: Record<string, unknown> };

interface PageInstance {
  route: string;
  onLoad(query: Record<string, string>): void;
  onShow(): void;
  onReady(): void;
  onUnload(): void;
}

export interface WeappSimulator {
  /** URLs the app asked to open with navigateTo, redirectTo, switchTab or reLaunch. */
  navigations: string[];
  /** Loads, renders and attaches a page, as WeChat does when the page is opened. */
  openPage(route: string, query?: Record<string, string>): SimulatedComponent;
}

function succeed(options: WxCallbacks, result: Record<string, unknown>): Promise<unknown> {
  options.success?.(result);
  options.complete?.(result);
  return Promise.resolve(result);
}

/**
 * Installs the mini-program globals for one test file.
 *
 * @param distDir folder of the weapp build
 * @param buildApiOrigin the `API_BASE_URL` the build was made with
 * @param apiOrigin where requests to `buildApiOrigin` are sent instead
 */
export function installWeappSimulator(
  distDir: string,
  buildApiOrigin: string,
  apiOrigin: string,
): WeappSimulator {
  const globals = globalThis as unknown as Record<string, unknown>;
  const storage = new Map<string, unknown>();
  const navigations: string[] = [];
  const pages: PageInstance[] = [];
  let nextRoute = '';
  let nextQuery: Record<string, string> = {};
  let appOptions: Record<string, unknown> | null = null;

  const navigate = (options: WxCallbacks & { url: string }) => {
    navigations.push(options.url);
    return succeed(options, { errMsg: 'navigateTo:ok' });
  };

  globals.wx = {
    request(options: RequestOptions) {
      const url = options.url.replace(buildApiOrigin, apiOrigin);
      const body = typeof options.data === 'string' ? options.data : undefined;
      fetch(url, { method: options.method ?? 'GET', headers: options.header, body })
        .then(async (response) => {
          const text = await response.text();
          let data: unknown = text;
          try {
            data = JSON.parse(text) as unknown;
          } catch {
            // not JSON: WeChat passes the text on as it is
          }
          void succeed(options, {
            statusCode: response.status,
            data,
            header: {},
            errMsg: 'request:ok',
          });
        })
        .catch((error: unknown) => {
          options.fail?.({ errMsg: `request:fail ${String(error)}` });
        });
      return { abort: () => undefined };
    },
    login(options: WxCallbacks) {
      // The test server's development endpoint issues the code in place of WeChat.
      fetch(`${apiOrigin}/api/dev/login-code`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ learner: 'weapp-learner' }),
      })
        .then((response) => response.json() as Promise<{ code: string }>)
        .then((body) => succeed(options, { code: body.code, errMsg: 'login:ok' }))
        .catch((error: unknown) => options.fail?.({ errMsg: `login:fail ${String(error)}` }));
    },
    getStorageSync: (key: string) => storage.get(key) ?? '',
    setStorageSync: (key: string, value: unknown) => void storage.set(key, value),
    removeStorageSync: (key: string) => void storage.delete(key),
    navigateTo: navigate,
    redirectTo: navigate,
    switchTab: navigate,
    reLaunch: navigate,
    showToast: (options: WxCallbacks) => succeed(options, { errMsg: 'showToast:ok' }),
    showModal: (options: WxCallbacks) => succeed(options, { confirm: true, cancel: false }),
    setClipboardData: (options: WxCallbacks) => succeed(options, { errMsg: 'setClipboardData:ok' }),
    setNavigationBarTitle: (options: WxCallbacks) => succeed(options, { errMsg: 'ok' }),
  };
  globals.App = (options: Record<string, unknown>) => {
    appOptions = options;
  };
  globals.getApp = () => appOptions;
  globals.getCurrentPages = () => pages;

  // miniprogram-simulate defines the global Component when it is first required.
  const simulate = require('miniprogram-simulate') as Simulate;
  const component = globals.Component as (definition: Record<string, unknown>) => void;

  globals.Page = (options: PageOptions) => {
    const methods: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(options)) {
      if (typeof value === 'function') methods[key] = value;
    }
    const route = nextRoute;
    const query = nextQuery;
    component({
      data: options.data ?? {},
      methods,
      lifetimes: {
        attached(this: PageInstance) {
          this.route = route;
          pages.push(this);
          this.onLoad(query);
          this.onShow();
        },
        ready(this: PageInstance) {
          this.onReady();
        },
        detached(this: PageInstance) {
          this.onUnload();
          pages.splice(pages.indexOf(this), 1);
        },
      },
    });
  };

  require(path.join(distDir, 'app.js'));
  if (!appOptions) throw new Error('app.js did not call App()');
  const launch = (appOptions as { onLaunch?: (options: unknown) => void }).onLaunch;
  launch?.call(appOptions, { path: 'pages/index/index', query: {}, scene: 1001 });

  return {
    navigations,
    openPage(route, query = {}) {
      nextRoute = route;
      nextQuery = query;
      const id = simulate.load(path.join(distDir, route), { rootPath: distDir });
      const page = simulate.render(id);
      page.attach(document.createElement('parent-wrapper'));
      return page;
    },
  };
}

/** Waits until `check` returns true, polling every 20 ms. */
export async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
