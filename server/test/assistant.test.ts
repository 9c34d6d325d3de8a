import type { AnswerReply, ApiErrorBody, AskResponse } from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistantQuestionModel } from '../src/modules/assistant/assistant-question.model.js';
import { replyText } from '../src/modules/assistant/assistant.presenter.js';
import {
  askFromChannel,
  type AnswerResult,
  listUnansweredQuestions,
  markAskedForPerson,
  MAX_QUESTION_CHARS,
  QUESTIONS_PER_MINUTE,
  TOO_LONG_MESSAGE,
} from '../src/modules/assistant/assistant.service.js';
import { FaqEntryModel } from '../src/modules/assistant/faq-entry.model.js';
import { DEFAULT_FAQ_SCORING } from '../src/modules/assistant/faq-index.js';
import { FaqSynonymModel } from '../src/modules/assistant/faq-synonym.model.js';
import { startAssistantTestServer } from './assistant-support.js';
import type { TestServer } from './harness.js';

let server: TestServer;
/** Server clock in epoch ms, read by every request. */
let clockMs = Date.parse('2025-03-03T01:00:00Z');
let learnerCount = 0;

beforeAll(async () => {
  server = await startAssistantTestServer({ now: () => new Date(clockMs) });
});

afterAll(async () => {
  await server?.close();
});

/** Signs in a learner of its own, so rate limits and logs of tests do not mix. */
async function newLearner(): Promise<{ token: string; learnerId: string }> {
  learnerCount++;
  const token = await server.loginAs(`assistant-${learnerCount}`);
  const me = await server.request<{ id: string }>('GET', '/api/me', { token });
  return { token, learnerId: me.body.id };
}

function askAs(token: string | undefined, question: unknown) {
  return server.request<AskResponse & ApiErrorBody>('POST', '/api/assistant/ask', {
    token,
    body: { question },
  });
}

/** Checks that a reply is an answer and returns it. */
function answerOf(reply: AskResponse): AnswerReply {
  expect(reply.kind).toBe('answer');
  return reply as AnswerReply;
}

async function entryId(code: string): Promise<string> {
  const entry = await FaqEntryModel.findOne({ code }).orFail().lean();
  return entry._id.toString();
}

describe('POST /api/assistant/ask', () => {
  it('rejects a request without a token', async () => {
    const response = await askAs(undefined, '忘记密码怎么办');

    expect(response.status).toBe(401);
    expect(response.body.error.id).toBe('unauthenticated');
  });

  it('answers a question from the knowledge base', async () => {
    const { token } = await newLearner();
    const response = await askAs(token, '我忘了登录密码，咋办？');

    expect(response.status).toBe(200);
    expect(response.body.kind).toBe('answer');
    if (response.body.kind !== 'answer') return;
    expect(response.body.entryId).toBe(await entryId('login-002'));
    expect(response.body.question).toBe('忘记密码怎么办？');
    expect(response.body.answer).toContain('没有单独的账号密码');
    expect(response.body.confidence).toBeGreaterThanOrEqual(DEFAULT_FAQ_SCORING.threshold);
    expect(response.body.confidence).toBeLessThanOrEqual(1);
  });

  it('suggests questions when unsure', async () => {
    const { token } = await newLearner();
    const response = await askAs(token, '考试的事情');

    expect(response.status).toBe(200);
    expect(response.body.kind).toBe('dont_know');
    if (response.body.kind !== 'dont_know') return;
    expect(response.body.suggestions.length).toBeGreaterThan(0);
    expect(response.body.suggestions.length).toBeLessThanOrEqual(3);
    const quizIds = await FaqEntryModel.find({ category: '测验' }).distinct('_id');
    const quizIdTexts = quizIds.map((id) => id.toString());
    for (const suggestion of response.body.suggestions) {
      expect(quizIdTexts).toContain(suggestion.entryId);
      expect(suggestion.question).not.toBe('');
    }
  });

  it('does not know an unrelated question', async () => {
    const { token } = await newLearner();
    const response = await askAs(token, '今天天气怎么样');

    expect(response.status).toBe(200);
    expect(response.body.kind).toBe('dont_know');
  });

  it('suggests popular questions for English', async () => {
    const { token } = await newLearner();
    const response = await askAs(token, 'how to get certificate');

    expect(response.status).toBe(200);
    expect(response.body.kind).toBe('dont_know');
    if (response.body.kind !== 'dont_know') return;
    expect(response.body.suggestions).toHaveLength(3);
    const enabledIds = await FaqEntryModel.find({ enabled: true }).distinct('_id');
    const enabledIdTexts = enabledIds.map((id) => id.toString());
    for (const suggestion of response.body.suggestions) {
      expect(enabledIdTexts).toContain(suggestion.entryId);
    }
  });

  it('replies politely to a question over the length limit', async () => {
    const { token } = await newLearner();
    const response = await askAs(token, '学'.repeat(MAX_QUESTION_CHARS + 1));

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ kind: 'too_long', message: TOO_LONG_MESSAGE });
  });

  it('answers a question of exactly the length limit', async () => {
    const { token } = await newLearner();
    const question = '忘记密码怎么办'.padEnd(MAX_QUESTION_CHARS, '。');
    const response = await askAs(token, question);

    expect(response.status).toBe(200);
    expect(response.body.kind).toBe('answer');
  });

  it.each([
    ['a blank question', '   '],
    ['a number', 42],
  ])('rejects %s', async (_label, question) => {
    const { token } = await newLearner();
    const response = await askAs(token, question);

    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
  });

  it('limits questions per learner and minute', async () => {
    const { token } = await newLearner();
    const other = await newLearner();
    for (let count = 0; count < QUESTIONS_PER_MINUTE; count++) {
      const response = await askAs(token, '学时在哪看');
      expect(response.status).toBe(200);
    }

    const limited = await askAs(token, '学时在哪看');
    expect(limited.status).toBe(429);
    expect(limited.body.error.id).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);

    const otherLearner = await askAs(other.token, '学时在哪看');
    expect(otherLearner.status).toBe(200);

    clockMs += 61_000;
    const later = await askAs(token, '学时在哪看');
    expect(later.status).toBe(200);
  });

  it('logs each question with its reply', async () => {
    const { token, learnerId } = await newLearner();
    await askAs(token, '倍速播放算学时吗');
    await askAs(token, '红烧肉怎么做');
    await askAs(token, '长'.repeat(MAX_QUESTION_CHARS + 5));

    const records = await AssistantQuestionModel.find({ learnerId })
      .sort({ createdAt: 1, _id: 1 })
      .lean();
    expect(records.map((record) => record.outcome)).toEqual(['answered', 'dont_know', 'too_long']);

    const [answered, unknown, tooLong] = records;
    expect(answered?.channel).toBe('mini_program');
    expect(answered?.entryCode).toBe('hours-006');
    expect(answered?.entryId?.toString()).toBe(await entryId('hours-006'));
    expect(answered?.confidence).toBeGreaterThanOrEqual(DEFAULT_FAQ_SCORING.threshold);
    expect(answered?.askedForPerson).toBe(false);
    expect(unknown?.entryId).toBeNull();
    expect(unknown?.question).toBe('红烧肉怎么做');
    expect(tooLong?.question).toHaveLength(MAX_QUESTION_CHARS);
  });

  it('marks the previous question when the learner asks for a person', async () => {
    const { token, learnerId } = await newLearner();
    await askAs(token, '学时为什么少了');
    const person = await askAs(token, '转人工');

    expect(answerOf(person.body).entryId).toBe(await entryId('help-001'));
    const records = await AssistantQuestionModel.find({ learnerId })
      .sort({ createdAt: 1, _id: 1 })
      .lean();
    expect(records.map((record) => record.askedForPerson)).toEqual([true, false]);
    expect(records.map((record) => record.personRequest)).toEqual([false, true]);
  });

  it('uses an edited answer on the next question', async () => {
    const { token } = await newLearner();
    await FaqEntryModel.updateOne(
      { code: 'pay-004' },
      { $set: { answer: '平台目前没有付费课程，不开具发票。' } },
    );
    const response = await askAs(token, '买课能开发票吗');

    expect(answerOf(response.body).answer).toBe('平台目前没有付费课程，不开具发票。');
  });

  it('stops answering with a disabled entry', async () => {
    const { token } = await newLearner();
    const before = await askAs(token, '证书在哪里下载或打印');
    await FaqEntryModel.updateOne({ code: 'cert-002' }, { $set: { enabled: false } });
    const after = await askAs(token, '证书在哪里下载或打印');
    await FaqEntryModel.updateOne({ code: 'cert-002' }, { $set: { enabled: true } });

    const disabledId = await entryId('cert-002');
    expect(answerOf(before.body).entryId).toBe(disabledId);
    expect(after.body.kind === 'answer' ? after.body.entryId : null).not.toBe(disabledId);
  });

  it('uses an added synonym on the next question', async () => {
    const { token } = await newLearner();
    const before = await askAs(token, '学堂小助手能做什么');
    await FaqSynonymModel.create({ term: '智能助手', synonyms: ['学堂小助手'] });
    const after = await askAs(token, '学堂小助手能做什么');

    const confidenceBefore = before.body.kind === 'answer' ? before.body.confidence : 0;
    expect(answerOf(after.body).entryId).toBe(await entryId('help-004'));
    expect(answerOf(after.body).confidence).toBeGreaterThan(confidenceBefore);
  });
});

describe('askFromChannel', () => {
  const options = () => ({ now: new Date(clockMs), logger: server.deps.logger });

  it('answers a chat sender and logs the sender', async () => {
    const result = await askFromChannel(
      'bot',
      'wxid-sender-1',
      '换手机后学习记录还在吗',
      options(),
    );

    expect(result.kind).toBe('answer');
    expect((result as AnswerResult).code).toBe('login-008');
    const record = await AssistantQuestionModel.findOne({ senderId: 'wxid-sender-1' }).lean();
    expect(record?.channel).toBe('bot');
    expect(record?.learnerId).toBeNull();
  });

  it('limits each sender of a channel', async () => {
    for (let count = 0; count < QUESTIONS_PER_MINUTE; count++) {
      await askFromChannel('official_account', 'openid-busy', '学时', options());
    }
    const limited = await askFromChannel('official_account', 'openid-busy', '学时', options());
    const otherChannel = await askFromChannel('bot', 'openid-busy', '学时', options());

    expect(limited.kind).toBe('rate_limited');
    expect(replyText(limited)).toContain('稍等');
    expect(otherChannel.kind).toBe('answer');
  });

  it('marks a question when a person is requested another way', async () => {
    const now = new Date(clockMs);
    await askFromChannel('bot', 'wxid-sender-2', '视频播放不了', { ...options(), now });
    const marked = await markAskedForPerson({ channel: 'bot', senderId: 'wxid-sender-2' }, now);
    const unknownSender = await markAskedForPerson({ channel: 'bot', senderId: 'nobody' }, now);

    expect(marked).toBe(true);
    expect(unknownSender).toBe(false);
    const record = await AssistantQuestionModel.findOne({ senderId: 'wxid-sender-2' }).lean();
    expect(record?.askedForPerson).toBe(true);
  });

  it('renders suggestions as chat text', async () => {
    const result = await askFromChannel('bot', 'wxid-sender-3', '考试的事情', options());
    const text = replyText(result);

    expect(result.kind).toBe('dont_know');
    expect(text).toContain('您是不是想问');
    expect(text).toContain('1. ');
  });
});

describe('listUnansweredQuestions', () => {
  it('groups unanswered questions by normalised text', async () => {
    const from = new Date('2025-06-01T00:00:00Z');
    const at = (minute: number) => ({
      now: new Date(from.getTime() + minute * 60_000),
      logger: server.deps.logger,
    });
    await askFromChannel('bot', 'report-1', '食堂几点开饭？', at(1));
    await askFromChannel('bot', 'report-2', '食堂 几点开饭呢', at(2));
    await askFromChannel('bot', 'report-3', '停车场在哪', at(3));
    await askFromChannel('bot', 'report-4', '忘记密码怎么办', at(4));
    await askFromChannel('bot', 'report-4', '人工', at(5));

    const report = await listUnansweredQuestions({ from, to: at(10).now });

    expect(report.map((line) => [line.questionKey, line.count])).toEqual([
      ['食堂几点开饭', 2],
      ['停车场在哪', 1],
      ['忘记密码怎么办', 1],
    ]);
    expect(report[0]?.example).toBe('食堂 几点开饭呢');
    expect(report[0]?.askedForPersonCount).toBe(0);
    expect(report[2]?.askedForPersonCount).toBe(1);
  });

  it('leaves out questions outside the period', async () => {
    const report = await listUnansweredQuestions({
      from: new Date('2025-07-01T00:00:00Z'),
      to: new Date('2025-08-01T00:00:00Z'),
    });

    expect(report).toEqual([]);
  });
});
