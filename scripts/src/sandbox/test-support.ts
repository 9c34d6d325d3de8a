// Helpers for the sandbox's own tests: an in-process sandbox on 127.0.0.1 with a clock that
// only moves when a test advances it.
import { createSandbox, type Sandbox } from './app.js';

export const TEST_APP_ID = 'wx0123456789abcdef';
export const TEST_APP_SECRET = 'fedcba9876543210fedcba9876543210';
export const TEST_OFFICIAL_ACCOUNT = {
  appId: 'wxfedcba9876543210',
  appSecret: '00112233445566778899aabbccddeeff',
};

/** Start of the test clock: 2025-01-06 10:00 China Standard Time. */
const TEST_CLOCK_START_MS = Date.UTC(2025, 0, 6, 2, 0, 0);

export interface TestSandbox {
  sandbox: Sandbox;
  url: string;
  /** Moves the sandbox's injected clock forward. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function startTestSandbox(): Promise<TestSandbox> {
  let nowMs = TEST_CLOCK_START_MS;
  const sandbox = createSandbox({
    appId: TEST_APP_ID,
    appSecret: TEST_APP_SECRET,
    otherApps: [TEST_OFFICIAL_ACCOUNT],
    now: () => nowMs,
  });
  const running = await sandbox.listen(0, '127.0.0.1');
  return {
    sandbox,
    url: running.url,
    advance: (ms) => {
      nowMs += ms;
    },
    close: running.close,
  };
}

export interface JsonResponse {
  status: number;
  contentType: string | null;
  body: Record<string, unknown>;
}

export async function requestJson(url: string, init?: RequestInit): Promise<JsonResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

export async function postJson(url: string, body: unknown): Promise<JsonResponse> {
  return requestJson(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
