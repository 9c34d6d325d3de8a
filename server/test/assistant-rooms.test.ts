// A chat sender's one-to-one chat and each group chat are separate conversations: the context and
// question of a handoff, and the run of "don't know" replies that opens one, come from the
// conversation of the message only.
import type { ChannelAskResponse, ChannelOutboxResponse, HandoffView } from '@wxlearn/api-types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AssistantQuestionModel } from '../src/modules/assistant/assistant-question.model.js';
import { questionKey } from '../src/modules/assistant/faq-text.js';
import { HandoffModel } from '../src/modules/assistant/handoff.model.js';
import { postChannelAsk, seedOperator, startAssistantTestServer } from './assistant-support.js';
import { createOrgPath } from './builders.js';
import type { TestServer } from './harness.js';

const BOT_TOKEN = 'bot-service-token-rooms-0123456789abcdef';
/** Questions that match no entry of the platform FAQ, so each gets "don't know". */
const CANTEEN = '食堂今天吃什么';
const PARKING = '停车场在哪';
const SHUTTLE = '单位班车几点发车';

let server: TestServer;
/** Server clock in epoch ms. Each test starts 11 minutes after the previous one. */
let clockMs = Date.parse('2025-06-02T02:00:00Z');
let messageCount = 0;
let operatorToken: string;

beforeAll(async () => {
  server = await startAssistantTestServer({ botToken: BOT_TOKEN, now: () => new Date(clockMs) });

  const city = await createOrgPath('rooms');
  operatorToken = await seedOperator(server, 'rooms-operator', 'OPR01', '欧运营', city);
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  clockMs += 11 * 60_000;
});

/** Sends one bot message, one second after the previous one, to the group `roomId` if given. */
function channelAsk(senderId: string, text: string, roomId?: string) {
  messageCount++;
  clockMs += 1000;
  const messageId = `rooms-msg-${messageCount}`;
  return postChannelAsk(server, BOT_TOKEN, { senderId, messageId, text, roomId });
}

async function handoffOf(response: { body: ChannelAskResponse }) {
  const id = response.body.handoffId;
  if (id === null) throw new Error(`no handoff in reply: ${JSON.stringify(response.body)}`);
  return HandoffModel.findById(id).orFail().lean();
}

describe('question log', () => {
  it('records the room of each question', async () => {
    await channelAsk('wxid-log-room', CANTEEN);
    await channelAsk('wxid-log-room', PARKING, 'room-log@chatroom');

    const personal = await AssistantQuestionModel.findOne({
      senderId: 'wxid-log-room',
      question: CANTEEN,
    }).lean();
    const group = await AssistantQuestionModel.findOne({
      senderId: 'wxid-log-room',
      question: PARKING,
    }).lean();
    expect(personal?.roomId).toBeNull();
    expect(group?.roomId).toBe('room-log@chatroom');
  });
});

describe('handoff context by conversation', () => {
  it('keeps a private question out of a group handoff', async () => {
    const senderId = 'wxid-private-first';
    const personal = await channelAsk(senderId, SHUTTLE);
    const queued = await channelAsk(senderId, '转人工', 'room-class@chatroom');

    expect(personal.body.kind).toBe('dont_know');
    expect(queued.body.kind).toBe('handoff');
    const handoff = await handoffOf(queued);
    expect(handoff.roomId).toBe('room-class@chatroom');
    expect(handoff.question).not.toBe(SHUTTLE);
    expect(handoff.context.map((exchange) => exchange.question)).not.toContain(SHUTTLE);
    const privateQuestion = await AssistantQuestionModel.findOne({
      senderId,
      question: SHUTTLE,
    }).lean();
    expect(privateQuestion?.askedForPerson).toBe(false);

    // The operator's answer goes to the group: it must not quote the private question.
    const id = handoff._id.toHexString();
    const answered = await server.request<HandoffView>(
      'POST',
      `/api/admin/assistant/handoffs/${id}/answer`,
      { token: operatorToken, body: { answer: '请说明您的问题，我们会尽快回复。' } },
    );
    expect(answered.status).toBe(200);
    const outbox = await server.request<ChannelOutboxResponse>(
      'GET',
      '/api/assistant/channel-outbox',
      { token: BOT_TOKEN },
    );
    const item = outbox.body.items.find((entry) => entry.handoffId === id);
    expect(item?.roomId).toBe('room-class@chatroom');
    expect(item?.text).not.toContain(SHUTTLE);
  });

  it('keeps a group question out of a private handoff', async () => {
    const senderId = 'wxid-group-first';
    await channelAsk(senderId, SHUTTLE, 'room-class@chatroom');
    const queued = await channelAsk(senderId, '转人工');

    const handoff = await handoffOf(queued);
    expect(handoff.roomId).toBeNull();
    expect(handoff.question).not.toBe(SHUTTLE);
    expect(handoff.context.map((exchange) => exchange.question)).not.toContain(SHUTTLE);
    const groupQuestion = await AssistantQuestionModel.findOne({
      senderId,
      question: SHUTTLE,
    }).lean();
    expect(groupQuestion?.askedForPerson).toBe(false);
  });

  it('keeps one group question out of another group handoff', async () => {
    const senderId = 'wxid-two-groups';
    await channelAsk(senderId, SHUTTLE, 'room-a@chatroom');
    const queued = await channelAsk(senderId, '转人工', 'room-b@chatroom');

    const handoff = await handoffOf(queued);
    expect(handoff.question).not.toBe(SHUTTLE);
    expect(handoff.context.map((exchange) => exchange.question)).not.toContain(SHUTTLE);
  });

  it('carries the question of the same group', async () => {
    const senderId = 'wxid-same-group';
    await channelAsk(senderId, CANTEEN);
    await channelAsk(senderId, SHUTTLE, 'room-class@chatroom');
    const queued = await channelAsk(senderId, '转人工', 'room-class@chatroom');

    const handoff = await handoffOf(queued);
    expect(handoff.question).toBe(SHUTTLE);
    expect(handoff.context.map((exchange) => exchange.question)).toEqual([SHUTTLE]);
    const groupQuestion = await AssistantQuestionModel.findOne({
      senderId,
      question: SHUTTLE,
    }).lean();
    expect(groupQuestion?.askedForPerson).toBe(true);
  });

  it('reads a log row without a room as private', async () => {
    const senderId = 'wxid-old-row';
    // A row as logged before the room was recorded: the field is absent, not null.
    await AssistantQuestionModel.collection.insertOne({
      channel: 'bot',
      learnerId: null,
      senderId,
      question: SHUTTLE,
      questionKey: questionKey(SHUTTLE),
      outcome: 'dont_know',
      entryId: null,
      entryCode: null,
      confidence: null,
      intent: null,
      suggestedCodes: [],
      personRequest: false,
      askedForPerson: false,
      createdAt: new Date(clockMs),
    });

    const group = await channelAsk(senderId, '转人工', 'room-class@chatroom');
    const personal = await channelAsk(senderId, '转人工');

    const groupHandoff = await handoffOf(group);
    const personalHandoff = await handoffOf(personal);
    expect(groupHandoff.question).not.toBe(SHUTTLE);
    expect(personalHandoff.question).toBe(SHUTTLE);
  });
});

describe('repeated "don\'t know" by conversation', () => {
  it('does not hand over two in different conversations', async () => {
    const senderId = 'wxid-split-dont-know';
    const personal = await channelAsk(senderId, CANTEEN);
    const group = await channelAsk(senderId, PARKING, 'room-class@chatroom');

    expect(personal.body.kind).toBe('dont_know');
    expect(group.body.kind).toBe('dont_know');
    expect(group.body.handoffId).toBeNull();
    expect(await HandoffModel.exists({ senderId })).toBeNull();
  });

  it('does not hand over two in different groups', async () => {
    const senderId = 'wxid-two-group-dont-know';
    await channelAsk(senderId, CANTEEN, 'room-a@chatroom');
    const second = await channelAsk(senderId, PARKING, 'room-b@chatroom');

    expect(second.body.kind).toBe('dont_know');
    expect(await HandoffModel.exists({ senderId })).toBeNull();
  });

  it('hands over two in the same group', async () => {
    const senderId = 'wxid-group-dont-know';
    await channelAsk(senderId, SHUTTLE);
    await channelAsk(senderId, CANTEEN, 'room-class@chatroom');
    const second = await channelAsk(senderId, PARKING, 'room-class@chatroom');

    expect(second.body.kind).toBe('handoff');
    const handoff = await handoffOf(second);
    expect(handoff.reason).toBe('repeated_dont_know');
    expect(handoff.roomId).toBe('room-class@chatroom');
    expect(handoff.context.map((exchange) => exchange.question)).toEqual([CANTEEN, PARKING]);
  });
});
