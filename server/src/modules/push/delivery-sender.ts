// Brings one delivery to its result: the skip, the in-app notice, or the calls to WeChat with
// their retries. Every write that must happen before a call (the attempt, the grant use) is an
// insert under a unique key, so two runners that resume the same batch never make the same call
// twice. Inserts of concurrent deliveries go to the database together (GroupInsert).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Types } from 'mongoose';
import { GroupInsert } from '../../db/group-insert.js';
import { trusted } from '../../db/trusted.js';
import type { Logger } from '../../logger.js';
import { FollowerModel } from '../official-account/follower.model.js';
import {
  backoffDelayMs,
  MessageRateLimitedError,
  MessageRejectedError,
  MessageTransientError,
  PUSH_ERRCODE,
  type PushMessageClient,
} from '../../wechat/push-messages.js';
import type { Audience } from './audience.js';
import {
  DeliveryAttemptModel,
  DeliveryResultModel,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryChannel,
  type ResultState,
} from './delivery.model.js';
import { InAppNoticeModel } from './learner-push.model.js';
import { coursePagePath, messageData, NOTICE_TITLE, noticeBody } from './message-content.js';
import { Semaphore } from './semaphore.js';
import { SubscriptionGrantUseModel } from './subscription-grant.model.js';
import type { TokenBucket } from './token-bucket.js';

/** Marks a call whose attempt another runner inserted first. */
const TAKEN = Symbol('taken');
/** Outcome of a call not made because the channel's daily quota ran out while it waited. */
const QUOTA_SPENT = Symbol('quota spent');
/** Outcome of a first call not made because the learner opted out while it waited. */
const OPTED_OUT = Symbol('opted out');

export interface RetryPolicy {
  /** Calls per delivery when WeChat is busy or unreachable, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RateLimitPolicy {
  /**
   * Minute-quota errors (45011) one delivery may meet before it fails as `rate_limited`. A daily
   * quota error (45009) turns the delivery into an in-app notice at once.
   */
  maxRetries: number;
  /** First pause of all sending after a quota error; it doubles up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface DeliverySenderOptions {
  client: Pick<PushMessageClient, 'sendTemplate' | 'sendSubscribe'>;
  limiter: TokenBucket;
  /** WeChat calls in flight at once. */
  concurrency: number;
  templateId: string | null;
  subscribeTemplateId: string | null;
  miniProgramAppId: string;
  audience: Audience;
  retry: RetryPolicy;
  rateLimit: RateLimitPolicy;
  /**
   * Time after a delivery's first call during which calling again with the same client_msg_id is
   * safe. WeChat keeps the id 10 minutes; the default leaves a margin for clock differences.
   */
  resendWindowMs: number;
  now: () => Date;
  logger: Logger;
}

/** A delivery to finish, with the records an earlier run left for it. */
export interface DeliveryWork {
  delivery: Delivery;
  /** Earlier calls, in order. */
  attempts: DeliveryAttempt[];
  /** Grant already claimed for this delivery, if any. */
  grantId: Types.ObjectId | null;
}

/**
 * `written`: this sender wrote the delivery's result. `existing`: another runner wrote a result
 * first, and it is kept. `taken`: another runner is making the delivery's calls.
 */
export type DeliveryOutcome =
  | {
      kind: 'written';
      state: ResultState;
      channel: DeliveryChannel | null;
      reason: string | null;
    }
  | { kind: 'existing' }
  | { kind: 'taken' };

interface ResultFields {
  state: ResultState;
  channel: DeliveryChannel | null;
  errcode?: number | null;
  reason?: string | null;
  attempts: number;
}

export class DeliverySender {
  private readonly slots: Semaphore;
  // Lean inserts: every document below is built complete, so mongoose's casting and validation
  // would only add CPU time per message.
  private readonly attemptInserts = new GroupInsert(DeliveryAttemptModel, 1_000, true);
  private readonly resultInserts = new GroupInsert(DeliveryResultModel, 1_000, true);
  private readonly grantUseInserts = new GroupInsert(SubscriptionGrantUseModel, 1_000, true);
  private readonly noticeInserts = new GroupInsert(InAppNoticeModel, 1_000, true);
  /** Results written by this sender, for progress logs. */
  resultsWritten = 0;
  /**
   * Channels whose daily quota (45009) ran out in this run. WeChat resets the quota at midnight, so
   * the rest of their deliveries become in-app notices rather than waiting out the day.
   */
  private readonly quotaSpent = new Set<'template' | 'subscription'>();

  constructor(private readonly options: DeliverySenderOptions) {
    this.slots = new Semaphore(options.concurrency);
  }

  async deliver(work: DeliveryWork): Promise<DeliveryOutcome> {
    const { delivery } = work;
    if (delivery.skipReason !== null || delivery.channel === null) {
      return this.finish(delivery, {
        state: 'skipped',
        channel: null,
        reason: delivery.skipReason ?? 'no_pick',
        attempts: 0,
      });
    }

    let channel: DeliveryChannel = delivery.channel;
    if (channel === 'template' && this.options.templateId === null) channel = 'in_app';
    if (channel !== 'in_app' && this.quotaSpent.has(channel) && work.attempts.length === 0) {
      return this.fallBackToNotice(delivery, 0);
    }
    if (channel === 'subscription') {
      const grantId = work.grantId ?? (await this.claimGrant(delivery));
      if (grantId === null) channel = 'in_app';
    }
    if (channel === 'in_app') {
      await this.writeNotice(delivery);
      return this.finish(delivery, { state: 'sent', channel, attempts: 0 });
    }
    return this.callWechat(delivery, channel, work.attempts);
  }

  /**
   * Claims the learner's oldest unused grant by inserting its use. A duplicate means another
   * delivery used that grant, so the next one is tried, or that this delivery already claimed one
   * in another runner, which is then returned.
   */
  private async claimGrant(delivery: Delivery): Promise<Types.ObjectId | null> {
    const templateId = this.options.subscribeTemplateId;
    if (templateId === null) return null;
    const candidates = this.options.audience.grants.get(delivery.learnerId.toHexString()) ?? [];
    while (candidates.length > 0) {
      const grantId = candidates.shift()!;
      const duplicates = await this.grantUseInserts.insert([
        {
          _id: grantId,
          deliveryId: delivery._id,
          learnerId: delivery.learnerId,
          templateId,
          batch: delivery.batch,
          usedAt: this.options.now(),
        },
      ]);
      if (duplicates.size === 0) return grantId;
      const own = await SubscriptionGrantUseModel.findOne({ deliveryId: delivery._id }).lean();
      if (own !== null) return own._id;
    }
    return null;
  }

  private async writeNotice(delivery: Delivery): Promise<void> {
    const subject = subjectOf(delivery);
    // A duplicate is the notice written before a crash, so the learner has one notice either way.
    await this.noticeInserts.insert([
      {
        learnerId: delivery.learnerId,
        deliveryId: delivery._id,
        week: delivery.week,
        title: NOTICE_TITLE,
        body: noticeBody(subject),
        path: `/${coursePagePath(String(delivery.courseId), delivery.clickToken)}`,
        courseId: delivery.courseId!,
        createdAt: this.options.now(),
      },
    ]);
  }

  /**
   * Makes the WeChat calls of a delivery until one succeeds or the outcome is final. An earlier
   * call whose response was lost is repeated only for template messages within the resend window,
   * because WeChat delivers one message per client_msg_id in that time. Otherwise the delivery
   * ends `unconfirmed`: resending could deliver a second message, and WeChat offers no lookup.
   */
  private async callWechat(
    delivery: Delivery,
    channel: 'template' | 'subscription',
    earlier: DeliveryAttempt[],
  ): Promise<DeliveryOutcome> {
    const { retry, rateLimit, logger } = this.options;
    let n = earlier.at(-1)?.n ?? 0;
    let failedCalls = earlier.filter(
      (attempt) => attempt.notSent && !isQuotaErrcode(attempt.errcode),
    ).length;
    let quotaErrors = earlier.filter((attempt) => isQuotaErrcode(attempt.errcode)).length;
    let firstCallAt = earlier[0]?.startedAt ?? null;
    const last = earlier.at(-1);
    if (last !== undefined && !last.notSent && !this.mayResend(channel, firstCallAt)) {
      return this.finish(delivery, {
        state: 'unconfirmed',
        channel,
        reason: 'outcome_unknown',
        attempts: n,
      });
    }

    for (;;) {
      n += 1;
      const attemptId = `${delivery._id.toHexString()}:${n}`;
      const outcome = await this.slots.run(async () => {
        if (this.quotaSpent.has(channel)) return QUOTA_SPENT;
        // The run reads the opt-outs again as it goes (audience.ts), and a delivery may wait here
        // for a while, so the check is repeated before the first call.
        if (n === 1 && this.options.audience.optedOut.has(delivery.learnerId.toHexString())) {
          return OPTED_OUT;
        }
        const startedAt = this.options.now();
        const duplicates = await this.attemptInserts.insert([
          {
            _id: attemptId,
            deliveryId: delivery._id,
            batch: delivery.batch,
            n,
            channel,
            startedAt,
            notSent: false,
            errcode: null,
          },
        ]);
        if (duplicates.size > 0) return TAKEN;
        firstCallAt ??= startedAt;
        await this.options.limiter.take();
        try {
          await this.send(delivery, channel);
          return null;
        } catch (error) {
          // Marked before the slot is free, so no waiting call of the channel goes out after it.
          if (
            error instanceof MessageRateLimitedError &&
            error.errcode === PUSH_ERRCODE.dailyQuota &&
            !this.quotaSpent.has(channel)
          ) {
            this.quotaSpent.add(channel);
            logger.error(
              { channel, errcode: error.errcode },
              'push daily quota used up: the rest of this channel gets in-app notices',
            );
          }
          return error;
        }
      });
      if (outcome === QUOTA_SPENT) return this.fallBackToNotice(delivery, n - 1);
      if (outcome === OPTED_OUT) {
        return this.finish(delivery, {
          state: 'skipped',
          channel: null,
          reason: 'opted_out',
          attempts: 0,
        });
      }
      if (outcome === TAKEN) {
        logger.warn(
          { deliveryId: delivery._id, attempt: n },
          'delivery call made by another runner',
        );
        return { kind: 'taken' };
      }
      if (outcome === null) return this.finish(delivery, { state: 'sent', channel, attempts: n });

      const error = outcome;
      if (error instanceof MessageRejectedError) {
        if (error.errcode === PUSH_ERRCODE.notFollowing) await this.markUnfollowed(delivery);
        return this.finish(delivery, {
          state: 'failed',
          channel,
          errcode: error.errcode,
          reason: error.reason,
          attempts: n,
        });
      }
      if (error instanceof MessageRateLimitedError) {
        await this.markNotSent(attemptId, error.errcode);
        if (error.errcode === PUSH_ERRCODE.dailyQuota) return this.fallBackToNotice(delivery, n);
        quotaErrors += 1;
        if (quotaErrors > rateLimit.maxRetries) {
          return this.finish(delivery, {
            state: 'failed',
            channel,
            errcode: error.errcode,
            reason: 'rate_limited',
            attempts: n,
          });
        }
        const pauseMs = backoffDelayMs(quotaErrors, rateLimit);
        logger.warn(
          { deliveryId: delivery._id, errcode: error.errcode, pauseMs },
          'push paused after a quota error',
        );
        this.options.limiter.pauseFor(pauseMs);
        continue;
      }
      if (!(error instanceof MessageTransientError)) throw error;

      failedCalls += 1;
      if (error.maybeDelivered) {
        if (!this.mayResend(channel, firstCallAt)) {
          logger.warn(
            { deliveryId: delivery._id, channel, err: error },
            'push call outcome unknown, not resent',
          );
          return this.finish(delivery, {
            state: 'unconfirmed',
            channel,
            reason: 'outcome_unknown',
            attempts: n,
          });
        }
      } else {
        await this.markNotSent(attemptId, error.errcode);
      }
      if (failedCalls >= retry.maxAttempts) {
        return this.finish(delivery, {
          state: error.maybeDelivered ? 'unconfirmed' : 'failed',
          channel,
          errcode: error.errcode,
          reason: 'retries_exhausted',
          attempts: n,
        });
      }
      const delayMs = backoffDelayMs(failedCalls, retry);
      logger.info(
        { deliveryId: delivery._id, attempt: n, delayMs, err: error },
        'push call failed, retrying',
      );
      await sleep(delayMs);
    }
  }

  /** Writes the in-app notice of a delivery that WeChat did not send. */
  private async fallBackToNotice(delivery: Delivery, attempts: number): Promise<DeliveryOutcome> {
    await this.writeNotice(delivery);
    return this.finish(delivery, {
      state: 'sent',
      channel: 'in_app',
      reason: 'daily_quota',
      attempts,
    });
  }

  private mayResend(channel: 'template' | 'subscription', firstCallAt: Date | null): boolean {
    if (firstCallAt === null) return true;
    if (channel !== 'template') return false;
    return this.options.now().getTime() - firstCallAt.getTime() < this.options.resendWindowMs;
  }

  private async send(delivery: Delivery, channel: 'template' | 'subscription'): Promise<void> {
    const data = messageData(subjectOf(delivery));
    const page = coursePagePath(String(delivery.courseId), delivery.clickToken);
    if (channel === 'template') {
      await this.options.client.sendTemplate({
        touser: delivery.openid!,
        templateId: this.options.templateId!,
        miniprogram: { appid: this.options.miniProgramAppId, pagepath: page },
        clientMsgId: delivery._id.toHexString(),
        data,
      });
      return;
    }
    await this.options.client.sendSubscribe({
      touser: delivery.openid!,
      templateId: this.options.subscribeTemplateId!,
      page,
      data,
    });
  }

  /**
   * Records that the learner no longer follows the account, as WeChat reported with 43004 (an
   * unsubscribe event was missed), so next week's run picks another channel. A later follow
   * event still wins.
   */
  private async markUnfollowed(delivery: Delivery): Promise<void> {
    const now = this.options.now();
    await FollowerModel.updateOne(
      { openid: delivery.openid, following: true, followStateAt: trusted({ $lt: now }) },
      { $set: { following: false, unsubscribedAt: now, followStateAt: now } },
    );
    this.options.logger.info(
      { deliveryId: delivery._id },
      'push recipient no longer follows the account',
    );
  }

  private async markNotSent(attemptId: string, errcode: number | null): Promise<void> {
    await DeliveryAttemptModel.updateOne({ _id: attemptId }, { $set: { notSent: true, errcode } });
  }

  private async finish(delivery: Delivery, fields: ResultFields): Promise<DeliveryOutcome> {
    const duplicates = await this.resultInserts.insert([
      {
        _id: delivery._id,
        week: delivery.week,
        learnerId: delivery.learnerId,
        batch: delivery.batch,
        state: fields.state,
        channel: fields.channel,
        errcode: fields.errcode ?? null,
        reason: fields.reason ?? null,
        attempts: fields.attempts,
        finishedAt: this.options.now(),
      },
    ]);
    this.resultsWritten += 1;
    // A duplicate is a result another runner wrote first, and the first result is kept.
    if (duplicates.size > 0) return { kind: 'existing' };
    return {
      kind: 'written',
      state: fields.state,
      channel: fields.channel,
      reason: fields.reason ?? null,
    };
  }
}

function isQuotaErrcode(errcode: number | null | undefined): boolean {
  return errcode === PUSH_ERRCODE.dailyQuota || errcode === PUSH_ERRCODE.minuteQuota;
}

function subjectOf(delivery: Delivery) {
  return { courseTitle: delivery.courseTitle ?? '', pickReason: delivery.pickReason ?? '' };
}
