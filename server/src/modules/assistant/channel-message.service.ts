import type { AssistantChannel } from '@wxlearn/api-types';
import { isDuplicateKeyError } from '../../db/errors.js';
import type { Logger } from '../../logger.js';
import { ChannelMessageModel } from './channel-message.model.js';
import type { ChannelReply } from './conversation.service.js';

/** The reply to a chat message, or `duplicate` with no text for a repeat still being answered. */
export type ChannelOutcome =
  ChannelReply | { kind: 'duplicate'; text: null; courses: []; handoffId: null };

/**
 * Replies to a chat message once per message id. The first delivery claims the id with an insert
 * under a unique index and stores its reply; a repeat gets that stored reply, or `duplicate` while
 * the first is still being answered. A failed reply releases the id, so a retry answers again.
 */
export async function replyOnce(
  channel: AssistantChannel,
  messageId: string,
  senderId: string,
  now: Date,
  logger: Logger,
  reply: () => Promise<ChannelReply>,
): Promise<ChannelOutcome> {
  try {
    await ChannelMessageModel.create({
      channel,
      messageId,
      senderId,
      state: 'processing',
      receivedAt: now,
    });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const stored = await ChannelMessageModel.findOne({ channel, messageId }).lean();
    // A message id reused by another sender is not a repeat: never show one sender's reply to
    // another. It is turned away like a repeat still being answered.
    if (stored && stored.senderId !== senderId) {
      logger.warn({ messageId, senderId }, 'chat message id reused by another sender');
      return { kind: 'duplicate', text: null, courses: [], handoffId: null };
    }
    logger.info({ state: stored?.state }, 'chat message is a repeat');
    if (stored?.state === 'replied' && stored.reply !== null && stored.kind !== null) {
      return {
        kind: stored.kind as ChannelReply['kind'],
        text: stored.reply,
        courses: [],
        handoffId: null,
      };
    }
    return { kind: 'duplicate', text: null, courses: [], handoffId: null };
  }

  let outcome: ChannelReply;
  try {
    outcome = await reply();
  } catch (error) {
    await ChannelMessageModel.deleteOne({ channel, messageId, state: 'processing' });
    throw error;
  }
  await ChannelMessageModel.updateOne(
    { channel, messageId },
    { $set: { state: 'replied', kind: outcome.kind, reply: outcome.text } },
  );
  return outcome;
}
