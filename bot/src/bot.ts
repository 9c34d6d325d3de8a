// The service bot: receives chat messages through a Wechaty puppet, asks the server's answering
// service and replies, and sends operators' answers from the server's outbox.
import { LRUCache } from 'lru-cache';
import { types, type Message, type Wechaty } from 'wechaty';
import type { Logger } from './logger.js';
import type { ServerClient } from './server-client.js';

/** Message ids remembered for deduplication; older ids are forgotten first. */
export const DEDUP_CAPACITY = 10_000;

export interface ServiceBotOptions {
  wechaty: Wechaty;
  client: Pick<ServerClient, 'ask' | 'revokeGroupCodes' | 'outbox' | 'ack'>;
  logger: Logger;
  /** Milliseconds between outbox polls. */
  outboxPollMs: number;
  dedupCapacity?: number;
}

/** Longest message text the server's channel route accepts. */
export const MAX_TEXT_LENGTH = 4000;

/**
 * Text sent once for a message that got no reply from the server: the call failed after its retry,
 * or the retry found the first call still being processed.
 */
export const SERVER_FAILED_REPLY = '抱歉，系统繁忙，请稍后再问。';

// Eight digits not inside a longer number, as in the server's binding code check.
const EIGHT_DIGITS = /(?<!\d)\d{8}(?!\d)/u;

/** Text sent to a one-to-one chat for a message that is not text. */
export const TEXT_ONLY_REPLY = '暂时只能回答文字消息，请用文字描述您的问题。';

/**
 * Handles chat messages and the outbox. It ignores its own messages, answers in group chats only
 * when mentioned, and handles each message id once. A binding code quoted in any group message is
 * sent to the server to be revoked. An error in a handler is logged with the message and contact
 * ids and never stops the bot. A message that gets no reply because the server call failed gets
 * SERVER_FAILED_REPLY.
 */
export class ServiceBot {
  private readonly seen: LRUCache<string, true>;
  private readonly inFlight = new Set<Promise<void>>();
  /** Last message handled per conversation, so replies keep the order of the messages. */
  private readonly conversations = new Map<string, Promise<void>>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly options: ServiceBotOptions) {
    this.seen = new LRUCache({ max: options.dedupCapacity ?? DEDUP_CAPACITY });
  }

  /** Subscribes to messages and starts polling the outbox. */
  start(): void {
    this.stopped = false;
    this.options.wechaty.on('message', (message: Message) => {
      const handled = this.receiveInOrder(message);
      this.inFlight.add(handled);
      void handled.finally(() => this.inFlight.delete(handled));
    });
    this.schedulePoll();
  }

  /** Stops polling and waits for the messages and the poll being handled. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    await Promise.allSettled([...this.inFlight, this.polling]);
  }

  /**
   * Handles a message after the earlier messages of its conversation (sender and room), so quick
   * successive questions are answered in order. Different conversations run concurrently.
   */
  private receiveInOrder(message: Message): Promise<void> {
    const key = `${message.talker().id}\u0000${message.room()?.id ?? ''}`;
    const previous = this.conversations.get(key) ?? Promise.resolve();
    const handled = previous.then(() => this.receive(message));
    this.conversations.set(key, handled);
    void handled.finally(() => {
      if (this.conversations.get(key) === handled) this.conversations.delete(key);
    });
    return handled;
  }

  /** Handles one message event; never rejects. */
  async receive(message: Message): Promise<void> {
    try {
      await this.handleMessage(message);
    } catch (error) {
      this.options.logger.error(
        { err: error, messageId: message.id, contactId: message.talker().id },
        'bot message handler failed',
      );
    }
  }

  private async handleMessage(message: Message): Promise<void> {
    if (message.self()) return;
    if (this.seen.has(message.id)) {
      this.options.logger.info({ messageId: message.id }, 'bot message is a repeat, ignored');
      return;
    }
    this.seen.set(message.id, true);

    const room = message.room();
    const talker = message.talker();
    if (room && !(await message.mentionSelf())) {
      await this.revokeGroupCodes(message);
      return;
    }
    if (message.type() !== types.Message.Text) {
      if (!room) await message.say(TEXT_ONLY_REPLY);
      return;
    }
    const fullText = room ? await message.mentionText() : message.text();
    // The server takes at most MAX_TEXT_LENGTH characters and answers anything over its question
    // limit with a polite "too long" reply, so a longer message is cut instead of rejected.
    const text = fullText.slice(0, MAX_TEXT_LENGTH);

    let response: Awaited<ReturnType<ServerClient['ask']>>;
    try {
      response = await this.options.client.ask({
        channel: 'wechaty',
        senderId: talker.id,
        ...(room ? { roomId: room.id } : {}),
        messageId: message.id,
        text,
      });
    } catch (error) {
      // The learner gets an apology instead of silence; receive() then logs the error.
      await this.sendApology(message, 'server call failed');
      throw error;
    }
    if (response.kind === 'duplicate' && response.reply === null) {
      // This bot has not seen the message id before (see `seen`), so the server is still processing
      // an earlier call for it that timed out here, and that reply will never be sent.
      await this.sendApology(message, 'server still processing a timed-out call');
      return;
    }
    if (response.reply === null) {
      // A repeat still being processed, or a rate-limited message after the first notice.
      this.options.logger.debug(
        { messageId: message.id, contactId: talker.id, kind: response.kind },
        'bot sends no reply',
      );
      return;
    }
    if (room) await room.say(response.reply, talker);
    else await message.say(response.reply);
    this.options.logger.info(
      { messageId: message.id, contactId: talker.id, roomId: room?.id, kind: response.kind },
      'bot replied',
    );
  }

  /**
   * Lets the server revoke a binding code quoted in a group message that does not mention the bot,
   * because every member can read it, and posts the server's warning when one was revoked. Other
   * group messages without a mention are never sent to the server.
   */
  private async revokeGroupCodes(message: Message): Promise<void> {
    const room = message.room();
    if (!room || message.type() !== types.Message.Text) return;
    const text = message.text().slice(0, MAX_TEXT_LENGTH);
    if (!EIGHT_DIGITS.test(text.normalize('NFKC'))) return;
    const talker = message.talker();
    const result = await this.options.client.revokeGroupCodes({
      channel: 'wechaty',
      senderId: talker.id,
      roomId: room.id,
      text,
    });
    if (result.reply === null) return;
    await room.say(result.reply, talker);
    this.options.logger.info(
      { messageId: message.id, contactId: talker.id, roomId: room.id },
      'bot warned a group about a revoked binding code',
    );
  }

  /**
   * Sends SERVER_FAILED_REPLY for a message that gets no reply, and logs why. A failure to send
   * it is logged and not raised, so the caller's own error is the one reported.
   */
  private async sendApology(message: Message, reason: string): Promise<void> {
    const room = message.room();
    const talker = message.talker();
    const ids = { messageId: message.id, contactId: talker.id, roomId: room?.id };
    this.options.logger.warn({ ...ids, reason }, 'bot sends an apology for an unanswered message');
    try {
      if (room) await room.say(SERVER_FAILED_REPLY, talker);
      else await message.say(SERVER_FAILED_REPLY);
    } catch (error) {
      this.options.logger.error({ ...ids, err: error }, 'bot apology not sent');
    }
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.pollTimer = setTimeout(() => {
      this.polling = this.pollOutbox()
        .then(() => undefined)
        .catch((error: unknown) => {
          this.options.logger.error({ err: error }, 'bot outbox poll failed');
        })
        .finally(() => {
          this.polling = undefined;
          this.schedulePoll();
        });
    }, this.options.outboxPollMs);
  }

  /**
   * Sends every answer waiting in the outbox and reports each send to the server. Returns the
   * number sent. A failed send is reported as failed; the server offers it again until its retry
   * limit. NOTE: a bot that stops between sending and reporting sends that answer again.
   */
  async pollOutbox(): Promise<number> {
    const { items } = await this.options.client.outbox();
    let sent = 0;
    for (const item of items) {
      try {
        const contact = await this.options.wechaty.Contact.find({ id: item.senderId });
        if (!contact) throw new Error(`contact ${item.senderId} not found`);
        const room = item.roomId
          ? await this.options.wechaty.Room.find({ id: item.roomId })
          : undefined;
        if (item.roomId && !room) throw new Error(`room ${item.roomId} not found`);
        if (room) await room.say(item.text, contact);
        else await contact.say(item.text);
        await this.options.client.ack(item.handoffId, { delivered: true });
        sent += 1;
        this.options.logger.info(
          { handoffId: item.handoffId, contactId: item.senderId, roomId: item.roomId },
          'bot delivered an operator answer',
        );
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.options.logger.error(
          { handoffId: item.handoffId, contactId: item.senderId, error: reason },
          'bot could not deliver an operator answer',
        );
        await this.options.client
          .ack(item.handoffId, { delivered: false, error: reason })
          .catch((ackError: unknown) =>
            this.options.logger.error(
              { handoffId: item.handoffId, err: ackError },
              'bot delivery report failed',
            ),
          );
      }
    }
    return sent;
  }
}
