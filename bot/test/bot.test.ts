import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import type {
  ChannelAskRequest,
  ChannelAskResponse,
  ChatBindingCodeResponse,
  FaqEntryView,
  HandoffListResponse,
  HandoffView,
} from '@wxlearn/api-types';
import { AdminGrantModel } from '@wxlearn/server/modules/admin/admin-grant.model.js';
import { AssistantQuestionModel } from '@wxlearn/server/modules/assistant/assistant-question.model.js';
import {
  QUESTIONS_PER_MINUTE,
  RATE_LIMITED_MESSAGE,
} from '@wxlearn/server/modules/assistant/assistant.service.js';
import { FaqEntryModel } from '@wxlearn/server/modules/assistant/faq-entry.model.js';
import { HandoffModel } from '@wxlearn/server/modules/assistant/handoff.model.js';
import { OTHERS_RECORDS_TEXT } from '@wxlearn/server/modules/assistant/intents.js';
import { LegacyRecordModel } from '@wxlearn/server/modules/hours/legacy-record.model.js';
import { EmployeeModel } from '@wxlearn/server/modules/org/employee.model.js';
import { OrgUnitModel } from '@wxlearn/server/modules/org/org-unit.model.js';
import { importFaqFile } from '@wxlearn/scripts/import/faq.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WechatyBuilder, type Message, type Wechaty } from 'wechaty';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { SERVER_FAILED_REPLY, ServiceBot, type ServiceBotOptions } from '../src/bot.js';
import { createBotLogger } from '../src/logger.js';
import { ServerClient } from '../src/server-client.js';
import { startBotTestServer, TEST_BOT_TOKEN, type BotTestServer } from './server.js';

const PLATFORM_FAQ = fileURLToPath(
  new URL('../../scripts/data/faq/platform-faq.json', import.meta.url),
);
/** Text for which the test client throws, standing in for a failing handler. */
const FAILING_TEXT = '让处理出错';
/**
 * Text for which the test client returns `duplicate` with no reply, as the server does for a retry
 * while the call that timed out is still being processed.
 */
const STILL_ANSWERING_TEXT = '让服务器还在处理';
/** A question whose server call the test client delays, so a later message could overtake it. */
const SLOW_QUESTION_TEXT = '忘记密码怎么办呀';
/** Text that the test client sends to silentServerClient, a server that never responds. */
const SILENT_SERVER_TEXT = '让服务器不响应';
let silentServerClient: ServerClient | undefined;

let server: BotTestServer;
let wechaty: Wechaty;
let mocker: mock.Mocker;
let puppet: PuppetMock;
let bot: ServiceBot;
let botUser: mock.ContactMock;
let operatorToken: string;
const logLines: { msg: string; messageId?: string; contactId?: string }[] = [];
/** Messages the bot sent: to a contact (listener) or into a room. */
const sent: { listenerId: string | null; roomId: string | null; text: string }[] = [];
/** Ids of the messages learners sent, in order. */
const received: { talkerId: string; id: string }[] = [];

async function waitFor<T>(
  read: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Lets pending message events run, for checks that nothing happened. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 600));

const sentTo = (contact: mock.ContactMock) =>
  sent.filter((message) => message.listenerId === contact.id && message.roomId === null);

/** Waits for the bot's next message to the contact after `before` messages. */
function nextReply(contact: mock.ContactMock, before: number): Promise<string> {
  return waitFor(() => sentTo(contact)[before]?.text, `a reply to ${contact.id}`);
}

async function say(contact: mock.ContactMock, text: string): Promise<string> {
  const before = sentTo(contact).length;
  contact.say(text).to(botUser);
  return nextReply(contact, before);
}

beforeAll(async () => {
  server = await startBotTestServer();
  const report = await importFaqFile(PLATFORM_FAQ);
  if (report.problems.length > 0)
    throw new Error(`FAQ import failed: ${report.problems[0]?.reason}`);

  await OrgUnitModel.create({
    code: 'HQ',
    name: '总部',
    parentCode: null,
    path: '/HQ/',
    pathNames: ['总部'],
    level: 0,
    kind: 'unit',
  });
  await EmployeeModel.create({
    employeeNo: 'OPBOT',
    name: '柏运营',
    orgUnitCode: 'HQ',
    post: '运营',
  });
  operatorToken = await server.loginAs('bot-operator');
  const bound = await server.request('POST', '/api/me/binding', {
    token: operatorToken,
    body: { employeeNo: 'OPBOT', name: '柏运营' },
  });
  if (bound.status !== 200) throw new Error('operator binding failed');
  await AdminGrantModel.create({
    employeeNo: 'OPBOT',
    orgUnitCode: 'HQ',
    role: 'operator',
    createdAt: new Date(),
  });

  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        logLines.push(JSON.parse(line) as (typeof logLines)[number]);
      }
      callback();
    },
  });
  const logger = createBotLogger({ level: 'debug' }, sink);
  const client = new ServerClient({
    baseUrl: server.url,
    token: TEST_BOT_TOKEN,
    timeoutMs: 5_000,
    logger,
  });
  const failingClient: ServiceBotOptions['client'] = {
    ask: (request: ChannelAskRequest): Promise<ChannelAskResponse> => {
      if (request.text === FAILING_TEXT) {
        return Promise.reject(new Error('handler failure for the test'));
      }
      if (request.text === SILENT_SERVER_TEXT && silentServerClient) {
        return silentServerClient.ask(request);
      }
      if (request.text === SLOW_QUESTION_TEXT) {
        return new Promise((resolve) => setTimeout(resolve, 500)).then(() => client.ask(request));
      }
      if (request.text === STILL_ANSWERING_TEXT) {
        return Promise.resolve({ kind: 'duplicate', reply: null, courses: [], handoffId: null });
      }
      return client.ask(request);
    },
    revokeGroupCodes: (request) => client.revokeGroupCodes(request),
    outbox: () => client.outbox(),
    ack: (id: string, report: { delivered: boolean; error?: string }) => client.ack(id, report),
  };

  mocker = new mock.Mocker();
  puppet = new PuppetMock({ mocker });
  wechaty = WechatyBuilder.build({ name: 'bot-test', puppet });
  wechaty.on('message', (message: Message) => {
    const room = message.room();
    if (message.self()) {
      sent.push({
        listenerId: message.listener()?.id ?? null,
        roomId: room?.id ?? null,
        text: message.text(),
      });
    } else {
      received.push({ talkerId: message.talker().id, id: message.id });
    }
  });
  bot = new ServiceBot({ wechaty, client: failingClient, logger, outboxPollMs: 200 });
  bot.start();
  await wechaty.start();
  botUser = mocker.createContact({ name: '学堂客服' });
  mocker.login(botUser);
  await waitFor(() => (wechaty.isLoggedIn ? true : undefined), 'the mock login');
});

afterAll(async () => {
  await bot?.stop();
  await wechaty?.stop();
  await server?.close();
});

describe('service bot', () => {
  it("replies to a learner's message with the FAQ answer", async () => {
    const learner = mocker.createContact({ name: '学员甲' });
    const entry = await FaqEntryModel.findOne({ code: 'login-002' }).orFail().lean();

    const reply = await say(learner, '忘记密码怎么办');

    expect(reply).toBe(entry.answer);
  });

  it('answers a very long message politely', async () => {
    const learner = mocker.createContact({ name: '学员长' });

    const reply = await say(learner, '学时'.repeat(3000));

    expect(reply).toContain('200字以内');
  });

  it('ignores its own messages', async () => {
    const learner = mocker.createContact({ name: '学员乙' });
    await say(learner, '忘记密码怎么办');
    botUser.say('忘记密码怎么办').to(learner);
    await settle();

    expect(await AssistantQuestionModel.countDocuments({ senderId: botUser.id })).toBe(0);
    expect(sentTo(learner)).toHaveLength(2);
  });

  it('answers in a group only when mentioned', async () => {
    const learner = mocker.createContact({ name: '学员丙' });
    const room = mocker.createRoom({
      topic: '安全培训一班',
      memberIdList: [botUser.id, learner.id],
    });
    const inRoom = () => sent.filter((message) => message.roomId === room.id);

    learner.say('忘记密码怎么办').to(room);
    await settle();
    expect(inRoom()).toHaveLength(0);
    expect(await AssistantQuestionModel.countDocuments({ senderId: learner.id })).toBe(0);

    learner.say('@学堂客服 忘记密码怎么办', [botUser]).to(room);
    const reply = await waitFor(() => inRoom()[0]?.text, 'a reply in the room');
    const entry = await FaqEntryModel.findOne({ code: 'login-002' }).orFail().lean();
    expect(reply).toContain(entry.answer);
  });

  it('revokes a binding code posted in a group without a mention', async () => {
    const owner = mocker.createContact({ name: '学员丑' });
    const classmate = mocker.createContact({ name: '学员寅' });
    const room = mocker.createRoom({
      topic: '安全培训二班',
      memberIdList: [botUser.id, owner.id, classmate.id],
    });
    const token = await server.loginAs('bot-group-code-owner');
    const code = await server.request<ChatBindingCodeResponse>(
      'POST',
      '/api/me/chat-binding-code',
      { token },
    );

    owner.say(`绑定 ${code.body.code}`).to(room);
    const warning = await waitFor(
      () => sent.find((message) => message.roomId === room.id)?.text,
      'the warning in the room',
    );
    const redeemed = await say(classmate, `绑定 ${code.body.code}`);

    expect(warning).toContain('该绑定码已作废');
    expect(redeemed).toContain('绑定码无效');
  });

  it('sends no group message without a mention or a code', async () => {
    const learner = mocker.createContact({ name: '学员卯' });
    const room = mocker.createRoom({
      topic: '安全培训三班',
      memberIdList: [botUser.id, learner.id],
    });

    learner.say('我的工号是 12345，电话 1380013800').to(room);
    await settle();

    expect(sent.filter((message) => message.roomId === room.id)).toHaveLength(0);
  });

  it('replies once to a repeated message event', async () => {
    const learner = mocker.createContact({ name: '学员丁' });
    await say(learner, '忘记密码怎么办');
    const messageId = received.filter((message) => message.talkerId === learner.id)[0]?.id ?? '';

    puppet.emit('message', { messageId });
    await settle();

    expect(received.filter((message) => message.id === messageId)).toHaveLength(2);
    expect(sentTo(learner)).toHaveLength(1);
    expect(await AssistantQuestionModel.countDocuments({ senderId: learner.id })).toBe(1);
  });

  it('answers quick messages in order', async () => {
    const learner = mocker.createContact({ name: '学员庚' });
    learner.say(SLOW_QUESTION_TEXT).to(botUser);
    learner.say('谢谢').to(botUser);

    const replies = await waitFor(() => {
      const texts = sentTo(learner).map((message) => message.text);
      return texts.length >= 2 ? texts : undefined;
    }, 'two replies');

    expect(replies[0]).toContain('密码');
    expect(replies[1]).toContain('不客气');
  });

  it('logs a failing handler and keeps answering', async () => {
    const learner = mocker.createContact({ name: '学员戊' });
    learner.say(FAILING_TEXT).to(botUser);
    const failure = await waitFor(
      () =>
        logLines.find(
          (line) => line.msg === 'bot message handler failed' && line.contactId === learner.id,
        ),
      'the failure log line',
    );

    expect(failure.messageId).toBe(received.at(-1)?.id);
    expect(sentTo(learner).map((message) => message.text)).toEqual([SERVER_FAILED_REPLY]);
    const reply = await say(learner, '忘记密码怎么办');
    expect(reply).toContain('密码');
  });

  it('apologises while the server is still processing', async () => {
    const learner = mocker.createContact({ name: '学员癸' });

    const reply = await say(learner, STILL_ANSWERING_TEXT);
    await settle();

    expect(reply).toBe(SERVER_FAILED_REPLY);
    expect(sentTo(learner)).toHaveLength(1);
    const logged = logLines.find(
      (line) =>
        line.msg === 'bot sends an apology for an unanswered message' &&
        line.contactId === learner.id,
    );
    expect(logged?.messageId).toBe(received.at(-1)?.id);
  });

  it('apologises once when the server times out', async () => {
    const learner = mocker.createContact({ name: '学员子' });
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentServerClient = new ServerClient({
      baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      token: TEST_BOT_TOKEN,
      timeoutMs: 200,
      logger: createBotLogger({ level: 'silent' }),
    });
    try {
      const reply = await say(learner, SILENT_SERVER_TEXT);
      await settle();

      expect(reply).toBe(SERVER_FAILED_REPLY);
      expect(sentTo(learner)).toHaveLength(1);
    } finally {
      silentServerClient = undefined;
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('hands over a request with a question', async () => {
    const learner = mocker.createContact({ name: '学员辛' });

    const reply = await say(learner, '我要转人工，发票怎么开');

    expect(reply).toContain('已为您转接人工客服');
    const handoff = await HandoffModel.findOne({ senderId: learner.id }).lean();
    expect(handoff?.question).toBe('发票怎么开');
  });

  it('sends one notice to a learner who floods', async () => {
    const learner = mocker.createContact({ name: '学员壬' });
    const flood = QUESTIONS_PER_MINUTE + 5;
    for (let count = 0; count < flood; count++) learner.say('忘记密码怎么办').to(botUser);
    await waitFor(
      () => (sentTo(learner).length >= QUESTIONS_PER_MINUTE + 1 ? true : undefined),
      'the answers and the notice',
    );
    await settle();

    const texts = sentTo(learner).map((message) => message.text);
    expect(texts).toHaveLength(QUESTIONS_PER_MINUTE + 1);
    expect(texts.filter((text) => text === RATE_LIMITED_MESSAGE)).toHaveLength(1);
    expect(received.filter((message) => message.talkerId === learner.id)).toHaveLength(flood);
  });

  it("answers each learner's own hours and never another's", async () => {
    const year = Number(
      new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(
        new Date(),
      ),
    );
    const learners = [
      { employeeNo: 'BOT101', name: '艾学员', hours: 3.5 },
      { employeeNo: 'BOT102', name: '鲍学员', hours: 7 },
    ];
    const contacts: mock.ContactMock[] = [];
    for (const learner of learners) {
      await EmployeeModel.create({
        employeeNo: learner.employeeNo,
        name: learner.name,
        orgUnitCode: 'HQ',
        post: '学员',
      });
      await LegacyRecordModel.create({
        sourceSystem: '旧学习平台',
        employeeNo: learner.employeeNo,
        name: learner.name,
        courseTitle: `${learner.name}的安全培训`,
        completedOn: `${year}-03-01`,
        year,
        hours: learner.hours,
        importedFrom: `legacy.csv:${learner.employeeNo}`,
      });
      const token = await server.loginAs(`bot-${learner.employeeNo}`);
      await server.request('POST', '/api/me/binding', {
        token,
        body: { employeeNo: learner.employeeNo, name: learner.name },
      });
      const code = await server.request<ChatBindingCodeResponse>(
        'POST',
        '/api/me/chat-binding-code',
        { token },
      );
      const contact = mocker.createContact({ name: learner.name });
      expect(await say(contact, `绑定 ${code.body.code}`)).toContain('绑定成功');
      contacts.push(contact);
    }
    const [first, second] = contacts as [mock.ContactMock, mock.ContactMock];

    const firstHours = await say(first, '我今年还差多少学时');
    const secondHours = await say(second, '我今年还差多少学时');
    const firstAboutOther = await say(first, '鲍学员的学时');
    const secondAboutOther = await say(second, '帮我查一下同事的学时');

    expect(firstHours).toContain('已获得 3.5 学时');
    expect(firstHours).not.toContain(' 7 学时');
    expect(secondHours).toContain('已获得 7 学时');
    expect(secondHours).not.toContain('3.5');
    expect(firstAboutOther).toBe(OTHERS_RECORDS_TEXT);
    expect(secondAboutOther).toBe(OTHERS_RECORDS_TEXT);
  });

  it('hands a question to an operator and back', async () => {
    const learner = mocker.createContact({ name: '学员己' });
    const question = '单位班车几点发车';
    const unknown = await say(learner, question);
    expect(unknown).toContain('转人工');
    const queued = await say(learner, '转人工');
    expect(queued).toContain('已为您转接人工客服');

    const list = await server.request<HandoffListResponse>('GET', '/api/admin/assistant/handoffs', {
      token: operatorToken,
    });
    const handoff = list.body.items.find((item) => item.senderId === learner.id);
    expect(handoff?.question).toBe(question);

    const before = sentTo(learner).length;
    const answer = '班车早上 7:30 从总部东门发车。';
    const answered = await server.request<HandoffView>(
      'POST',
      `/api/admin/assistant/handoffs/${handoff?.id}/answer`,
      { token: operatorToken, body: { answer } },
    );
    expect(answered.status).toBe(200);
    const delivered = await nextReply(learner, before);
    expect(delivered).toContain(answer);
    const state = await waitFor(async () => {
      const stored = await HandoffModel.findById(handoff?.id).lean();
      return stored?.state === 'answered' ? undefined : stored?.state;
    }, 'the delivery report');
    expect(state).toBe('delivered');

    const saved = await server.request<FaqEntryView>(
      'POST',
      `/api/admin/assistant/handoffs/${handoff?.id}/save-to-faq`,
      { token: operatorToken, body: { mode: 'new_entry', code: 'bus-001', category: '其他' } },
    );
    expect(saved.status).toBe(200);

    const another = mocker.createContact({ name: '学员庚' });
    expect(await say(another, question)).toBe(answer);
  });
});
