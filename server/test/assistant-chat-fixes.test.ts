// Chat channel cases over real HTTP: binding codes seen in a group, long messages, small talk,
// traditional characters, and admin routes for entry codes that the FAQ importer creates.
import type { ApiErrorBody, ChatBindingCodeResponse, FaqEntryView } from '@wxlearn/api-types';
import { workbookEntryCode } from '@wxlearn/scripts/import/faq.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AssistantQuestionModel } from '../src/modules/assistant/assistant-question.model.js';
import {
  MAX_QUESTION_CHARS,
  QUESTIONS_PER_MINUTE,
  TOO_LONG_MESSAGE,
} from '../src/modules/assistant/assistant.service.js';
import { CHAT_BINDING_INVALID_TEXT } from '../src/modules/assistant/chat-binding.service.js';
import { ChatIdentityModel } from '../src/modules/assistant/chat-identity.model.js';
import { HandoffModel } from '../src/modules/assistant/handoff.model.js';
import { SMALL_TALK_REPLIES, UNBOUND_SENDER_TEXT } from '../src/modules/assistant/intents.js';
import { LegacyRecordModel } from '../src/modules/hours/legacy-record.model.js';
import { setRequirement } from '../src/modules/hours/requirements.js';
import {
  bindEmployee,
  postChannelAsk,
  seedOperator,
  startAssistantTestServer,
} from './assistant-support.js';
import { createEmployee, createOrgPath } from './builders.js';
import type { TestServer } from './harness.js';

const BOT_TOKEN = 'bot-service-token-chat-fixes-0123456789';

let server: TestServer;
/** Server clock in epoch ms. Each test starts 11 minutes after the previous one. */
let clockMs = Date.parse('2025-06-02T02:00:00Z');
let messageCount = 0;
let learnerToken: string;
let operatorToken: string;

beforeAll(async () => {
  server = await startAssistantTestServer({ botToken: BOT_TOKEN, now: () => new Date(clockMs) });

  const city = await createOrgPath('fix');
  await setRequirement({ orgUnitCode: 'Pfix', year: 2025, requiredHours: 10 });
  await createEmployee('FX001', '范学员', city);
  await LegacyRecordModel.create({
    sourceSystem: '旧学习平台',
    employeeNo: 'FX001',
    name: '范学员',
    courseTitle: '范学员的安全培训',
    completedOn: '2025-03-01',
    year: 2025,
    hours: 3.5,
    importedFrom: 'legacy.csv:FX001',
  });
  const learner = await bindEmployee(server, 'fixes-FX001', 'FX001', '范学员');
  learnerToken = learner.token;

  operatorToken = await seedOperator(server, 'fixes-operator', 'FXOP1', '冯运营', city);
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  clockMs += 11 * 60_000;
});

function channelAsk(senderId: string, text: string, roomId?: string) {
  messageCount++;
  const messageId = `fix-msg-${messageCount}`;
  return postChannelAsk(server, BOT_TOKEN, { senderId, messageId, text, roomId });
}

async function newBindingCode(): Promise<string> {
  const created = await server.request<ChatBindingCodeResponse>(
    'POST',
    '/api/me/chat-binding-code',
    { token: learnerToken },
  );
  return created.body.code;
}

function admin<T>(method: string, path: string, body?: unknown) {
  return server.request<T>(method, `/api/admin/assistant${path}`, { token: operatorToken, body });
}

describe('binding code seen in a group', () => {
  it('is revoked before a classmate redeems it', async () => {
    const code = await newBindingCode();

    const inGroup = await channelAsk('wxid-poster', `绑定 ${code}`, 'room-fix@chatroom');
    const classmate = await channelAsk('wxid-classmate', `绑定 ${code}`);
    const hours = await channelAsk('wxid-classmate', '我今年还差多少学时');

    expect(inGroup.body.kind).toBe('binding');
    expect(inGroup.body.reply).toContain('该绑定码已作废');
    expect(inGroup.body.reply).toContain('私聊');
    expect(classmate.body.reply).toBe(CHAT_BINDING_INVALID_TEXT);
    expect(await ChatIdentityModel.exists({ senderId: 'wxid-classmate' })).toBeNull();
    expect(hours.body.reply).toBe(UNBOUND_SENDER_TEXT);
    expect(hours.body.reply).not.toContain('3.5');
  });

  it('is revoked when quoted in a longer message', async () => {
    const code = await newBindingCode();

    const inGroup = await channelAsk(
      'wxid-quoter',
      `我的绑定码是${code}，怎么用？`,
      'room-fix@chatroom',
    );
    const classmate = await channelAsk('wxid-classmate-2', `绑定 ${code}`);

    expect(inGroup.body.kind).toBe('binding');
    expect(inGroup.body.reply).toContain('该绑定码已作废');
    expect(classmate.body.reply).toBe(CHAT_BINDING_INVALID_TEXT);
    expect(await ChatIdentityModel.exists({ senderId: 'wxid-classmate-2' })).toBeNull();
  });

  it('is revoked from a group message without a mention', async () => {
    const code = await newBindingCode();
    const groupCodes = (token: string) =>
      server.request<{ revoked: boolean; reply: string | null }>(
        'POST',
        '/api/assistant/channel-group-codes',
        {
          token,
          body: {
            channel: 'wechaty',
            senderId: 'wxid-unmentioned',
            roomId: 'room-fix@chatroom',
            text: `绑定码 ${code}`,
          },
        },
      );

    const unauthorised = await groupCodes(learnerToken);
    const first = await groupCodes(BOT_TOKEN);
    const second = await groupCodes(BOT_TOKEN);
    const classmate = await channelAsk('wxid-classmate-3', `绑定 ${code}`);

    expect(unauthorised.status).toBe(401);
    expect(first.body.revoked).toBe(true);
    expect(first.body.reply).toContain('该绑定码已作废');
    expect(second.body.revoked).toBe(false);
    expect(second.body.reply).toBeNull();
    expect(classmate.body.reply).toBe(CHAT_BINDING_INVALID_TEXT);
  });

  it('leaves a new code of the learner usable', async () => {
    await channelAsk('wxid-poster-2', `绑定 ${await newBindingCode()}`, 'room-fix@chatroom');

    const bound = await channelAsk('wxid-owner-2', `绑定 ${await newBindingCode()}`);

    expect(bound.body.reply).toContain('绑定成功');
  });
});

describe('long messages', () => {
  it('answers 4000 characters quickly', async () => {
    const texts = ['请我'.repeat(2000), '我'.repeat(4000), `${'麻烦'.repeat(1999)}客服`];
    for (const text of texts) {
      const started = performance.now();
      const response = await channelAsk('wxid-long', text);
      const elapsedMs = performance.now() - started;

      expect(response.status).toBe(200);
      expect(response.body.kind).toBe('too_long');
      expect(response.body.reply).toBe(TOO_LONG_MESSAGE);
      // The length check comes before any parsing. The bound is loose, because a loaded CI
      // machine slows the database too; handoff-request.test.ts checks the parser's growth.
      expect(elapsedMs).toBeLessThan(1_000);
    }
  });

  it('rejects a flood of long messages quickly', async () => {
    const text = '请我'.repeat(2000);
    const started = performance.now();
    const kinds: string[] = [];
    for (let count = 0; count < QUESTIONS_PER_MINUTE + 10; count++) {
      kinds.push((await channelAsk('wxid-long-flood', text)).body.kind);
    }
    const elapsedMs = performance.now() - started;

    expect(kinds.filter((kind) => kind === 'too_long')).toHaveLength(QUESTIONS_PER_MINUTE);
    expect(kinds.filter((kind) => kind === 'rate_limited')).toHaveLength(10);
    expect(elapsedMs).toBeLessThan(15_000);
  });

  it('still finds a request for a person at the length limit', async () => {
    const question = `${'请'.repeat(MAX_QUESTION_CHARS - 10)}发票怎么开`;
    const response = await channelAsk('wxid-long-person', `转人工，${question}`);

    expect(response.body.kind).toBe('handoff');
  });
});

describe('small talk', () => {
  const cases: [string, string][] = [
    ['谢谢', SMALL_TALK_REPLIES.thanks],
    ['好的', SMALL_TALK_REPLIES.acknowledgement],
    ['你好', SMALL_TALK_REPLIES.greeting],
    ['在吗', SMALL_TALK_REPLIES.greeting],
    ['好的，谢谢！', SMALL_TALK_REPLIES.thanks],
    ['不对', SMALL_TALK_REPLIES.correction],
    ['不是这个啊', SMALL_TALK_REPLIES.correction],
  ];

  it.each(cases)('replies to %s', async (text, expected) => {
    const response = await channelAsk('wxid-polite', text);

    expect(response.body.kind).toBe('intent');
    expect(response.body.reply).toBe(expected);
  });

  it('never hands the learner to a person', async () => {
    const unknown = await channelAsk('wxid-polite-2', '单位班车几点发车');
    const thanks = await channelAsk('wxid-polite-2', '谢谢');
    const okay = await channelAsk('wxid-polite-2', '好的');
    const hello = await channelAsk('wxid-polite-2', '你好');

    expect(unknown.body.kind).toBe('dont_know');
    expect(thanks.body.reply).toBe(SMALL_TALK_REPLIES.thanks);
    expect(okay.body.reply).toBe(SMALL_TALK_REPLIES.acknowledgement);
    expect(hello.body.reply).toBe(SMALL_TALK_REPLIES.greeting);
    expect(await HandoffModel.countDocuments({ senderId: 'wxid-polite-2' })).toBe(0);
    expect(await AssistantQuestionModel.countDocuments({ senderId: 'wxid-polite-2' })).toBe(1);
  });

  it('counts against the rate limit', async () => {
    const kinds: string[] = [];
    for (let count = 0; count < QUESTIONS_PER_MINUTE + 1; count++) {
      kinds.push((await channelAsk('wxid-polite-flood', '谢谢')).body.kind);
    }

    expect(kinds.at(-1)).toBe('rate_limited');
    expect(kinds.filter((kind) => kind === 'intent')).toHaveLength(QUESTIONS_PER_MINUTE);
  });

  it('leaves a greeting with a question to the assistant', async () => {
    const response = await channelAsk('wxid-polite-3', '你好，忘记密码怎么办');

    expect(response.body.kind).toBe('answer');
    expect(response.body.reply).toContain('密码');
  });
});

describe('traditional characters', () => {
  it("answer the learner's hours", async () => {
    await channelAsk('wxid-traditional', `绑定 ${await newBindingCode()}`);

    const response = await channelAsk('wxid-traditional', '我今年還差多少學時');

    expect(response.body.kind).toBe('intent');
    expect(response.body.reply).toContain('已获得 3.5 学时');
    expect(response.body.reply).toContain('还差 6.5 学时');
  });

  it('request a person', async () => {
    const response = await channelAsk('wxid-traditional-2', '我要轉人工');

    expect(response.body.kind).toBe('handoff');
  });
});

describe('admin routes with imported entry codes', () => {
  const importedCodes = [workbookEntryCode('领域1', '登录不上怎么办'), 'x.y', '中文编号'];

  it.each(importedCodes)('manage entry %s', async (code) => {
    const path = `/faq/${encodeURIComponent(code)}`;
    const created = await admin<FaqEntryView>('POST', '/faq', {
      code,
      category: '导入',
      standardQuestion: `导入条目${code}的问题`,
      answer: `导入条目${code}的答案`,
    });
    const read = await admin<FaqEntryView>('GET', path);
    const changed = await admin<FaqEntryView>('PATCH', path, { answer: '改过的答案' });
    const disabled = await admin<FaqEntryView>('POST', `${path}/disable`);

    expect(created.status).toBe(201);
    expect(read.status).toBe(200);
    expect(read.body.code).toBe(code);
    expect(changed.status).toBe(200);
    expect(changed.body.answer).toBe('改过的答案');
    expect(disabled.status).toBe(200);
    expect(disabled.body.enabled).toBe(false);
  });

  const invalidCodes: [string, string][] = [
    ['empty', ''],
    ['over 64 characters', '码'.repeat(65)],
    ['a slash', 'a/b'],
    ['a control character', 'a\u0001b'],
    ['a space', 'a b'],
  ];

  it.each(invalidCodes)('reject a code with %s', async (_case, code) => {
    const created = await admin<ApiErrorBody>('POST', '/faq', {
      code,
      category: '导入',
      standardQuestion: '无效编号的问题',
      answer: '无效编号的答案',
    });

    expect(created.status).toBe(400);
  });

  it('reject a slash in the path', async () => {
    const read = await admin<ApiErrorBody>('GET', `/faq/${encodeURIComponent('a/b')}`);

    expect(read.status).toBe(400);
  });
});
