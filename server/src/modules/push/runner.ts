// One attempt at a weekly run: finish the batches an earlier attempt left open, then plan, insert
// and send a batch of deliveries for every learner who has none this week, then write the report.
// The caller has claimed the run (scheduler.ts); the runner renews the claim with heartbeats and
// stops taking batches when another copy has taken the run over.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Types } from 'mongoose';
import { duplicateIndexes } from '../../db/group-insert.js';
import type { Logger } from '../../logger.js';
import type { PushMessageClient } from '../../wechat/push-messages.js';
import { LearnerModel } from '../learners/learner.model.js';
import { loadAudience, type Audience } from './audience.js';
import {
  DeliverySender,
  type DeliveryWork,
  type RateLimitPolicy,
  type RetryPolicy,
} from './delivery-sender.js';
import {
  DeliveryAttemptModel,
  DeliveryModel,
  DeliveryResultModel,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryResult,
} from './delivery.model.js';
import type { CoursePick, PickSource } from './picks.js';
import { PushBatchModel } from './push-batch.model.js';
import { PushRunModel } from './push-run.model.js';
import { addCounts, countResult, emptyCounts, type PushRunCounts } from './run-counts.js';
import { SubscriptionGrantUseModel } from './subscription-grant.model.js';
import { TokenBucket } from './token-bucket.js';

export interface PushSettings {
  /** Official-account template; null turns template messages off. */
  templateId: string | null;
  /** Mini-program subscription template; null turns subscription messages off. */
  subscribeTemplateId: string | null;
  miniProgramAppId: string;
  ratePerSecond: number;
  concurrency: number;
}

export interface PushRunnerOptions {
  client: Pick<PushMessageClient, 'sendTemplate' | 'sendSubscribe'>;
  settings: PushSettings;
  /** Creates the pick source of one run, so each run sees the current catalog. */
  createPickSource: () => PickSource;
  logger: Logger;
  now?: () => Date;
  /** Learners per batch. */
  batchSize?: number;
  /** Batches planned, inserted and sent at the same time, so writes overlap with calls. */
  batchesInFlight?: number;
  /** Interval of the run's heartbeat; keep it well under the scheduler's lease. */
  heartbeatIntervalMs?: number;
  progressLogIntervalMs?: number;
  retry?: RetryPolicy;
  rateLimit?: RateLimitPolicy;
  resendWindowMs?: number;
}

/** The claimed run that an attempt works on. */
export interface ClaimedRun {
  runId: Types.ObjectId;
  week: string;
  attempt: number;
  startedAt: Date;
}

export interface PushRunReport {
  week: string;
  runId: string;
  attempt: number;
  counts: PushRunCounts;
  /** Batches that still had deliveries without a result when the run completed. */
  openBatches: number;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  /** Time this attempt ran, from its start to the report. */
  attemptDurationMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 10_000 };
export const DEFAULT_RATE_LIMIT: RateLimitPolicy = {
  maxRetries: 30,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
};
/** WeChat keeps a client_msg_id for 10 minutes; 8 leaves a margin for clock differences. */
export const DEFAULT_RESEND_WINDOW_MS = 8 * 60_000;

interface LearnerRow {
  _id: Types.ObjectId;
  openid: string;
}

export class PushRunner {
  private readonly now: () => Date;
  private stopping = false;

  constructor(private readonly options: PushRunnerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Stops taking batches; the batches in flight finish and the run stays open for a takeover. */
  stop(): void {
    this.stopping = true;
  }

  /**
   * Works on the run until every learner has a delivery result, then completes it and returns
   * the report. Returns null when it stopped first: stop() was called or another copy took over.
   */
  async run(run: ClaimedRun): Promise<PushRunReport | null> {
    const attemptStart = this.now();
    const log = this.options.logger.child({
      week: run.week,
      runId: run.runId,
      attempt: run.attempt,
    });
    const fence = { lost: false };
    const heartbeat = setInterval(() => {
      void this.beat(run, fence, log);
    }, this.options.heartbeatIntervalMs ?? 10_000);
    log.info('push run started');

    let progress: NodeJS.Timeout | undefined;
    try {
      const { settings } = this.options;
      const audience = await loadAudience({
        loadFollowers: settings.templateId !== null,
        subscribeTemplateId: settings.subscribeTemplateId,
      });
      log.info(
        {
          followers: audience.followers.size,
          optedOut: audience.optedOut.size,
          learnersWithGrants: audience.grants.size,
          loadMs: this.now().getTime() - attemptStart.getTime(),
        },
        'push audience loaded',
      );
      const sender = this.createSender(audience, log);
      progress = this.logProgress(sender, attemptStart, log);
      const isStopped = () => this.stopping || fence.lost;

      await this.finishOpenBatches(run, sender, isStopped, log);
      await this.sendNewBatches(run, audience, sender, isStopped);
      // Batches that another copy opened while this one took over are finished here.
      await this.finishOpenBatches(run, sender, isStopped, log);
      if (isStopped()) {
        log.warn({ lostToTakeover: fence.lost }, 'push run stopped before completion');
        return null;
      }
      return await this.complete(run, attemptStart, log);
    } finally {
      clearInterval(heartbeat);
      if (progress !== undefined) clearInterval(progress);
    }
  }

  private createSender(audience: Audience, logger: Logger): DeliverySender {
    const { settings } = this.options;
    return new DeliverySender({
      client: this.options.client,
      limiter: new TokenBucket(settings.ratePerSecond),
      concurrency: settings.concurrency,
      templateId: settings.templateId,
      subscribeTemplateId: settings.subscribeTemplateId,
      miniProgramAppId: settings.miniProgramAppId,
      audience,
      retry: this.options.retry ?? DEFAULT_RETRY,
      rateLimit: this.options.rateLimit ?? DEFAULT_RATE_LIMIT,
      resendWindowMs: this.options.resendWindowMs ?? DEFAULT_RESEND_WINDOW_MS,
      now: this.now,
      logger,
    });
  }

  /** Renews the heartbeat while this attempt is the run's current one; marks the fence lost otherwise. */
  private async beat(run: ClaimedRun, fence: { lost: boolean }, log: Logger): Promise<void> {
    try {
      const result = await PushRunModel.updateOne(
        { _id: run.runId, attempt: run.attempt },
        { $set: { heartbeatAt: this.now() } },
      );
      if (result.matchedCount === 0 && !fence.lost) {
        fence.lost = true;
        log.warn('push run taken over by another copy, stopping');
      }
    } catch (error) {
      log.warn({ err: error }, 'push run heartbeat failed');
    }
  }

  private logProgress(sender: DeliverySender, start: Date, log: Logger): NodeJS.Timeout {
    let previous = 0;
    const intervalMs = this.options.progressLogIntervalMs ?? 10_000;
    return setInterval(() => {
      const finished = sender.finished;
      log.info(
        {
          results: finished,
          resultsPerSecond: Math.round(((finished - previous) * 1000) / intervalMs),
          elapsedMs: this.now().getTime() - start.getTime(),
        },
        'push run progress',
      );
      previous = finished;
    }, intervalMs).unref();
  }

  /** Finishes every open batch of the run, one at a time, from the records it has so far. */
  private async finishOpenBatches(
    run: ClaimedRun,
    sender: DeliverySender,
    isStopped: () => boolean,
    log: Logger,
  ): Promise<void> {
    const open = await PushBatchModel.find({ runId: run.runId, state: 'open' }, { _id: 1 }).lean();
    for (const batch of open) {
      if (isStopped()) return;
      const [deliveries, attempts, results, grantUses] = await Promise.all([
        DeliveryModel.find({ batch: batch._id }).lean<Delivery[]>(),
        DeliveryAttemptModel.find({ batch: batch._id }).lean<DeliveryAttempt[]>(),
        DeliveryResultModel.find({ batch: batch._id }, { _id: 1 }).lean<DeliveryResult[]>(),
        SubscriptionGrantUseModel.find({ batch: batch._id }, { _id: 1, deliveryId: 1 }).lean(),
      ]);
      const done = new Set(results.map((result) => String(result._id)));
      const attemptsOf = groupAttempts(attempts);
      const grantOf = new Map(grantUses.map((use) => [String(use.deliveryId), use._id]));
      const work: DeliveryWork[] = deliveries
        .filter((delivery) => !done.has(String(delivery._id)))
        .map((delivery) => ({
          delivery,
          attempts: attemptsOf.get(String(delivery._id)) ?? [],
          grantId: grantOf.get(String(delivery._id)) ?? null,
        }));
      log.info(
        { batch: batch._id, deliveries: deliveries.length, unfinished: work.length },
        'push batch resumed',
      );
      await Promise.all(work.map((item) => sender.deliver(item)));
      await this.closeBatch(batch._id, deliveries.length, log);
    }
  }

  private async sendNewBatches(
    run: ClaimedRun,
    audience: Audience,
    sender: DeliverySender,
    isStopped: () => boolean,
  ): Promise<void> {
    const picks = this.options.createPickSource();
    const learners = LearnerModel.find({}, { _id: 1, openid: 1 })
      .lean<LearnerRow[]>()
      .cursor({ batchSize: 1_000 });
    const batches = chunks(learners, this.options.batchSize ?? 500);
    let seq = 0;
    const log = this.options.logger.child({ week: run.week, runId: run.runId });

    // Concurrent next() calls on one async generator are queued, so each worker gets its own batch.
    const worker = async () => {
      for (;;) {
        if (isStopped()) return;
        const next = await batches.next();
        if (next.done === true) return;
        seq += 1;
        await this.sendNewBatch(
          run,
          `${run.runId.toHexString()}:${run.attempt}:${seq}`,
          next.value,
          {
            audience,
            picks,
            sender,
            log,
          },
        );
      }
    };
    try {
      await Promise.all(Array.from({ length: this.options.batchesInFlight ?? 3 }, worker));
    } finally {
      await learners.close();
    }
  }

  /**
   * Opens a batch, inserts a pending delivery for each learner without one this week, and sends
   * them. The batch record comes first, so a crash at any later point leaves an open batch that
   * names every delivery it inserted.
   */
  private async sendNewBatch(
    run: ClaimedRun,
    batch: string,
    learners: LearnerRow[],
    context: { audience: Audience; picks: PickSource; sender: DeliverySender; log: Logger },
  ): Promise<void> {
    const picked = new Map<string, CoursePick>();
    for await (const entry of context.picks.picksFor(learners.map((learner) => learner._id))) {
      const first = entry.picks[0];
      if (first !== undefined) picked.set(entry.learnerId.toHexString(), first);
    }
    const createdAt = this.now();
    await PushBatchModel.create({
      _id: batch,
      runId: run.runId,
      week: run.week,
      state: 'open',
      createdAt,
    });
    const planned = learners.map((learner) =>
      this.plan(run, batch, learner, context.audience, picked, createdAt),
    );
    const inserted = await insertNew(planned);
    if (inserted.length === 0) {
      // Every learner of the batch already had this week's delivery.
      await PushBatchModel.deleteOne({ _id: batch });
      return;
    }
    await Promise.all(
      inserted.map((delivery) => context.sender.deliver({ delivery, attempts: [], grantId: null })),
    );
    await this.closeBatch(batch, inserted.length, context.log);
  }

  /** Chooses the learner's channel: template if they follow, else subscription if granted, else in-app. */
  private plan(
    run: ClaimedRun,
    batch: string,
    learner: LearnerRow,
    audience: Audience,
    picked: Map<string, CoursePick>,
    createdAt: Date,
  ): Delivery {
    const key = learner._id.toHexString();
    const delivery: Delivery = {
      _id: new Types.ObjectId(),
      week: run.week,
      learnerId: learner._id,
      runId: run.runId,
      batch,
      channel: null,
      skipReason: null,
      openid: null,
      courseId: null,
      courseTitle: null,
      pickReason: null,
      clickToken: randomBytes(16).toString('base64url'),
      createdAt,
    };
    const pick = picked.get(key);
    if (audience.optedOut.has(key)) {
      delivery.skipReason = 'opted_out';
    } else if (pick === undefined) {
      delivery.skipReason = 'no_pick';
    } else {
      delivery.courseId = pick.courseId;
      delivery.courseTitle = pick.title;
      delivery.pickReason = pick.reason;
      const followerOpenid = audience.followers.get(key);
      if (followerOpenid !== undefined && this.options.settings.templateId !== null) {
        delivery.channel = 'template';
        delivery.openid = followerOpenid;
      } else if (
        this.options.settings.subscribeTemplateId !== null &&
        (audience.grants.get(key)?.length ?? 0) > 0
      ) {
        delivery.channel = 'subscription';
        delivery.openid = learner.openid;
      } else {
        delivery.channel = 'in_app';
      }
    }
    return delivery;
  }

  /** Marks the batch done with its counts once every delivery has a result. */
  private async closeBatch(batch: string, deliveries: number, log: Logger): Promise<void> {
    const results = await DeliveryResultModel.find(
      { batch },
      { state: 1, channel: 1, reason: 1 },
    ).lean<DeliveryResult[]>();
    if (results.length < deliveries) {
      log.warn(
        { batch, deliveries, results: results.length },
        'push batch left open: another copy is finishing some deliveries',
      );
      return;
    }
    const counts = emptyCounts();
    for (const result of results) countResult(counts, result);
    await PushBatchModel.updateOne(
      { _id: batch },
      { $set: { state: 'done', doneAt: this.now(), counts } },
    );
  }

  private async complete(run: ClaimedRun, attemptStart: Date, log: Logger): Promise<PushRunReport> {
    const batches = await PushBatchModel.find({ runId: run.runId }, { state: 1, counts: 1 }).lean();
    const counts = emptyCounts();
    let openBatches = 0;
    for (const batch of batches) {
      if (batch.state === 'done' && batch.counts) addCounts(counts, batch.counts as PushRunCounts);
      else openBatches += 1;
    }
    const finishedAt = this.now();
    const durationMs = finishedAt.getTime() - run.startedAt.getTime();
    await PushRunModel.updateOne(
      { _id: run.runId, attempt: run.attempt },
      { $set: { state: 'completed', finishedAt, durationMs, counts } },
    );
    const report: PushRunReport = {
      week: run.week,
      runId: run.runId.toHexString(),
      attempt: run.attempt,
      counts,
      openBatches,
      startedAt: run.startedAt,
      finishedAt,
      durationMs,
      attemptDurationMs: finishedAt.getTime() - attemptStart.getTime(),
    };
    log.info({ counts, openBatches, durationMs, host: os.hostname() }, 'push run completed');
    return report;
  }
}

/**
 * Inserts the deliveries in one unordered insert and returns those that were new. A duplicate
 * (week, learnerId) is a learner whose delivery an earlier attempt already made.
 */
async function insertNew(deliveries: Delivery[]): Promise<Delivery[]> {
  let duplicates = new Set<number>();
  try {
    await DeliveryModel.insertMany(deliveries, { ordered: false, lean: true });
  } catch (error) {
    const indexes = duplicateIndexes(error);
    if (indexes === null) throw error;
    duplicates = new Set(indexes);
  }
  return deliveries.filter((_, index) => !duplicates.has(index));
}

function groupAttempts(attempts: DeliveryAttempt[]): Map<string, DeliveryAttempt[]> {
  const byDelivery = new Map<string, DeliveryAttempt[]>();
  for (const attempt of attempts) {
    const key = String(attempt.deliveryId);
    const list = byDelivery.get(key);
    if (list === undefined) byDelivery.set(key, [attempt]);
    else list.push(attempt);
  }
  for (const list of byDelivery.values()) list.sort((a, b) => a.n - b.n);
  return byDelivery;
}

async function* chunks<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of source) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
