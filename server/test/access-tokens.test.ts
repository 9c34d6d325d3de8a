import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createSandbox } from '@wxlearn/scripts/sandbox/app.js';
import { ACCESS_TOKEN_TTL_MS, TOKEN_OVERLAP_MS } from '@wxlearn/scripts/sandbox/token.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AccessTokenStore,
  type AccessTokenStoreOptions,
} from '../src/wechat/access-token-store.js';
import { AccessTokenLeaseModel, AccessTokenModel } from '../src/wechat/access-token.model.js';
import { WechatApiError, WechatClient, WechatTransportError } from '../src/wechat/api-client.js';
import { callWithToken } from '../src/wechat/call-with-token.js';
import { startTestServer, TEST_APP_ID, TEST_APP_SECRET, type TestServer } from './harness.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

beforeEach(async () => {
  server.sandbox.reset();
  await AccessTokenModel.deleteMany({});
  await AccessTokenLeaseModel.deleteMany({});
});

function newStore(options: Partial<AccessTokenStoreOptions> = {}): AccessTokenStore {
  return new AccessTokenStore({
    wechat: server.deps.wechat,
    apps: [{ appId: TEST_APP_ID, appSecret: TEST_APP_SECRET }],
    logger: server.deps.logger,
    ...options,
  });
}

function stableTokenCalls(): number {
  return server.sandbox.callCounts().stable_token;
}

async function setStableTokenBehaviour(patch: {
  delayMs?: number;
  errcode?: -1 | 45009 | null;
}): Promise<void> {
  const response = await fetch(`${server.sandbox.url}/sandbox/stable-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
  if (response.status !== 200) {
    throw new Error(`setting the stable_token behaviour failed: ${await response.text()}`);
  }
}

/** Force refreshes that issued a new token in the sandbox, for the test app. */
async function forceRefreshesIssued(): Promise<number> {
  const response = await fetch(`${server.sandbox.url}/sandbox/stable-token`);
  const body = (await response.json()) as { forceRefreshesIssued: Record<string, number> };
  return body.forceRefreshesIssued[TEST_APP_ID] ?? 0;
}

/** Force-refreshes the test app's token directly at the sandbox, as another WeChat client would. */
async function forceRefreshElsewhere(): Promise<string> {
  const response = await fetch(`${server.sandbox.url}/cgi-bin/stable_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credential',
      appid: TEST_APP_ID,
      secret: TEST_APP_SECRET,
      force_refresh: true,
    }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (body.access_token === undefined) throw new Error('force refresh at the sandbox failed');
  return body.access_token;
}

/** Calls getcallbackip, the simplest WeChat API that checks the access token. */
async function getCallbackIp(accessToken: string): Promise<string[]> {
  const response = await fetch(
    `${server.sandbox.url}/cgi-bin/getcallbackip?access_token=${encodeURIComponent(accessToken)}`,
  );
  const body = (await response.json()) as { errcode?: number; errmsg?: string; ip_list?: string[] };
  if (body.errcode !== undefined && body.errcode !== 0) {
    throw new WechatApiError('getcallbackip', body.errcode, body.errmsg ?? '');
  }
  return body.ip_list ?? [];
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

describe('access token get', () => {
  it('fetches once for 20 concurrent gets', async () => {
    const tokens = await Promise.all(
      Array.from({ length: 20 }, () => server.deps.accessTokens.get(TEST_APP_ID)),
    );
    const later = await server.deps.accessTokens.get(TEST_APP_ID);

    expect(stableTokenCalls()).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(later).toBe(tokens[0]);
    expect(server.sandbox.isAccessTokenValid(later)).toBe(true);
  });

  it('fetches once for stores sharing the database', async () => {
    await setStableTokenBehaviour({ delayMs: 300 });
    const stores = Array.from({ length: 4 }, () => newStore());

    const tokens = await Promise.all(
      stores.flatMap((store) => Array.from({ length: 5 }, () => store.get(TEST_APP_ID))),
    );

    expect(stableTokenCalls()).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(await AccessTokenLeaseModel.countDocuments({})).toBe(0);
  });

  it('fetches once for two processes started together', async () => {
    await setStableTokenBehaviour({ delayMs: 300 });
    const workerPath = fileURLToPath(new URL('./support/access-token-worker.ts', import.meta.url));
    const environment = {
      ...process.env,
      MONGODB_URI: server.deps.config.MONGODB_URI,
      WECHAT_API_BASE_URL: server.sandbox.url,
      WECHAT_APP_ID: TEST_APP_ID,
      WECHAT_APP_SECRET: TEST_APP_SECRET,
      GET_COUNT: '10',
    };
    const workers = [0, 1].map(() => {
      const child = spawn(process.execPath, ['--import', 'tsx', workerPath], {
        env: environment,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      return { child, lines, exited, stderr: () => stderr };
    });

    try {
      for (const worker of workers) {
        const ready = await worker.lines.next();
        expect(ready.value, worker.stderr()).toBe('ready');
      }
      for (const worker of workers) worker.child.stdin.write('go\n');
      const results = await Promise.all(
        workers.map(async (worker) => {
          const line = await worker.lines.next();
          expect(await worker.exited, worker.stderr()).toBe(0);
          return JSON.parse(String(line.value)) as { tokens: string[] };
        }),
      );

      const tokens = results.flatMap((result) => result.tokens);
      expect(stableTokenCalls()).toBe(1);
      expect(results[0]!.tokens).toHaveLength(10);
      expect(results[1]!.tokens).toHaveLength(10);
      expect(new Set(tokens).size).toBe(1);
      expect(server.sandbox.isAccessTokenValid(tokens[0]!)).toBe(true);
    } finally {
      for (const worker of workers) worker.child.kill();
    }
  });

  it('fetches once near expiry without a force refresh', async () => {
    let offsetMs = 0;
    const now = () => Date.now() + offsetMs;
    const stores = Array.from({ length: 3 }, () => newStore({ now }));
    const oldToken = await stores[0]!.get(TEST_APP_ID);
    // 299 seconds before the old token expires: inside the 5-minute refresh margin.
    const advanceMs = ACCESS_TOKEN_TTL_MS - TOKEN_OVERLAP_MS + 1_000;
    server.sandbox.advanceClock(advanceMs);
    offsetMs += advanceMs;

    const tokens = await Promise.all(
      stores.flatMap((store) => Array.from({ length: 5 }, () => store.get(TEST_APP_ID))),
    );

    expect(stableTokenCalls()).toBe(2);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(oldToken);
    expect(await forceRefreshesIssued()).toBe(0);
    // A normal-mode fetch leaves the old token valid until it expires, so other holders keep working.
    expect(server.sandbox.accessTokenErrcode(oldToken)).toBeNull();
    const stored = await AccessTokenModel.findOne({ appId: TEST_APP_ID }).lean();
    expect(stored?.expiresAt.getTime()).toBeGreaterThan(now() + 7_100_000);
  });

  it('keeps a separate token per app', async () => {
    const officialAccount = {
      appId: 'wxtestofficial001',
      appSecret: 'test-official-account-secret',
    };
    const sandbox = createSandbox({
      appId: TEST_APP_ID,
      appSecret: TEST_APP_SECRET,
      otherApps: [officialAccount],
    });
    const running = await sandbox.listen(0, '127.0.0.1');
    try {
      const store = newStore({
        wechat: new WechatClient({
          baseUrl: running.url,
          appId: TEST_APP_ID,
          appSecret: TEST_APP_SECRET,
          timeoutMs: 5_000,
          logger: server.deps.logger,
        }),
        apps: [{ appId: TEST_APP_ID, appSecret: TEST_APP_SECRET }, officialAccount],
      });

      const [miniProgramToken, officialAccountToken] = await Promise.all([
        store.get(TEST_APP_ID),
        store.get(officialAccount.appId),
      ]);

      expect(miniProgramToken).not.toBe(officialAccountToken);
      expect(sandbox.callCounts().stable_token).toBe(2);
      expect(await AccessTokenModel.countDocuments({})).toBe(2);
      expect(await store.get(officialAccount.appId)).toBe(officialAccountToken);
    } finally {
      await running.close();
    }
  });

  it('rejects an app without a configured secret', async () => {
    const error = await rejectionOf(newStore().get('wxunknownapp00001'));

    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toContain('no secret configured for WeChat app wxunknownapp00001');
    expect(stableTokenCalls()).toBe(0);
  });
});

describe('access token invalidate', () => {
  it('force-refreshes once for concurrent invalidations', async () => {
    const stores = [newStore(), newStore()];
    const oldToken = await stores[0]!.get(TEST_APP_ID);
    await setStableTokenBehaviour({ delayMs: 300 });

    await Promise.all(
      stores.flatMap((store) => [
        store.invalidate(TEST_APP_ID, oldToken),
        store.invalidate(TEST_APP_ID, oldToken),
      ]),
    );
    const newToken = await stores[1]!.get(TEST_APP_ID);

    expect(stableTokenCalls()).toBe(2);
    expect(await forceRefreshesIssued()).toBe(1);
    expect(newToken).not.toBe(oldToken);
    expect(server.sandbox.isAccessTokenValid(newToken)).toBe(true);
  });

  it('ignores a token that was already replaced', async () => {
    const store = newStore();
    const oldToken = await store.get(TEST_APP_ID);
    await store.invalidate(TEST_APP_ID, oldToken);

    await store.invalidate(TEST_APP_ID, oldToken);

    expect(stableTokenCalls()).toBe(2);
    expect(await forceRefreshesIssued()).toBe(1);
  });
});

describe('callWithToken', () => {
  it('retries once with a new token after 40001', async () => {
    const stores = [newStore(), newStore()];
    const revoked = await stores[0]!.get(TEST_APP_ID);
    // Two force refreshes 30 seconds apart make the earlier token invalid at once (errcode 40001).
    await forceRefreshElsewhere();
    server.sandbox.advanceClock(30_000);
    const latest = await forceRefreshElsewhere();
    const callsBefore = stableTokenCalls();
    const callers = 6;
    const usedTokens: string[] = [];
    // Every caller's first attempt waits until all callers hold a token, so that all six start
    // with the revoked token and both stores invalidate it at the same time.
    let releaseFirstAttempts!: () => void;
    const allHoldTokens = new Promise<void>((resolve) => (releaseFirstAttempts = resolve));
    const callCallbackIp = async (accessToken: string) => {
      usedTokens.push(accessToken);
      if (usedTokens.length === callers) releaseFirstAttempts();
      await allHoldTokens;
      return getCallbackIp(accessToken);
    };

    const results = await Promise.all(
      stores.flatMap((store) =>
        Array.from({ length: callers / 2 }, () =>
          callWithToken(store, TEST_APP_ID, callCallbackIp),
        ),
      ),
    );

    for (const result of results) expect(result).toEqual(['127.0.0.1']);
    expect(usedTokens.slice(0, callers)).toEqual(Array(callers).fill(revoked));
    expect(usedTokens.slice(callers)).toEqual(Array(callers).fill(latest));
    // One force refresh for six callers. It came within 30 seconds of the last one, so WeChat
    // returned the latest token instead of issuing another.
    expect(stableTokenCalls() - callsBefore).toBe(1);
  });

  it('gives up after a second rejection', async () => {
    let attempts = 0;

    const error = await rejectionOf(
      callWithToken(newStore(), TEST_APP_ID, async () => {
        attempts += 1;
        throw new WechatApiError('getcallbackip', 40001, 'invalid credential');
      }),
    );

    expect(error).toBeInstanceOf(WechatApiError);
    expect((error as WechatApiError).errcode).toBe(40001);
    expect(attempts).toBe(2);
  });

  it('passes other WeChat errors through without a refresh', async () => {
    let attempts = 0;

    const error = await rejectionOf(
      callWithToken(newStore(), TEST_APP_ID, async () => {
        attempts += 1;
        throw new WechatApiError('getcallbackip', 45011, 'api minute-quota reach limit');
      }),
    );

    expect((error as WechatApiError).errcode).toBe(45011);
    expect(attempts).toBe(1);
    expect(stableTokenCalls()).toBe(1);
  });
});

describe('access token fetch failures', () => {
  it('releases the lease after a WeChat error', async () => {
    const store = newStore();
    await setStableTokenBehaviour({ errcode: -1 });

    const error = await rejectionOf(store.get(TEST_APP_ID));
    const leasesAfterError = await AccessTokenLeaseModel.countDocuments({});
    await setStableTokenBehaviour({ errcode: null });
    const startedAt = performance.now();
    const token = await store.get(TEST_APP_ID);

    expect(error).toBeInstanceOf(WechatApiError);
    expect((error as WechatApiError).errcode).toBe(-1);
    expect(leasesAfterError).toBe(0);
    expect(stableTokenCalls()).toBe(2);
    expect(performance.now() - startedAt).toBeLessThan(2_000);
    expect(server.sandbox.isAccessTokenValid(token)).toBe(true);
  });

  it('releases the lease after a timeout', async () => {
    const store = newStore({
      wechat: new WechatClient({
        baseUrl: server.sandbox.url,
        appId: TEST_APP_ID,
        appSecret: TEST_APP_SECRET,
        timeoutMs: 200,
        logger: server.deps.logger,
      }),
    });
    await setStableTokenBehaviour({ delayMs: 1_000 });

    const error = await rejectionOf(store.get(TEST_APP_ID));

    expect(error).toBeInstanceOf(WechatTransportError);
    expect(await AccessTokenLeaseModel.countDocuments({})).toBe(0);
  });

  it('takes over the expired lease of a stopped copy', async () => {
    await AccessTokenLeaseModel.create({
      appId: TEST_APP_ID,
      owner: 'stopped-copy',
      leaseUntil: new Date(Date.now() + 500),
    });
    const startedAt = performance.now();

    const token = await newStore({ leaseMs: 2_000 }).get(TEST_APP_ID);

    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(400);
    expect(stableTokenCalls()).toBe(1);
    expect(server.sandbox.isAccessTokenValid(token)).toBe(true);
    expect(await AccessTokenLeaseModel.countDocuments({})).toBe(0);
  });

  it('times out while another copy holds the lease', async () => {
    await AccessTokenLeaseModel.create({
      appId: TEST_APP_ID,
      owner: 'busy-copy',
      leaseUntil: new Date(Date.now() + 60_000),
    });

    const error = await rejectionOf(newStore({ leaseMs: 300 }).get(TEST_APP_ID));

    expect(error).toBeInstanceOf(WechatTransportError);
    expect(String(error)).toContain('after waiting 300 ms');
    expect(stableTokenCalls()).toBe(0);
  });

  it('never logs the token or the secret', async () => {
    const store = newStore();
    const logStart = server.logLines.length;
    const oldToken = await store.get(TEST_APP_ID);
    await store.invalidate(TEST_APP_ID, oldToken);
    const newToken = await store.get(TEST_APP_ID);

    const lines = server.logLines.slice(logStart);
    expect(lines.some((line) => line.includes('access token fetched'))).toBe(true);
    for (const line of lines) {
      expect(line).not.toContain(oldToken);
      expect(line).not.toContain(newToken);
      expect(line).not.toContain(TEST_APP_SECRET);
    }
  });
});
