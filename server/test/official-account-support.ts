// Helpers for the official-account tests: configuration, a minimal access-token source, and the
// sandbox's webhook delivery.
import type { AccessTokenSource } from '../src/wechat/access-token-source.js';
import { WEBHOOK_PATH } from '../src/modules/official-account/official-account.routes.js';
import { TEST_OA_APP_ID, TEST_OA_APP_SECRET, type TestServer } from './harness.js';

export const TEST_OA_TOKEN = 'wxlearnTestToken1';
export const TEST_OA_AES_KEY = 'wxlearnTestEncodingAesKey0123456789abcdefgh';

/** Configuration overrides that switch the official account on. */
export const OFFICIAL_ACCOUNT_OVERRIDES = {
  WECHAT_OA_APP_ID: TEST_OA_APP_ID,
  WECHAT_OA_APP_SECRET: TEST_OA_APP_SECRET,
  WECHAT_OA_TOKEN: TEST_OA_TOKEN,
  WECHAT_OA_ENCODING_AES_KEY: TEST_OA_AES_KEY,
};

/**
 * An access-token source that calls the sandbox's stable_token directly and keeps the token in
 * memory. Tests use it to exercise the client without the shared database-backed store.
 * `initialToken` makes the first `get` return a stale token, to test the 40001 retry.
 */
export class SandboxTokenSource implements AccessTokenSource {
  readonly invalidated: string[] = [];
  private token: string | null;

  constructor(
    private readonly sandboxUrl: string,
    private readonly secret: string,
    initialToken: string | null = null,
  ) {
    this.token = initialToken;
  }

  async get(appId: string): Promise<string> {
    this.token ??= await this.fetch(appId, false);
    return this.token;
  }

  async invalidate(appId: string, token: string): Promise<void> {
    this.invalidated.push(token);
    if (this.token === token) this.token = await this.fetch(appId, true);
  }

  private async fetch(appId: string, forceRefresh: boolean): Promise<string> {
    const response = await fetch(new URL('/cgi-bin/stable_token', this.sandboxUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credential',
        appid: appId,
        secret: this.secret,
        force_refresh: forceRefresh,
      }),
    });
    const body = (await response.json()) as { access_token?: string; errcode?: number };
    if (typeof body.access_token !== 'string') {
      throw new Error(`sandbox stable_token failed with errcode ${String(body.errcode)}`);
    }
    return body.access_token;
  }
}

export interface DeliveryAttempt {
  status: number | null;
  body: string;
  durationMs: number;
  timedOut: boolean;
  reply: { kind: 'none' } | { kind: 'xml'; xml: string } | { kind: 'invalid'; problem: string };
}

export interface DeliverOutcome {
  xml: string;
  msgId: string | null;
  createTime: number;
  attempts: DeliveryAttempt[];
}

/** Points the sandbox's official-account webhook at `url` (the test server's by default). */
export async function configureWebhook(server: TestServer, url = server.url): Promise<void> {
  const response = await fetch(`${server.sandbox.url}/sandbox/official-account/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      url: `${url}${WEBHOOK_PATH}`,
      token: TEST_OA_TOKEN,
      encodingAesKey: TEST_OA_AES_KEY,
      appId: TEST_OA_APP_ID,
    }),
  });
  if (response.status !== 200) {
    throw new Error(`configuring the sandbox webhook failed: ${await response.text()}`);
  }
}

/** Asks the sandbox to deliver a message or event to the webhook; see its deliver schema. */
export async function deliver(
  server: TestServer,
  request: Record<string, unknown>,
): Promise<DeliverOutcome> {
  const response = await fetch(`${server.sandbox.url}/sandbox/official-account/deliver`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`sandbox delivery failed: ${text}`);
  return JSON.parse(text) as DeliverOutcome;
}

/** Returns the Content of a text reply, or null when the attempt got no XML reply. */
export function replyContent(attempt: DeliveryAttempt | undefined): string | null {
  if (attempt?.reply.kind !== 'xml') return null;
  const match = /<Content><!\[CDATA\[([\s\S]*?)\]\]><\/Content>/.exec(attempt.reply.xml);
  return match?.[1] ?? null;
}

/** Returns the customer-service messages that reached the sandbox. */
export async function customMessages(
  server: TestServer,
): Promise<Array<{ touser: string; content: string | null; errcode: number }>> {
  const response = await fetch(`${server.sandbox.url}/sandbox/official-account/custom-messages`);
  const body = (await response.json()) as {
    messages: Array<{ touser: string; content: string | null; errcode: number }>;
  };
  return body.messages;
}
