import type { AddressInfo } from 'node:net';
import type {
  ApiErrorBody,
  AskResponse,
  ChannelAskResponse,
  ChannelOutboxResponse,
  ChatBindingCodeResponse,
  FaqEntryView,
  HandoffListResponse,
  HandoffView,
  IntentReply,
  UnansweredQuestionListResponse,
} from '@wxlearn/api-types';
import { Types } from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { AssistantQuestionModel } from '../src/modules/assistant/assistant-question.model.js';
import {
  QUESTIONS_PER_MINUTE,
  RATE_LIMITED_MESSAGE,
} from '../src/modules/assistant/assistant.service.js';
import { ChatIdentityModel } from '../src/modules/assistant/chat-identity.model.js';
import {
  HANDOFF_QUESTION_ADDED_TEXT,
  HANDOFF_QUEUED_TEXT,
  NO_MATCH_TEXT,
  NOT_CHINESE_TEXT,
  PERSON_HINT_TEXT,
} from '../src/modules/assistant/conversation.service.js';
import { FaqEntryModel } from '../src/modules/assistant/faq-entry.model.js';
import { HandoffModel } from '../src/modules/assistant/handoff.model.js';
import { OTHERS_RECORDS_TEXT } from '../src/modules/assistant/intents.js';
import { buildSearchTokens } from '../src/modules/catalog/catalog.search.js';
import { CourseModel } from '../src/modules/catalog/course.model.js';
import { EnrolmentModel } from '../src/modules/catalog/enrolment.model.js';
import { LegacyRecordModel } from '../src/modules/hours/legacy-record.model.js';
import { setRequirement } from '../src/modules/hours/requirements.js';
import { CourseCompletionModel } from '../src/modules/learning/course-completion.model.js';
import { AttemptResultModel } from '../src/modules/quizzes/attempt-result.model.js';
import { AttemptModel } from '../src/modules/quizzes/attempt.model.js';
import { QuizModel } from '../src/modules/quizzes/quiz.model.js';
import {
  bindEmployee,
  postChannelAsk,
  seedOperator,
  startAssistantTestServer,
} from './assistant-support.js';
import { createEmployee, createOrgPath } from './builders.js';
import type { TestServer } from './harness.js';

const BOT_TOKEN = 'bot-service-token-0123456789abcdef-test';

let server: TestServer;
/** Server clock in epoch ms; each test starts 11 minutes after the previous one. */
let clockMs = Date.parse('2025-06-02T02:00:00Z');
let messageCount = 0;

interface SeededLearner {
  token: string;
  learnerId: string;
  requiredTitle: string;
  doneTitle: string;
  quizTitle: string;
}
let alice: SeededLearner;
let bob: SeededLearner;
let operatorToken: string;

/**
 * Seeds a bound learner with legacy hours, one unfinished and one completed required course and
 * one graded exam, each with values of their own so replies show whose records they read.
 */
async function seedLearner(
  name: string,
  employeeNo: string,
  orgUnitCode: string,
  values: { hours: number; score: number; passed: boolean },
): Promise<SeededLearner> {
  await createEmployee(employeeNo, name, orgUnitCode);
  await LegacyRecordModel.create({
    sourceSystem: '旧学习平台',
    employeeNo,
    name,
    courseTitle: `${name}的安全培训`,
    completedOn: '2025-03-01',
    year: 2025,
    hours: values.hours,
    importedFrom: `legacy.csv:${employeeNo}`,
  });
  const bound = await bindEmployee(server, `channel-${employeeNo}`, employeeNo, name);
  const learnerId = new Types.ObjectId(bound.learnerId);

  const course = (title: string) =>
    CourseModel.create({
      code: `req-${employeeNo}-${title.length}-${title}`,
      title,
      category: '必修',
      published: true,
    });
  const requiredTitle = `${name}未学完的必修课`;
  const doneTitle = `${name}已学完的必修课`;
  const [required, done] = [await course(requiredTitle), await course(doneTitle)];
  const enrolledAt = new Date(clockMs);
  await EnrolmentModel.create([
    { learnerId, courseId: required._id, source: 'assigned', enrolledAt },
    { learnerId, courseId: done._id, source: 'assigned', enrolledAt },
  ]);
  await CourseCompletionModel.create({
    learnerId,
    courseId: done._id,
    completedAt: enrolledAt,
    year: 2025,
    creditHours: 0,
    hoursSet: false,
  });

  const quizTitle = `${name}的安全考试`;
  const quiz = await QuizModel.create({
    code: `quiz-${employeeNo}`,
    title: quizTitle,
    bank: 'safety',
    category: null,
    questionCount: 10,
    timeLimitSeconds: null,
    passPercent: 60,
    maxAttempts: 3,
    pointsPerQuestion: null,
    shuffleOptions: false,
    courseId: null,
  });
  const attempt = await AttemptModel.create({
    learnerId,
    quizId: quiz._id,
    attemptNo: 1,
    questions: [],
    startedAt: new Date('2025-05-20T01:00:00Z'),
    deadline: null,
    state: 'submitted',
    submittedAt: new Date('2025-05-20T01:20:00Z'),
  });
  await AttemptResultModel.create({
    attemptId: attempt._id,
    learnerId,
    quizId: quiz._id,
    submittedAt: new Date('2025-05-20T01:20:00Z'),
    score: values.score,
    maxScore: 10,
    percent: values.score * 10,
    passed: values.passed,
    questions: [],
  });
  return { ...bound, requiredTitle, doneTitle, quizTitle };
}

beforeAll(async () => {
  server = await startAssistantTestServer({ botToken: BOT_TOKEN, now: () => new Date(clockMs) });

  const city = await createOrgPath('chat');
  await setRequirement({ orgUnitCode: 'Pchat', year: 2025, requiredHours: 10 });
  alice = await seedLearner('艾丽', 'CH001', city, { hours: 3.5, score: 8, passed: true });
  bob = await seedLearner('鲍勃', 'CH002', city, { hours: 7, score: 4, passed: false });

  operatorToken = await seedOperator(server, 'channel-operator', 'OP001', '欧运营', city);
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  clockMs += 11 * 60_000;
});

function channelAsk(
  senderId: string,
  text: string,
  extra: { roomId?: string; messageId?: string; token?: string } = {},
) {
  messageCount++;
  const messageId = extra.messageId ?? `msg-${messageCount}`;
  return postChannelAsk(server, extra.token ?? BOT_TOKEN, {
    senderId,
    messageId,
    text,
    roomId: extra.roomId,
  });
}

/** Binds a bot sender to a learner with a fresh binding code. */
async function bindSender(senderId: string, learner: SeededLearner): Promise<void> {
  const code = await server.request<ChatBindingCodeResponse>('POST', '/api/me/chat-binding-code', {
    token: learner.token,
  });
  const bound = await channelAsk(senderId, `绑定 ${code.body.code}`);
  if (!bound.body.reply?.includes('绑定成功')) throw new Error(`binding failed: ${bound.text}`);
}

function admin<T>(method: string, path: string, body?: unknown, token = operatorToken) {
  return server.request<T>(method, `/api/admin/assistant${path}`, { token, body });
}

describe('POST /api/assistant/channel-ask', () => {
  it('rejects a missing or wrong service token', async () => {
    const missing = await server.request('POST', '/api/assistant/channel-ask', {
      body: { channel: 'wechaty', senderId: 's', messageId: 'm', text: '你好' },
    });
    const wrong = await channelAsk('s', '你好', { token: `${BOT_TOKEN}x` });
    const learner = await channelAsk('s', '你好', { token: alice.token });

    expect(missing.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(learner.status).toBe(401);
  });

  it('does not exist without BOT_SERVICE_TOKEN', async () => {
    const config = { ...server.deps.config, BOT_SERVICE_TOKEN: undefined };
    const app = createApp({ ...server.deps, config });
    const listener = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => listener.once('listening', resolve));
    const port = (listener.address() as AddressInfo).port;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/assistant/channel-ask`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'wechaty', senderId: 's', messageId: 'm', text: '你好' }),
      });
      expect(response.status).toBe(404);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  it('answers from the FAQ', async () => {
    const response = await channelAsk('wxid-faq', '忘记密码怎么办');

    expect(response.status).toBe(200);
    expect(response.body.kind).toBe('answer');
    expect(response.body.reply).toContain('密码');
  });

  it('answers a repeated message id once', async () => {
    const first = await channelAsk('wxid-repeat', '忘记密码怎么办', { messageId: 'same-id' });
    const second = await channelAsk('wxid-repeat', '忘记密码怎么办', { messageId: 'same-id' });

    expect(second.body.reply).toBe(first.body.reply);
    expect(await AssistantQuestionModel.countDocuments({ senderId: 'wxid-repeat' })).toBe(1);
  });

  it("never gives one sender another sender's reply for a reused message id", async () => {
    const first = await channelAsk('wxid-owner', '忘记密码怎么办', { messageId: 'shared-id' });
    const other = await channelAsk('wxid-other', '你好', { messageId: 'shared-id' });

    expect(first.body.reply).not.toBeNull();
    expect(other.status).toBe(200);
    expect(other.body.reply ?? null).not.toBe(first.body.reply);
  });

  it('rejects a message without a message id', async () => {
    const response = await server.request('POST', '/api/assistant/channel-ask', {
      token: BOT_TOKEN,
      body: { channel: 'wechaty', senderId: 's', text: '你好' },
    });

    expect(response.status).toBe(400);
  });
});

describe('chat binding', () => {
  it('tells an unbound sender how to bind', async () => {
    const response = await channelAsk('wxid-unbound', '我今年还差多少学时');

    expect(response.body.kind).toBe('intent');
    expect(response.body.reply).toContain('绑定');
    expect(response.body.reply).not.toMatch(/\d+(\.\d)? 学时/);
  });

  it('binds with a valid code once', async () => {
    const code = await server.request<ChatBindingCodeResponse>(
      'POST',
      '/api/me/chat-binding-code',
      { token: alice.token },
    );
    expect(code.status).toBe(200);
    expect(code.body.code).toMatch(/^\d{8}$/);

    const bound = await channelAsk('wxid-binder', `绑定：${code.body.code}`);
    const reused = await channelAsk('wxid-thief', code.body.code);

    expect(bound.body.kind).toBe('binding');
    expect(bound.body.reply).toContain('绑定成功');
    expect(reused.body.reply).toContain('无效');
    const identity = await ChatIdentityModel.findOne({ channel: 'bot', senderId: 'wxid-binder' });
    expect(identity?.learnerId.toHexString()).toBe(alice.learnerId);
    expect(await ChatIdentityModel.exists({ senderId: 'wxid-thief' })).toBeNull();
  });

  it('lets one of two senders redeem a code sent at once', async () => {
    const code = await server.request<ChatBindingCodeResponse>(
      'POST',
      '/api/me/chat-binding-code',
      { token: alice.token },
    );
    const replies = await Promise.all(
      ['wxid-race-a', 'wxid-race-b', 'wxid-race-c'].map((sender) =>
        channelAsk(sender, `绑定 ${code.body.code}`),
      ),
    );

    const bound = replies.filter((reply) => reply.body.reply?.includes('绑定成功'));
    expect(bound).toHaveLength(1);
    let identities = 0;
    for (const senderId of ['wxid-race-a', 'wxid-race-b', 'wxid-race-c']) {
      identities += await ChatIdentityModel.countDocuments({ senderId });
    }
    expect(identities).toBe(1);
  });

  it('refuses a code sent in a group', async () => {
    const code = await server.request<ChatBindingCodeResponse>(
      'POST',
      '/api/me/chat-binding-code',
      { token: alice.token },
    );
    const response = await channelAsk('wxid-group-binder', `绑定 ${code.body.code}`, {
      roomId: 'room-1@chatroom',
    });

    expect(response.body.reply).toContain('私聊');
    expect(await ChatIdentityModel.exists({ senderId: 'wxid-group-binder' })).toBeNull();
  });

  it('limits wrong codes per sender', async () => {
    const replies: string[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      replies.push((await channelAsk('wxid-guesser', `绑定 0000000${attempt}`)).body.reply ?? '');
    }

    expect(replies.slice(0, 5).every((reply) => reply.includes('无效'))).toBe(true);
    expect(replies[5]).toContain('次数太多');
  });
});

describe('intents', () => {
  beforeAll(async () => {
    await bindSender('wxid-alice', alice);
    await bindSender('wxid-bob', bob);
  });

  it("answers each learner's hours with their own numbers", async () => {
    const aliceReply = await channelAsk('wxid-alice', '我今年还差多少学时');
    const bobReply = await channelAsk('wxid-bob', '我今年还差多少学时？');

    expect(aliceReply.body.kind).toBe('intent');
    expect(aliceReply.body.reply).toContain('2025年已获得 3.5 学时');
    expect(aliceReply.body.reply).toContain('要求 10 学时，还差 6.5 学时');
    expect(aliceReply.body.reply).not.toContain(' 7 学时');
    expect(bobReply.body.reply).toContain('2025年已获得 7 学时');
    expect(bobReply.body.reply).toContain('还差 3 学时');
    expect(bobReply.body.reply).not.toContain('3.5');
  });

  it('lists only unfinished required courses of the asker', async () => {
    const response = await channelAsk('wxid-alice', '我还有哪些必修课没学完');

    expect(response.body.kind).toBe('intent');
    expect(response.body.reply).toContain('还有 1 门必修课没有学完');
    expect(response.body.reply).toContain(alice.requiredTitle);
    expect(response.body.reply).not.toContain(alice.doneTitle);
    expect(response.body.reply).not.toContain(bob.requiredTitle);
    expect(response.body.courses).toHaveLength(1);
    expect(response.body.courses[0]?.pagePath).toMatch(
      /^packages\/course\/detail\/index\?id=[0-9a-f]{24}$/,
    );
  });

  it("answers the asker's last exam", async () => {
    const aliceReply = await channelAsk('wxid-alice', '我上次考试考了多少分');
    const bobReply = await channelAsk('wxid-bob', '我的考试成绩');

    expect(aliceReply.body.reply).toContain(alice.quizTitle);
    expect(aliceReply.body.reply).toContain('得分 8/10（80%），已通过');
    expect(aliceReply.body.reply).not.toContain(bob.quizTitle);
    expect(bobReply.body.reply).toContain(
      '得分 4/10（40%），未通过，及格线是 60%，还可以再考 2 次',
    );
  });

  it.each([
    '帮我查一下同事的学时',
    '张三学时多少',
    '小王还差多少学时',
    '艾丽的学时',
    '鲍勃的考试成绩',
    '同事还有哪些必修课没学完',
  ])("refuses someone else's records: %s", async (question) => {
    const replies = [
      (await channelAsk('wxid-alice', question)).body,
      (await channelAsk('wxid-bob', question)).body,
    ];

    for (const reply of replies) {
      expect(reply.kind).toBe('intent');
      expect(reply.reply).toBe(OTHERS_RECORDS_TEXT);
      expect(reply.courses).toEqual([]);
    }
    const texts = replies.map((reply) => reply.reply ?? '').join('\n');
    expect(texts).not.toMatch(/\d+(\.\d)? 学时/);
    for (const learner of [alice, bob]) {
      expect(texts).not.toContain(learner.quizTitle);
      expect(texts).not.toContain(learner.requiredTitle);
    }
  });

  it('keeps personal records out of group chats', async () => {
    const response = await channelAsk('wxid-alice', '我今年还差多少学时', {
      roomId: 'class-1@chatroom',
    });

    expect(response.body.reply).toContain('私聊');
    expect(response.body.reply).not.toContain('3.5');
  });

  it('answers the signed-in learner in the mini-program', async () => {
    const response = await server.request<AskResponse>('POST', '/api/assistant/ask', {
      token: bob.token,
      body: { question: '我今年还差多少学时' },
    });

    expect(response.status).toBe(200);
    expect(response.body.kind).toBe('intent');
    expect((response.body as IntentReply).text).toContain('已获得 7 学时');
  });

  it('searches courses with up to three links', async () => {
    for (const suffix of ['一', '二', '三', '四']) {
      const title = `安全生产${suffix}`;
      await CourseModel.create({
        code: `safety-${suffix}`,
        title,
        category: '安全',
        published: true,
        ...buildSearchTokens({ title, category: '安全', description: '' }),
      });
    }
    const response = await channelAsk('wxid-searcher', '有没有讲安全生产的课');

    expect(response.body.kind).toBe('intent');
    expect(response.body.courses).toHaveLength(3);
    expect(response.body.reply).toContain('找到 4 门');
    expect(response.body.reply).toContain('小程序页面：packages/course/detail/index?id=');
    expect(response.body.courses.every((course) => course.title.startsWith('安全生产'))).toBe(true);
  });
});

describe('handoff', () => {
  it('queues a request for a person with the question before it', async () => {
    await channelAsk('wxid-handoff', '视频一直黑屏怎么回事');
    const queued = await channelAsk('wxid-handoff', '转人工');
    const again = await channelAsk('wxid-handoff', '人工客服');

    expect(queued.body.kind).toBe('handoff');
    expect(queued.body.reply).toContain('已为您转接人工客服');
    expect(again.body.reply).toContain('已在人工客服的队列中');
    expect(again.body.handoffId).toBe(queued.body.handoffId);
    const list = await admin<HandoffListResponse>('GET', '/handoffs');
    const item = list.body.items.find((handoff) => handoff.id === queued.body.handoffId);
    expect(item?.question).toBe('视频一直黑屏怎么回事');
    expect(item?.reason).toBe('person_request');
    expect(item?.context.at(-1)?.question).toBe('视频一直黑屏怎么回事');
  });

  it('hands over a request with a question', async () => {
    const queued = await channelAsk('wxid-invoice', '我要转人工，发票怎么开');

    expect(queued.body.kind).toBe('handoff');
    expect(queued.body.reply).toBe(HANDOFF_QUEUED_TEXT);
    const handoff = await HandoffModel.findById(queued.body.handoffId).lean();
    expect(handoff?.question).toBe('发票怎么开');
    expect(handoff?.reason).toBe('person_request');
    const logged = await AssistantQuestionModel.find({ senderId: 'wxid-invoice' }).lean();
    expect(logged.map((question) => question.question)).toEqual(['发票怎么开']);
    expect(logged[0]?.askedForPerson).toBe(true);
  });

  it.each([
    ['发票怎么开？转人工', '发票怎么开'],
    ['转人工证书怎么下载', '证书怎么下载'],
    ['我要人工，视频一直黑屏', '视频一直黑屏'],
    ['找客服：忘记密码怎么办', '忘记密码怎么办'],
  ])('finds the request anywhere in %s', async (text, question) => {
    messageCount++;
    const senderId = `wxid-anywhere-${messageCount}`;
    const queued = await channelAsk(senderId, text);

    expect(queued.body.kind).toBe('handoff');
    const handoff = await HandoffModel.findById(queued.body.handoffId).lean();
    expect(handoff?.question).toBe(question);
  });

  it('hands over a bare request in any wording', async () => {
    await channelAsk('wxid-polite', '视频一直黑屏怎么回事');
    const queued = await channelAsk('wxid-polite', '麻烦帮我转一下人工客服，谢谢');

    expect(queued.body.kind).toBe('handoff');
    const handoff = await HandoffModel.findById(queued.body.handoffId).lean();
    expect(handoff?.question).toBe('视频一直黑屏怎么回事');
    const previous = await AssistantQuestionModel.findOne({
      senderId: 'wxid-polite',
      question: '视频一直黑屏怎么回事',
    }).lean();
    expect(previous?.askedForPerson).toBe(true);
  });

  it.each(['人工智能课程有哪些', '客服电话是多少', '证书需要人工审核吗'])(
    'does not hand over %s',
    async (text) => {
      messageCount++;
      const senderId = `wxid-not-person-${messageCount}`;
      const reply = await channelAsk(senderId, text);

      expect(reply.body.kind).not.toBe('handoff');
      expect(await HandoffModel.exists({ senderId })).toBeNull();
    },
  );

  it('adds a stated question to a queued handoff', async () => {
    const first = await channelAsk('wxid-follow-up', '转人工');
    const second = await channelAsk('wxid-follow-up', '转人工，证书怎么下载');

    expect(second.body.reply).toBe(HANDOFF_QUESTION_ADDED_TEXT);
    expect(second.body.handoffId).toBe(first.body.handoffId);
    const handoff = await HandoffModel.findById(first.body.handoffId).lean();
    expect(handoff?.context.at(-1)?.question).toBe('证书怎么下载');
  });

  it('queues the second "don\'t know" in a row', async () => {
    const first = await channelAsk('wxid-puzzled', '食堂今天吃什么');
    const second = await channelAsk('wxid-puzzled', '停车场在哪');

    expect(first.body.kind).toBe('dont_know');
    expect(first.body.reply).toContain('转人工');
    expect(second.body.kind).toBe('handoff');
    const handoff = await HandoffModel.findById(second.body.handoffId).lean();
    expect(handoff?.reason).toBe('repeated_dont_know');
    expect(handoff?.question).toBe('停车场在哪');
    expect(handoff?.context.map((exchange) => exchange.question)).toEqual([
      '食堂今天吃什么',
      '停车场在哪',
    ]);
  });

  it('delivers an answer through the outbox and saves it to the FAQ', async () => {
    const question = '单位班车几点发车';
    const first = await channelAsk('wxid-roundtrip', question);
    expect(first.body.kind).toBe('dont_know');
    const queued = await channelAsk('wxid-roundtrip', '转人工');
    const id = queued.body.handoffId;

    const learner = await admin('POST', `/handoffs/${id}/answer`, { answer: '可以' }, alice.token);
    expect(learner.status).toBe(403);

    const answered = await admin<HandoffView>('POST', `/handoffs/${id}/answer`, {
      answer: '可以，请先向本单位培训管理员报备。',
    });
    expect(answered.status).toBe(200);
    expect(answered.body.state).toBe('answered');
    expect(answered.body.operator).toBe('OP001');
    const twice = await admin('POST', `/handoffs/${id}/answer`, { answer: '再答一次' });
    expect(twice.status).toBe(409);

    const outbox = await server.request<ChannelOutboxResponse>(
      'GET',
      '/api/assistant/channel-outbox',
      { token: BOT_TOKEN },
    );
    const item = outbox.body.items.find((entry) => entry.handoffId === id);
    expect(item?.senderId).toBe('wxid-roundtrip');
    expect(item?.text).toContain('请先向本单位培训管理员报备');

    const ack = await server.request<{ state: string }>(
      'POST',
      `/api/assistant/channel-outbox/${id}/ack`,
      { token: BOT_TOKEN, body: { delivered: true } },
    );
    expect(ack.body.state).toBe('delivered');
    const after = await server.request<ChannelOutboxResponse>(
      'GET',
      '/api/assistant/channel-outbox',
      { token: BOT_TOKEN },
    );
    expect(after.body.items.some((entry) => entry.handoffId === id)).toBe(false);

    const saved = await admin<FaqEntryView>('POST', `/handoffs/${id}/save-to-faq`, {
      mode: 'new_entry',
      code: 'leave-001',
      category: '其他',
    });
    expect(saved.status).toBe(200);
    expect(saved.body.standardQuestion).toBe(question);

    const again = await channelAsk('wxid-roundtrip-2', question);
    expect(again.body.kind).toBe('answer');
    expect(again.body.reply).toBe('可以，请先向本单位培训管理员报备。');
  });

  it('adds a handoff question as a paraphrase', async () => {
    await channelAsk('wxid-paraphrase', '学习平台的账号忘了该咋整');
    const queued = await channelAsk('wxid-paraphrase', '转人工');
    const id = queued.body.handoffId;
    const early = await admin('POST', `/handoffs/${id}/save-to-faq`, {
      mode: 'paraphrase',
      entryCode: 'login-002',
    });
    expect(early.status).toBe(409);

    await admin('POST', `/handoffs/${id}/answer`, { answer: '请用微信登录，不需要账号密码。' });
    const saved = await admin<FaqEntryView>('POST', `/handoffs/${id}/save-to-faq`, {
      mode: 'paraphrase',
      entryCode: 'login-002',
    });

    expect(saved.body.paraphrases).toContain('学习平台的账号忘了该咋整');
    const answered = await channelAsk('wxid-paraphrase-2', '学习平台的账号忘了该咋整');
    expect(answered.body.kind).toBe('answer');
  });

  it('refuses to save a bare request for a person, and saves a handoff once', async () => {
    const queued = await channelAsk('wxid-bare-person', '人工客服');
    const id = queued.body.handoffId;
    await admin('POST', `/handoffs/${id}/answer`, { answer: '发票请联系本单位财务。' });

    const bare = await admin<ApiErrorBody>('POST', `/handoffs/${id}/save-to-faq`, {
      mode: 'new_entry',
      code: 'person-901',
      category: '其他',
    });
    expect(bare.status).toBe(400);
    expect(bare.body.error.id).toBe('validation_failed');

    const withQuestion = await admin('POST', `/handoffs/${id}/save-to-faq`, {
      mode: 'new_entry',
      code: 'invoice-901',
      category: '其他',
      standardQuestion: '发票找谁开',
    });
    expect(withQuestion.status).toBe(200);
    const twice = await admin<ApiErrorBody>('POST', `/handoffs/${id}/save-to-faq`, {
      mode: 'new_entry',
      code: 'invoice-902',
      category: '其他',
      standardQuestion: '发票找谁开具',
    });
    expect(twice.status).toBe(409);
  });

  it('fails a bot delivery after three failed sends', async () => {
    await channelAsk('wxid-gone', '转人工');
    const [handoff] = await HandoffModel.find({ senderId: 'wxid-gone' }).lean();
    const id = handoff?._id.toHexString() ?? '';
    await admin('POST', `/handoffs/${id}/answer`, { answer: '好的' });

    const states: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const ack = await server.request<{ state: string }>(
        'POST',
        `/api/assistant/channel-outbox/${id}/ack`,
        { token: BOT_TOKEN, body: { delivered: false, error: 'contact not found' } },
      );
      states.push(ack.body.state);
    }

    expect(states).toEqual(['answered', 'answered', 'delivery_failed']);
    const failed = await admin<HandoffListResponse>('GET', '/handoffs?state=delivery_failed');
    expect(failed.body.items.find((item) => item.id === id)?.deliveryError).toBe(
      'contact not found',
    );
  });
});

describe('handoff edge cases', () => {
  /** Queues a handoff for `senderId` with a stated question and answers it. */
  async function answeredHandoff(senderId: string, question: string, answer: string) {
    const queued = await channelAsk(senderId, `转人工，${question}`);
    const id = queued.body.handoffId ?? '';
    const answered = await admin<HandoffView>('POST', `/handoffs/${id}/answer`, { answer });
    if (answered.status !== 200) throw new Error(`answering failed: ${answered.text}`);
    return id;
  }

  it('keeps private and group handoffs apart', async () => {
    const senderId = 'wxid-two-chats';
    const group = await channelAsk(senderId, '转人工，群里的课程怎么报名', { roomId: 'room-a' });
    const otherGroup = await channelAsk(senderId, '转人工，补考什么时候安排', { roomId: 'room-b' });
    const personal = await channelAsk(senderId, '转人工，我上个月的体检报告能报销吗');

    expect(group.body.reply).toBe(HANDOFF_QUEUED_TEXT);
    expect(otherGroup.body.reply).toBe(HANDOFF_QUEUED_TEXT);
    expect(personal.body.reply).toBe(HANDOFF_QUEUED_TEXT);
    expect(new Set([group, otherGroup, personal].map((reply) => reply.body.handoffId)).size).toBe(
      3,
    );
    const groupHandoff = await HandoffModel.findById(group.body.handoffId).lean();
    expect(groupHandoff?.roomId).toBe('room-a');
    expect(groupHandoff?.context.map((exchange) => exchange.question)).not.toContain(
      '我上个月的体检报告能报销吗',
    );

    const id = personal.body.handoffId ?? '';
    await admin('POST', `/handoffs/${id}/answer`, { answer: '体检报告报销请找人事部门。' });
    const outbox = await server.request<ChannelOutboxResponse>(
      'GET',
      '/api/assistant/channel-outbox',
      { token: BOT_TOKEN },
    );
    const item = outbox.body.items.find((entry) => entry.handoffId === id);
    expect(item?.roomId).toBeNull();
    expect(item?.text).toContain('我上个月的体检报告能报销吗');
    expect(outbox.body.items.some((entry) => entry.handoffId === group.body.handoffId)).toBe(false);
  });

  it('adds a follow-up only to the same conversation', async () => {
    const senderId = 'wxid-group-follow-up';
    const group = await channelAsk(senderId, '转人工', { roomId: 'room-c' });
    const sameGroup = await channelAsk(senderId, '转人工，证书怎么下载', { roomId: 'room-c' });
    const personal = await channelAsk(senderId, '转人工');

    expect(sameGroup.body.reply).toBe(HANDOFF_QUESTION_ADDED_TEXT);
    expect(sameGroup.body.handoffId).toBe(group.body.handoffId);
    expect(personal.body.reply).toBe(HANDOFF_QUEUED_TEXT);
    expect(personal.body.handoffId).not.toBe(group.body.handoffId);
  });

  it('lets exactly one of three concurrent answers win', async () => {
    for (let round = 1; round <= 3; round++) {
      const senderId = `wxid-race-${round}`;
      const queued = await channelAsk(senderId, `转人工，第${round}轮的问题`);
      const id = queued.body.handoffId ?? '';
      const answers = ['甲', '乙', '丙'].map((name) => `答复${name}${round}`);
      const responses = await Promise.all(
        answers.map((answer) => admin<HandoffView>('POST', `/handoffs/${id}/answer`, { answer })),
      );

      const winners = responses.filter((response) => response.status === 200);
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([200, 409, 409]);
      const stored = await HandoffModel.findById(id).lean();
      expect(stored?.answer).toBe(winners[0]?.body.answer);
      const outbox = await server.request<ChannelOutboxResponse>(
        'GET',
        '/api/assistant/channel-outbox',
        { token: BOT_TOKEN },
      );
      const items = outbox.body.items.filter((entry) => entry.handoffId === id);
      expect(items).toHaveLength(1);
      expect(items[0]?.text).toContain(winners[0]?.body.answer ?? 'no winner');
    }
  });

  it('leaves a handoff saveable after a failed save', async () => {
    const paraphraseId = await answeredHandoff(
      'wxid-save-typo',
      '学习平台账号密码都忘了咋登',
      '请用微信登录，不需要账号密码。',
    );
    const unknown = await admin<ApiErrorBody>('POST', `/handoffs/${paraphraseId}/save-to-faq`, {
      mode: 'paraphrase',
      entryCode: 'login-999',
    });
    const retried = await admin<FaqEntryView>('POST', `/handoffs/${paraphraseId}/save-to-faq`, {
      mode: 'paraphrase',
      entryCode: 'login-002',
    });
    expect(unknown.status).toBe(404);
    expect(retried.status).toBe(200);
    expect(retried.body.paraphrases).toContain('学习平台账号密码都忘了咋登');

    const entryId = await answeredHandoff('wxid-save-taken', '食堂几点开门', '食堂早上七点开门。');
    const taken = await admin<ApiErrorBody>('POST', `/handoffs/${entryId}/save-to-faq`, {
      mode: 'new_entry',
      code: 'login-002',
      category: '其他',
    });
    const free = await admin<FaqEntryView>('POST', `/handoffs/${entryId}/save-to-faq`, {
      mode: 'new_entry',
      code: 'canteen-101',
      category: '其他',
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.id).toBe('faq_entry_exists');
    expect(free.status).toBe(200);
    expect(free.body.answer).toBe('食堂早上七点开门。');
    const twice = await admin<ApiErrorBody>('POST', `/handoffs/${entryId}/save-to-faq`, {
      mode: 'new_entry',
      code: 'canteen-102',
      category: '其他',
    });
    expect(twice.status).toBe(409);
    expect(twice.body.error.id).toBe('handoff_state_conflict');
  });

  it('rejects a paraphrase of a disabled entry', async () => {
    const id = await answeredHandoff(
      'wxid-save-disabled',
      '客服几点下班',
      '客服工作日九点到六点在线。',
    );
    await admin('POST', '/faq/help-005/disable');
    try {
      const rejected = await admin<ApiErrorBody>('POST', `/handoffs/${id}/save-to-faq`, {
        mode: 'paraphrase',
        entryCode: 'help-005',
      });
      expect(rejected.status).toBe(409);
      expect(rejected.body.error.id).toBe('faq_entry_disabled');
      expect(rejected.body.error.message).toContain('/faq/help-005/enable');
      const entry = await admin<FaqEntryView>('GET', '/faq/help-005');
      expect(entry.body.paraphrases).not.toContain('客服几点下班');
    } finally {
      await admin('POST', '/faq/help-005/enable');
    }
    const saved = await admin<FaqEntryView>('POST', `/handoffs/${id}/save-to-faq`, {
      mode: 'paraphrase',
      entryCode: 'help-005',
    });
    expect(saved.status).toBe(200);
    expect(saved.body.paraphrases).toContain('客服几点下班');
  });
});

describe('rate limit on chat channels', () => {
  it('replies once per window to a flood', async () => {
    const logStart = server.logLines.length;
    const allowed: (string | null)[] = [];
    for (let count = 0; count < QUESTIONS_PER_MINUTE; count++) {
      allowed.push((await channelAsk('wxid-flood', '忘记密码怎么办')).body.kind);
    }
    const limited: ChannelAskResponse[] = [];
    for (let count = 0; count < 5; count++) {
      limited.push((await channelAsk('wxid-flood', '忘记密码怎么办')).body);
    }

    expect(allowed.every((kind) => kind === 'answer')).toBe(true);
    expect(limited.map((reply) => reply.kind)).toEqual(Array(5).fill('rate_limited'));
    expect(limited.map((reply) => reply.reply)).toEqual([
      RATE_LIMITED_MESSAGE,
      null,
      null,
      null,
      null,
    ]);
    const dropped = server.logLines
      .slice(logStart)
      .map((line) => JSON.parse(line) as { msg: string; senderId?: string; notified?: boolean })
      .filter((line) => line.msg === 'chat message dropped by rate limit');
    expect(dropped.map((line) => line.senderId)).toEqual(Array(5).fill('wxid-flood'));
    expect(dropped.map((line) => line.notified)).toEqual([true, false, false, false, false]);
  });

  it('notifies again in the next window', async () => {
    for (let count = 0; count <= QUESTIONS_PER_MINUTE; count++) {
      await channelAsk('wxid-flood-2', '忘记密码怎么办');
    }
    clockMs += 61_000;
    const kinds: (string | null)[] = [];
    for (let count = 0; count < QUESTIONS_PER_MINUTE; count++) {
      kinds.push((await channelAsk('wxid-flood-2', '忘记密码怎么办')).body.kind);
    }
    const limited = await channelAsk('wxid-flood-2', '忘记密码怎么办');

    expect(kinds.every((kind) => kind === 'answer')).toBe(true);
    expect(limited.body.reply).toBe(RATE_LIMITED_MESSAGE);
  });
});

describe('"don\'t know" replies on chat channels', () => {
  /** Numbered suggestion lines of a chat reply. */
  const suggestionLines = (reply: string | null) =>
    (reply ?? '')
      .split('\n')
      .filter((line) => /^\d\. /.test(line))
      .map((line) => line.slice(3));

  it.each([
    ['English', 'how to get certificate'],
    ['pinyin', 'zhengshu zenme xiazai'],
  ])('list popular questions for %s', async (_label, question) => {
    messageCount++;
    const response = await channelAsk(`wxid-latin-${messageCount}`, question);

    expect(response.body.kind).toBe('dont_know');
    expect(response.body.reply?.startsWith(NOT_CHINESE_TEXT)).toBe(true);
    expect(response.body.reply?.endsWith(PERSON_HINT_TEXT)).toBe(true);
    const suggested = suggestionLines(response.body.reply);
    expect(suggested).toHaveLength(3);
    const password = await FaqEntryModel.findOne({ code: 'login-002' }).orFail().lean();
    // 忘记密码怎么办 is the most answered question of this file by far (the flood tests).
    expect(suggested[0]).toBe(password.standardQuestion);
    const enabled = await FaqEntryModel.find({ enabled: true }).distinct('standardQuestion');
    for (const line of suggested) expect(enabled).toContain(line);
  });

  it('keep matched suggestions in Chinese', async () => {
    const response = await channelAsk('wxid-vague', '考试的事情');

    expect(response.body.kind).toBe('dont_know');
    expect(response.body.reply).not.toContain(NO_MATCH_TEXT);
    expect(suggestionLines(response.body.reply).length).toBeGreaterThan(0);
  });
});

describe('operator FAQ routes', () => {
  it('reject a caller without an operator grant', async () => {
    const learner = await admin('GET', '/faq', undefined, alice.token);
    const anonymous = await server.request('GET', '/api/admin/assistant/faq');

    expect(learner.status).toBe(403);
    expect(anonymous.status).toBe(401);
  });

  it('create, change, disable and enable an entry', async () => {
    const entry = {
      code: 'canteen-001',
      category: '其他',
      standardQuestion: '培训期间食堂几点开饭？',
      paraphrases: ['培训班吃饭时间'],
      answer: '午餐 11:30 开始。',
    };
    const created = await admin<FaqEntryView>('POST', '/faq', entry);
    const duplicate = await admin('POST', '/faq', entry);
    expect(created.status).toBe(201);
    expect(duplicate.status).toBe(409);

    const changed = await admin<FaqEntryView>('PATCH', '/faq/canteen-001', {
      answer: '午餐 11:45 开始。',
    });
    expect(changed.body.answer).toBe('午餐 11:45 开始。');
    expect((await channelAsk('wxid-canteen', '培训班吃饭时间')).body.reply).toBe(
      '午餐 11:45 开始。',
    );

    const disabled = await admin<FaqEntryView>('POST', '/faq/canteen-001/disable');
    expect(disabled.body.enabled).toBe(false);
    expect((await channelAsk('wxid-canteen-2', '培训班吃饭时间')).body.kind).not.toBe('answer');

    await admin('POST', '/faq/canteen-001/enable');
    expect((await channelAsk('wxid-canteen-3', '培训班吃饭时间')).body.kind).toBe('answer');
    const missing = await admin('PATCH', '/faq/nothing-001', { answer: 'x' });
    expect(missing.status).toBe(404);
  });

  it('set and delete synonyms', async () => {
    const set = await admin<{ term: string; synonyms: string[] }>('PUT', '/synonyms/食堂', {
      synonyms: ['饭堂', '餐厅'],
    });
    expect(set.body.synonyms).toEqual(['饭堂', '餐厅']);
    expect((await channelAsk('wxid-synonym', '培训期间饭堂几点开饭')).body.kind).toBe('answer');

    const removed = await admin('DELETE', '/synonyms/食堂');
    const again = await admin('DELETE', '/synonyms/食堂');
    expect(removed.status).toBe(204);
    expect(again.status).toBe(404);
  });

  it('report unanswered questions of a period', async () => {
    const from = new Date(clockMs).toISOString();
    await channelAsk('wxid-report', '宿舍能带宠物吗');
    clockMs += 60_000;
    const to = new Date(clockMs).toISOString();
    const report = await admin<UnansweredQuestionListResponse>(
      'GET',
      `/unanswered?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    );
    const invalid = await admin(
      'GET',
      `/unanswered?from=${encodeURIComponent(to)}&to=${encodeURIComponent(from)}`,
    );

    expect(report.status).toBe(200);
    expect(report.body.items.map((item) => item.example)).toEqual(['宿舍能带宠物吗']);
    expect(invalid.status).toBe(400);
  });
});
