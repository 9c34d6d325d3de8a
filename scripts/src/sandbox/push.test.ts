import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_MSG_ID_WINDOW_MS } from './push.js';
import {
  postJson,
  requestJson,
  startTestSandbox,
  TEST_APP_ID,
  TEST_APP_SECRET,
  TEST_OFFICIAL_ACCOUNT,
  type JsonResponse,
  type TestSandbox,
} from './test-support.js';

const TEMPLATE_ID = 'weeklyCourseTemplate01';
const FOLLOWER = 'oFollower000000000000000001';
const LEARNER = 'oLearner0000000000000000001';

let harness: TestSandbox;
let officialAccountToken: string;
let miniProgramToken: string;

async function tokenOf(appId: string, secret: string): Promise<string> {
  const response = await postJson(`${harness.url}/cgi-bin/stable_token`, {
    grant_type: 'client_credential',
    appid: appId,
    secret,
  });
  return String(response.body.access_token);
}

function sendTemplate(body: unknown, token = officialAccountToken): Promise<JsonResponse> {
  return postJson(`${harness.url}/cgi-bin/message/template/send?access_token=${token}`, body);
}

function sendSubscribe(body: unknown, token = miniProgramToken): Promise<JsonResponse> {
  return postJson(`${harness.url}/cgi-bin/message/subscribe/send?access_token=${token}`, body);
}

function templateBody(overrides: Record<string, unknown> = {}) {
  return {
    touser: FOLLOWER,
    template_id: TEMPLATE_ID,
    miniprogram: { appid: TEST_APP_ID, pagepath: 'packages/course/detail/index?id=1' },
    data: { thing1: { value: '数据库系统概论' }, thing2: { value: '本周热门' } },
    ...overrides,
  };
}

function subscribeBody(overrides: Record<string, unknown> = {}) {
  return {
    touser: LEARNER,
    template_id: TEMPLATE_ID,
    page: 'packages/course/detail/index?id=1',
    data: { thing1: { value: '数据库系统概论' }, thing2: { value: '本周热门' } },
    ...overrides,
  };
}

async function summary() {
  return (await requestJson(`${harness.url}/sandbox/push/summary`)).body as {
    template: Record<string, unknown>;
    subscribe: Record<string, unknown>;
  };
}

beforeEach(async () => {
  harness = await startTestSandbox();
  officialAccountToken = await tokenOf(
    TEST_OFFICIAL_ACCOUNT.appId,
    TEST_OFFICIAL_ACCOUNT.appSecret,
  );
  miniProgramToken = await tokenOf(TEST_APP_ID, TEST_APP_SECRET);
  const followers = await postJson(`${harness.url}/sandbox/push/followers`, {
    appId: TEST_OFFICIAL_ACCOUNT.appId,
    openids: [FOLLOWER],
  });
  expect(followers.status).toBe(200);
});

afterEach(async () => {
  await harness.close();
});

describe('template message', () => {
  it('delivers to a follower and records it', async () => {
    const response = await sendTemplate(templateBody({ client_msg_id: 'delivery-1' }));
    expect(response.body.errcode).toBe(0);
    expect(typeof response.body.msgid).toBe('number');

    const listed = await requestJson(
      `${harness.url}/sandbox/push/template-messages?touser=${FOLLOWER}`,
    );
    const messages = listed.body.messages as Record<string, unknown>[];
    expect(messages).toHaveLength(1);
    expect(messages[0]?.templateId).toBe(TEMPLATE_ID);
    expect(messages[0]?.clientMsgId).toBe('delivery-1');
    expect(messages[0]?.violations).toEqual([]);
    expect(messages[0]?.data).toEqual({ thing1: '数据库系统概论', thing2: '本周热门' });
  });

  it('rejects an unknown openid with 40003', async () => {
    const response = await sendTemplate(templateBody({ touser: 'oNobody' }));
    expect(response.body.errcode).toBe(40003);
  });

  it('rejects a follower who unfollowed with 43004', async () => {
    await postJson(`${harness.url}/sandbox/push/followers`, {
      appId: TEST_OFFICIAL_ACCOUNT.appId,
      openids: [FOLLOWER],
      subscribed: false,
    });
    const response = await sendTemplate(templateBody());
    expect(response.body.errcode).toBe(43004);
  });

  it('rejects a mini-program access token with 48001', async () => {
    const response = await sendTemplate(templateBody(), miniProgramToken);
    expect(response.body.errcode).toBe(48001);
  });

  it('rejects a missing template id with 40037', async () => {
    const response = await sendTemplate(templateBody({ template_id: '' }));
    expect(response.body.errcode).toBe(40037);
  });

  it('rejects a mini-program that is not linked', async () => {
    const response = await sendTemplate(
      templateBody({ miniprogram: { appid: 'wxother', pagepath: 'pages/index/index' } }),
    );
    expect(response.body.errcode).toBe(40013);
  });

  it('sends one message per client_msg_id within 10 minutes', async () => {
    const first = await sendTemplate(templateBody({ client_msg_id: 'delivery-7' }));
    const repeat = await sendTemplate(templateBody({ client_msg_id: 'delivery-7' }));
    expect(repeat.body.errcode).toBe(0);
    expect(repeat.body.msgid).toBe(first.body.msgid);

    harness.advance(CLIENT_MSG_ID_WINDOW_MS);
    const late = await sendTemplate(templateBody({ client_msg_id: 'delivery-7' }));
    expect(late.body.msgid).not.toBe(first.body.msgid);

    const counts = await summary();
    expect(counts.template.accepted).toBe(2);
    expect(counts.template.duplicatesSuppressed).toBe(1);
    expect(counts.template.maxPerRecipient).toBe(2);
    expect(counts.template.recipientsWithDuplicates).toBe(1);
  });

  it('records content that WeChat drops since May 2023', async () => {
    await sendTemplate(
      templateBody({
        data: {
          first: { value: '你好' },
          thing1: { value: '一二三四五六七八九十一二三四五六七八九十一', color: '#173177' },
          thing2: { value: '热门\n课程🎉' },
        },
      }),
    );
    const listed = await requestJson(`${harness.url}/sandbox/push/template-messages`);
    const [message] = listed.body.messages as {
      violations: string[];
      data: Record<string, string>;
    }[];
    expect(message?.violations).toEqual([
      'first',
      'color:thing1',
      'too_long:thing1',
      'emoji:thing2',
      'line_break:thing2',
    ]);
    expect(message?.data.thing2).toBe('热门课程');
    expect(message?.data.first).toBeUndefined();
    expect((await summary()).template.messagesWithViolations).toBe(1);
  });
});

describe('subscription message', () => {
  it('uses one grant per message and then returns 43101', async () => {
    await postJson(`${harness.url}/sandbox/push/subscriptions`, {
      grants: [{ openid: LEARNER, templateId: TEMPLATE_ID }],
    });
    const first = await sendSubscribe(subscribeBody());
    const second = await sendSubscribe(subscribeBody());
    expect(first.body.errcode).toBe(0);
    expect(second.body.errcode).toBe(43101);

    const counts = await summary();
    expect(counts.subscribe.accepted).toBe(1);
    expect(counts.subscribe.rejected).toEqual({ '43101': 1 });
  });

  it('rejects a thing value over 20 characters with 47003', async () => {
    await postJson(`${harness.url}/sandbox/push/subscriptions`, {
      grants: [{ openid: LEARNER, templateId: TEMPLATE_ID }],
    });
    const response = await sendSubscribe(
      subscribeBody({ data: { thing1: { value: '一二三四五六七八九十一二三四五六七八九十一' } } }),
    );
    expect(response.body.errcode).toBe(47003);
    const remaining = await requestJson(
      `${harness.url}/sandbox/push/subscriptions?openid=${LEARNER}&templateId=${TEMPLATE_ID}`,
    );
    expect(remaining.body.remaining).toBe(1);
  });

  it('rejects a phrase that is not 1 to 5 Chinese characters', async () => {
    await postJson(`${harness.url}/sandbox/push/subscriptions`, {
      grants: [{ openid: LEARNER, templateId: TEMPLATE_ID }],
    });
    const response = await sendSubscribe(subscribeBody({ data: { phrase1: { value: 'ok' } } }));
    expect(response.body.errcode).toBe(47003);
  });

  it('rejects an official-account access token with 48001', async () => {
    const response = await sendSubscribe(subscribeBody(), officialAccountToken);
    expect(response.body.errcode).toBe(48001);
  });
});

describe('push faults', () => {
  it('fails the next calls with an injected errcode', async () => {
    const set = await postJson(`${harness.url}/sandbox/push/faults`, {
      endpoint: 'template_send',
      errors: [{ errcode: -1, count: 2 }],
    });
    expect(set.status).toBe(200);
    const results = [];
    for (let call = 0; call < 3; call++) {
      results.push((await sendTemplate(templateBody())).body.errcode);
    }
    expect(results).toEqual([-1, -1, 0]);
  });

  it('fails only the listed recipients', async () => {
    await postJson(`${harness.url}/sandbox/push/followers`, {
      appId: TEST_OFFICIAL_ACCOUNT.appId,
      openids: ['oOther'],
    });
    await postJson(`${harness.url}/sandbox/push/faults`, {
      endpoint: 'template_send',
      errors: [{ errcode: 43004, touser: ['oOther'] }],
    });
    expect((await sendTemplate(templateBody({ touser: 'oOther' }))).body.errcode).toBe(43004);
    expect((await sendTemplate(templateBody())).body.errcode).toBe(0);
  });

  it('delivers before a response delay', async () => {
    await postJson(`${harness.url}/sandbox/push/faults`, {
      endpoint: 'template_send',
      responseDelayMs: 500,
    });
    const timedOut = await fetch(
      `${harness.url}/cgi-bin/message/template/send?access_token=${officialAccountToken}`,
      {
        method: 'POST',
        body: JSON.stringify(templateBody()),
        signal: AbortSignal.timeout(100),
      },
    ).catch((error: unknown) => error);
    expect(timedOut).toBeInstanceOf(Error);
    expect((await summary()).template.accepted).toBe(1);
  });

  it('rejects an errcode the sandbox cannot simulate', async () => {
    const response = await postJson(`${harness.url}/sandbox/push/faults`, {
      endpoint: 'template_send',
      errors: [{ errcode: 12345 }],
    });
    expect(response.status).toBe(400);
  });

  it('clears faults on sandbox reset', async () => {
    await postJson(`${harness.url}/sandbox/push/faults`, {
      endpoint: 'template_send',
      errors: [{ errcode: -1 }],
    });
    await postJson(`${harness.url}/sandbox/reset`, {});
    officialAccountToken = await tokenOf(
      TEST_OFFICIAL_ACCOUNT.appId,
      TEST_OFFICIAL_ACCOUNT.appSecret,
    );
    await postJson(`${harness.url}/sandbox/push/followers`, {
      appId: TEST_OFFICIAL_ACCOUNT.appId,
      openids: [FOLLOWER],
    });
    expect((await sendTemplate(templateBody())).body.errcode).toBe(0);
  });
});
