// Replies to one chat message on the official account or the bot: binding codes, then the
// assistant (intents and FAQ), then the handoff to a person when the asker requests one or gets two
// "don't know" replies in a row.
import type { AssistantChannel, ChannelReplyKind, CourseLink } from '@wxlearn/api-types';
import type { Types } from 'mongoose';
import type { Logger } from '../../logger.js';
import { replyText } from './assistant.presenter.js';
import { askFromChannel, isPersonRequest } from './assistant.service.js';
import {
  CHAT_BINDING_IN_GROUP_TEXT,
  CHAT_BINDING_INVALID_TEXT,
  CHAT_BINDING_LIMITED_TEXT,
  CHAT_BOUND_TEXT,
  parseBindingCode,
  redeemChatBindingCode,
  resolveChatLearner,
} from './chat-binding.service.js';
import { followsDontKnow, openHandoff, type HandoffAsker } from './handoff.service.js';

export const HANDOFF_QUEUED_TEXT = '已为您转接人工客服，客服回复后会在这里通知您，请耐心等待。';
export const HANDOFF_AFTER_DONT_KNOW_TEXT =
  '这个问题我暂时回答不了，已为您转接人工客服，客服回复后会在这里通知您。';
export const HANDOFF_ALREADY_QUEUED_TEXT =
  '您的问题已在人工客服的队列中，客服回复后会在这里通知您，请耐心等待。';
/** Added to a "don't know" reply on chat channels, where a person can take over. */
export const PERSON_HINT_TEXT = '如需人工帮助，请发送"转人工"。';

export interface ChannelMessage {
  channel: AssistantChannel;
  senderId: string;
  /** The group chat of the message, or null for a one-to-one chat. */
  roomId: string | null;
  text: string;
  /**
   * The learner the sender is known to be, when the channel already knows it (an official-account
   * follower joined to a learner). Otherwise the sender's chat identity is looked up.
   */
  learnerId?: Types.ObjectId | null;
}

export interface ChannelReply {
  kind: Exclude<ChannelReplyKind, 'duplicate'>;
  text: string;
  courses: CourseLink[];
  handoffId: string | null;
}

export interface ChannelReplyOptions {
  now: Date;
  logger: Logger;
  /** Renders course links as mini-program links (official account); see ReplyTextOptions. */
  miniProgramAppId?: string;
}

async function replyToBindingCode(
  message: ChannelMessage,
  code: string,
  options: ChannelReplyOptions,
): Promise<ChannelReply> {
  const reply = (text: string): ChannelReply => ({
    kind: 'binding',
    text,
    courses: [],
    handoffId: null,
  });
  if (message.roomId !== null) return reply(CHAT_BINDING_IN_GROUP_TEXT);
  const result = await redeemChatBindingCode(
    message.channel,
    message.senderId,
    code,
    options.now,
    options.logger,
  );
  if (result.kind === 'bound') return reply(CHAT_BOUND_TEXT);
  return reply(
    result.kind === 'rate_limited' ? CHAT_BINDING_LIMITED_TEXT : CHAT_BINDING_INVALID_TEXT,
  );
}

/** Returns the reply to one chat message. */
export async function replyToChannelMessage(
  message: ChannelMessage,
  options: ChannelReplyOptions,
): Promise<ChannelReply> {
  const code = parseBindingCode(message.text);
  if (code !== null) return replyToBindingCode(message, code, options);

  const learnerId =
    message.learnerId ?? (await resolveChatLearner(message.channel, message.senderId));
  const result = await askFromChannel(message.channel, message.senderId, message.text, {
    now: options.now,
    logger: options.logger,
    learnerId,
    inGroup: message.roomId !== null,
  });
  if (result.kind === 'rate_limited' || result.kind === 'too_long') {
    return { kind: result.kind, text: result.message, courses: [], handoffId: null };
  }

  const asker: HandoffAsker = {
    channel: message.channel,
    senderId: message.senderId,
    roomId: message.roomId,
    learnerId,
  };
  const personRequest = isPersonRequest(message.text);
  const handoverReason = personRequest
    ? ('person_request' as const)
    : result.kind === 'dont_know' && (await followsDontKnow(asker, options.now))
      ? ('repeated_dont_know' as const)
      : null;
  if (handoverReason !== null) {
    const { handoff, created } = await openHandoff(
      asker,
      handoverReason,
      message.text,
      options.now,
      options.logger,
    );
    const text = !created
      ? HANDOFF_ALREADY_QUEUED_TEXT
      : personRequest
        ? HANDOFF_QUEUED_TEXT
        : HANDOFF_AFTER_DONT_KNOW_TEXT;
    return { kind: 'handoff', text, courses: [], handoffId: handoff._id.toHexString() };
  }

  const text = replyText(result, { miniProgramAppId: options.miniProgramAppId });
  if (result.kind === 'dont_know') {
    return {
      kind: 'dont_know',
      text: `${text}\n${PERSON_HINT_TEXT}`,
      courses: [],
      handoffId: null,
    };
  }
  if (result.kind === 'intent') {
    return { kind: 'intent', text, courses: result.courses, handoffId: null };
  }
  return { kind: 'answer', text, courses: [], handoffId: null };
}

/**
 * Returns the function that replies to official-account text messages with the assistant, with
 * course links that open the mini-program.
 */
export function createOfficialAccountAnswerer(miniProgramAppId: string, logger: Logger) {
  return async (question: {
    openid: string;
    learnerId: Types.ObjectId | null;
    text: string;
  }): Promise<string> => {
    const reply = await replyToChannelMessage(
      {
        channel: 'official_account',
        senderId: question.openid,
        roomId: null,
        text: question.text,
        learnerId: question.learnerId,
      },
      { now: new Date(), logger, miniProgramAppId },
    );
    return reply.text;
  };
}
