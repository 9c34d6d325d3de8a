import { setTimeout as sleep } from 'node:timers/promises';
import type { Types } from 'mongoose';
import type { Config } from '../../config.js';
import { isDuplicateKeyError } from '../../db/errors.js';
import { trusted } from '../../db/trusted.js';
import { wechatUnavailable } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { AccessTokenSource } from '../../wechat/access-token-source.js';
import { WechatApiError, WechatTransportError } from '../../wechat/api-client.js';
import { OfficialAccountClient } from '../../wechat/official-account-client.js';
import { buildTextReply, type OfficialAccountInbound } from '../../wechat/official-account-xml.js';
import { createOfficialAccountAnswerer } from '../assistant/conversation.service.js';
import { redeliverHandoffAnswers } from '../assistant/handoff.service.js';
import {
  recordInteraction,
  sendCustomerServiceText,
  type CustomerServiceResult,
} from './customer-service.js';
import { FollowerModel } from './follower.model.js';
import {
  bindingTokenOf,
  createLink,
  redeemLink,
  resolveFollowerIdentity,
  type CreatedLink,
} from './identity.js';
import { InboundMessageModel } from './inbound-message.model.js';
import {
  BINDING_EXPIRED_REPLY,
  BINDING_SUCCEEDED_REPLY,
  faqReply,
  textPlaceholderReply,
  unsupportedMessageReply,
  welcomeReply,
} from './replies.js';

/**
 * WeChat drops a reply that takes longer than 5 seconds and retries. Work still running at this
 * deadline sends its reply later as a customer-service message.
 */
export const REPLY_DEADLINE_MS = 4_000;
/** How long a retry waits for the first delivery's reply before it returns "success". */
export const DUPLICATE_WAIT_MS = 3_000;
const DUPLICATE_POLL_MS = 50;

/** Menu keys of click buttons, as published by the menu script. */
export const MENU_KEYS = { faq: 'FAQ' } as const;

/** Events and message types after which WeChat allows customer-service messages. */
const WINDOW_EVENTS = new Set(['subscribe', 'SCAN', 'CLICK', 'scancode_push', 'scancode_waitmsg']);

/** Function that produces the reply to a follower's text message. Null means no reply. */
export type TextAnswerer = (question: {
  openid: string;
  learnerId: Types.ObjectId | null;
  text: string;
}) => Promise<string | null>;

export interface OfficialAccountServiceOptions {
  client: OfficialAccountClient;
  /** AppID of the mini-program that replies link to. */
  miniProgramAppId: string;
  logger: Logger;
  now?: () => Date;
  /** Defaults to a fixed reply that links to the mini-program. */
  answerText?: TextAnswerer;
  replyDeadlineMs?: number;
  duplicateWaitMs?: number;
}

/**
 * Returns the key under which retries of one message or event collide: sender and MsgId for a
 * message, and sender, CreateTime, Event and EventKey for an event, which a retry repeats
 * unchanged. The sender keeps one user's stored reply from going to another, and EventKey keeps
 * two menu clicks in the same second apart. Each part is URI-encoded, so no part can contain the
 * `:` separator.
 */
export function dedupKeyOf(inbound: OfficialAccountInbound): string {
  const from = encodeURIComponent(inbound.fromUserName);
  if (inbound.msgType !== 'event' && inbound.msgId !== null) {
    return `msg:${from}:${encodeURIComponent(inbound.msgId)}`;
  }
  const parts = [
    'event',
    from,
    String(inbound.createTime),
    encodeURIComponent(inbound.event ?? inbound.msgType),
  ];
  if (inbound.eventKey !== null) parts.push(encodeURIComponent(inbound.eventKey));
  return parts.join(':');
}

/** Handles the official account's messages and events, and the follower binding flow. */
export class OfficialAccountService {
  private readonly now: () => Date;
  private readonly answerText: TextAnswerer;
  private readonly replyDeadlineMs: number;
  private readonly duplicateWaitMs: number;

  constructor(private readonly options: OfficialAccountServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.answerText =
      options.answerText ?? (() => Promise.resolve(textPlaceholderReply(options.miniProgramAppId)));
    this.replyDeadlineMs = options.replyDeadlineMs ?? REPLY_DEADLINE_MS;
    this.duplicateWaitMs = options.duplicateWaitMs ?? DUPLICATE_WAIT_MS;
  }

  /**
   * Processes a message or event once and returns the plaintext XML of the passive reply, or null
   * for none. A retry of a message already received returns the first delivery's stored reply
   * instead of processing it again.
   */
  async receive(inbound: OfficialAccountInbound, logger: Logger): Promise<string | null> {
    const dedupKey = dedupKeyOf(inbound);
    try {
      await InboundMessageModel.create({
        dedupKey,
        openid: inbound.fromUserName,
        msgType: inbound.msgType,
        event: inbound.event,
        createTime: new Date(inbound.createTime * 1000),
        receivedAt: this.now(),
        state: 'processing',
      });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      logger.info({ dedupKey }, 'official account message is a retry');
      return this.storedReply(dedupKey);
    }

    const work = this.process(inbound, logger);
    let outcome: { done: true; text: string | null } | { done: false };
    const timer = new AbortController();
    try {
      outcome = await Promise.race([
        work.then((text) => ({ done: true as const, text })),
        sleep(this.replyDeadlineMs, { done: false as const }, { signal: timer.signal }),
      ]);
    } catch (error) {
      // Nothing was answered, so WeChat's retry may process the message again.
      await InboundMessageModel.deleteOne({ dedupKey, state: 'processing' });
      throw error;
    } finally {
      timer.abort();
    }

    if (!outcome.done) {
      await InboundMessageModel.updateOne({ dedupKey }, { $set: { state: 'deferred' } });
      logger.warn(
        { dedupKey, deadlineMs: this.replyDeadlineMs },
        'official account reply deferred',
      );
      void this.replyLate(dedupKey, inbound.fromUserName, work, logger);
      return null;
    }

    const replyXml =
      outcome.text === null
        ? null
        : buildTextReply({
            toUserName: inbound.fromUserName,
            fromUserName: inbound.toUserName,
            createTime: Math.floor(this.now().getTime() / 1000),
            content: outcome.text,
          });
    await InboundMessageModel.updateOne(
      { dedupKey },
      { $set: { state: 'replied', replyXml, finishedAt: this.now() } },
    );
    return replyXml;
  }

  /** Creates a one-time binding QR code for a signed-in learner. */
  async createLink(learnerId: Types.ObjectId): Promise<CreatedLink> {
    try {
      return await createLink(this.options.client, learnerId, this.now());
    } catch (error) {
      if (error instanceof WechatApiError || error instanceof WechatTransportError) {
        this.options.logger.warn({ learnerId, error: error.message }, 'binding QR code failed');
        throw wechatUnavailable('WeChat could not create the binding QR code: retry later');
      }
      throw error;
    }
  }

  /** Sends a customer-service text to a follower if their window allows it. */
  sendText(openid: string, text: string): Promise<CustomerServiceResult> {
    return sendCustomerServiceText(
      this.options.client,
      this.options.logger,
      openid,
      text,
      this.now(),
    );
  }

  /**
   * Resends, in the background, the operators' handoff answers that missed the follower's closed
   * service window, now that the follower has reopened it. The passive reply does not wait.
   */
  private redeliverHandoffAnswers(openid: string, logger: Logger): void {
    const send = (to: string, text: string) => this.sendText(to, text);
    void redeliverHandoffAnswers(openid, this.now(), send, logger).catch((error: unknown) => {
      logger.error({ openid, err: error }, 'handoff answer redelivery failed');
    });
  }

  /** Waits for the stored reply of the first delivery; null when none arrives in time. */
  private async storedReply(dedupKey: string): Promise<string | null> {
    const deadline = Date.now() + this.duplicateWaitMs;
    for (;;) {
      const stored = await InboundMessageModel.findOne({ dedupKey }).lean();
      if (stored?.state === 'replied') return stored.replyXml ?? null;
      if (stored?.state === 'deferred' || Date.now() >= deadline) return null;
      await sleep(DUPLICATE_POLL_MS);
    }
  }

  private async replyLate(
    dedupKey: string,
    openid: string,
    work: Promise<string | null>,
    logger: Logger,
  ): Promise<void> {
    try {
      const text = await work;
      if (text !== null) {
        const result = await this.sendText(openid, text);
        logger.info({ dedupKey, result: result.kind }, 'official account late reply finished');
      }
      await InboundMessageModel.updateOne({ dedupKey }, { $set: { finishedAt: this.now() } });
    } catch (error) {
      logger.error({ dedupKey, err: error }, 'official account late reply failed');
    }
  }

  /** Applies a message or event and returns the reply text, or null for none. */
  private async process(inbound: OfficialAccountInbound, logger: Logger): Promise<string | null> {
    const openid = inbound.fromUserName;
    const at = new Date(inbound.createTime * 1000);
    const now = this.now();
    const appId = this.options.miniProgramAppId;

    if (inbound.msgType !== 'event' || WINDOW_EVENTS.has(inbound.event ?? '')) {
      await recordInteraction(openid, at);
      this.redeliverHandoffAnswers(openid, logger);
    }

    if (inbound.event === 'unsubscribe') {
      await this.applyFollowState(openid, false, at);
      return null;
    }
    if (inbound.event === 'subscribe') {
      await this.applyFollowState(openid, true, at);
    } else {
      await this.ensureFollower(openid);
    }

    if (inbound.event === 'subscribe' || inbound.event === 'SCAN') {
      const token = bindingTokenOf(inbound.event, inbound.eventKey);
      if (token !== null) {
        const result = await redeemLink(token, openid, now, logger);
        return result.kind === 'joined' ? BINDING_SUCCEEDED_REPLY : BINDING_EXPIRED_REPLY;
      }
    }
    await resolveFollowerIdentity(this.options.client, openid, now, logger);

    switch (inbound.msgType) {
      case 'text': {
        const follower = await FollowerModel.findOne({ openid }).select({ learnerId: 1 }).lean();
        return this.answerText({
          openid,
          learnerId: follower?.learnerId ?? null,
          text: inbound.content ?? '',
        });
      }
      case 'event':
        if (inbound.event === 'subscribe') return welcomeReply(appId);
        if (inbound.event === 'CLICK' && inbound.eventKey === MENU_KEYS.faq) return faqReply(appId);
        return null;
      default:
        return unsupportedMessageReply();
    }
  }

  /**
   * Applies a subscribe or unsubscribe unless a later one was already applied. A resubscribe
   * clears profileCheckedAt, so that the unionid is read from user/info again.
   */
  private async applyFollowState(openid: string, following: boolean, at: Date): Promise<void> {
    const change = following
      ? { following, subscribedAt: at, followStateAt: at, profileCheckedAt: null }
      : { following, unsubscribedAt: at, followStateAt: at };
    const updated = await FollowerModel.updateOne(
      { openid, followStateAt: trusted({ $lte: at }) },
      { $set: change },
    );
    if (updated.matchedCount > 0) return;
    try {
      await FollowerModel.create({ openid, ...change });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // The follower exists with a later follow state, which stays.
    }
  }

  /** Creates the follower record of someone who followed before the webhook existed. */
  private async ensureFollower(openid: string): Promise<void> {
    if (await FollowerModel.exists({ openid })) return;
    try {
      await FollowerModel.create({ openid, following: true });
    } catch (error) {
      // A concurrent request created it.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}

/**
 * Builds the service when the official account is configured, or returns null when it is not.
 * Text messages are answered by the assistant (FAQ, intents, handoff to a person).
 */
export function createOfficialAccountService(
  config: Config,
  tokens: AccessTokenSource,
  logger: Logger,
): OfficialAccountService | null {
  if (config.WECHAT_OA_APP_ID === undefined) return null;
  const client = new OfficialAccountClient({
    baseUrl: config.WECHAT_API_BASE_URL,
    appId: config.WECHAT_OA_APP_ID,
    timeoutMs: config.WECHAT_TIMEOUT_MS,
    tokens,
    logger,
    // The sandbox serves QR images itself; configuration validation rejects it in production.
    qrImageBaseUrl: config.WECHAT_SANDBOX_URL,
  });
  return new OfficialAccountService({
    client,
    miniProgramAppId: config.WECHAT_APP_ID,
    logger,
    answerText: createOfficialAccountAnswerer(config.WECHAT_APP_ID, logger),
  });
}
