// Handoff answers on the official account that miss the 48-hour customer-service window: the
// operator sees them, and they are sent once when the learner writes again.
import type { ApiErrorBody, HandoffListResponse, HandoffView } from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandoffModel, type Handoff } from '../src/modules/assistant/handoff.model.js';
import { SERVICE_WINDOW_MS } from '../src/modules/official-account/customer-service.js';
import { seedOperator } from './assistant-support.js';
import { createOrgPath } from './builders.js';
import { startTestServer, type TestServer } from './harness.js';
import {
  OFFICIAL_ACCOUNT_OVERRIDES,
  configureWebhook,
  customMessages,
  deliver,
} from './official-account-support.js';

const OPENID = 'oHandoffFollower00000000001';
const ANSWER = '证书会在下周统一发放。';

let server: TestServer;
let operatorToken: string;
/** How far the server clock is ahead of the real one. It follows the sandbox clock. */
let clockOffsetMs = 0;

beforeAll(async () => {
  server = await startTestServer(OFFICIAL_ACCOUNT_OVERRIDES);
  server.deps.now = () => new Date(Date.now() + clockOffsetMs);
  await configureWebhook(server);

  const unit = await createOrgPath('oa-handoff');
  operatorToken = await seedOperator(server, 'oa-handoff-operator', 'OP101', '欧运营', unit);
});

afterAll(async () => {
  await server?.close();
});

function admin<T>(method: string, path: string, body?: unknown) {
  return server.request<T>(method, `/api/admin/assistant${path}`, { token: operatorToken, body });
}

/** Moves the sandbox clock and the server clock forward together. */
async function advanceClocks(ms: number): Promise<void> {
  const response = await fetch(`${server.sandbox.url}/sandbox/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advanceMs: ms }),
  });
  if (response.status !== 200) throw new Error(`advancing the sandbox clock failed`);
  clockOffsetMs += ms;
}

/** Polls the handoff until `done` returns true or 5 seconds pass, and returns its last state. */
async function waitForHandoff(id: string, done: (handoff: Handoff) => boolean): Promise<Handoff> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const handoff = await HandoffModel.findById(id).orFail().lean<Handoff>();
    if (done(handoff) || Date.now() >= deadline) return handoff;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('official-account handoff outside the window', () => {
  it('delivers the answer once when the learner writes again', async () => {
    await deliver(server, {
      openid: OPENID,
      message: { type: 'text', content: '我的证书什么时候能发下来' },
    });
    await deliver(server, { openid: OPENID, message: { type: 'text', content: '转人工' } });
    const queued = await HandoffModel.findOne({ senderId: OPENID }).orFail().lean<Handoff>();
    const id = queued._id.toHexString();

    await advanceClocks(SERVICE_WINDOW_MS + 60 * 60_000);
    const answered = await admin<HandoffView>('POST', `/handoffs/${id}/answer`, { answer: ANSWER });
    expect(answered.status).toBe(200);
    expect(answered.body.state).toBe('delivery_failed');
    expect(answered.body.deliveryError).toContain('45015');
    expect(answered.body.redeliveryPending).toBe(true);

    const failed = await admin<HandoffListResponse>('GET', '/handoffs?state=delivery_failed');
    const listed = failed.body.items.find((item) => item.id === id);
    expect(listed?.redeliveryPending).toBe(true);
    const again = await admin<ApiErrorBody>('POST', `/handoffs/${id}/answer`, { answer: ANSWER });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain('sent again when the learner next writes');

    // Two messages at once reopen the window, and the answer still goes out once.
    await Promise.all([
      deliver(server, { openid: OPENID, message: { type: 'text', content: '在吗' } }),
      deliver(server, { openid: OPENID, message: { type: 'text', content: '有人吗' } }),
    ]);
    const delivered = await waitForHandoff(id, (handoff) => handoff.state === 'delivered');
    expect(delivered.state).toBe('delivered');
    expect(delivered.redeliveryAttempts).toBe(1);

    const sent = (await customMessages(server)).filter(
      (message) => message.touser === OPENID && message.content?.includes(ANSWER),
    );
    expect(sent.map((message) => message.errcode)).toEqual([45015, 0]);
    const view = await admin<HandoffListResponse>('GET', '/handoffs?state=delivered');
    expect(view.body.items.find((item) => item.id === id)?.redeliveryPending).toBe(false);

    await deliver(server, { openid: OPENID, message: { type: 'text', content: '谢谢' } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const afterThanks = (await customMessages(server)).filter(
      (message) => message.touser === OPENID && message.content?.includes(ANSWER),
    );
    expect(afterThanks).toHaveLength(2);
  });
});
