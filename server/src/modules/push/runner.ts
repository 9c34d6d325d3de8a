// One attempt at a weekly run: finish the batches an earlier attempt left open, then plan, insert
// and send batches of deliveries for every learner who has none this week, then write the report.
// New batches come from two passes. The first reads the official account's followers and sends
// them template messages. The second reads all learners and sends the others a subscription
// message or an in-app notice, skipping the followers by a compact set of their ids, so no map of
// 420,000 openids is held in memory. The caller has claimed the run (scheduler.ts); the runner
// renews the claim with heartbeats and stops taking batches when another copy took the run over.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Types } from 'mongoose';
import { duplicateIndexes } from '../../db/group-insert.js';
import type { Logger } from '../../logger.js';
import type { PushMessageClient } from '../../wechat/push-messages.js';
import { LearnerModel } from '../learners/learner.model.js';
import { FollowerModel } from '../official-account/follower.model.js';
import { loadAudience, refreshOptOuts, type Audience } from './audience.js';
import {
  DeliverySender,
  type DeliveryOutcome,
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
import { LearnerIdSet } from './learner-id-set.js';
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
  /** Creates the pick source of one run, so each run uses the current catalog. */
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
  /** Interval in ms at which the run reloads the opt-outs. */
  optOutRefreshMs?: number;
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
/** Default interval in ms at which a run reloads the opt-outs. The opt-out collection is small. */
export const DEFAULT_OPT_OUT_REFRESH_MS = 10_000;

/** A learner to plan a delivery for, from the follower pass or the learner pass. */
interface SourceRow {
  learnerId: Types.ObjectId;
  /** Mini-program openid; null in the follower pass, which sends template messages only. */
  openid: string | null;
  /** Official-account openid; set in the follower pass only. */
  followerOpenid: string | null;
}

interface BatchContext {
  audience: Audience;
  picks: PickSource;
  sender: DeliverySender;
  log: Logger;
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
    let optOutRefresh: NodeJS.Timeout | undefined;
    try {
      const { settings } = this.options;
      const picks = this.options.createPickSource();
      const [audience] = await Promise.all([
        loadAudience(settings.subscribeTemplateId),
        picks.prepare?.(),
      ]);
      log.info(
        {
          optedOut: audience.optedOut.size,
          learnersWithGrants: audience.grants.size,
          loadMs: this.now().getTime() - attemptStart.getTime(),
        },
        'push audience loaded',
      );
      optOutRefresh = setInterval(() => {
        refreshOptOuts(audience).catch((error: unknown) =>
          log.warn({ err: error }, 'push opt-outs not refreshed'),
        );
      }, this.options.optOutRefreshMs ?? DEFAULT_OPT_OUT_REFRESH_MS);
      const sender = this.createSender(audience, log);
      progress = this.logProgress(sender, attemptStart, log);
      const isStopped = () => this.stopping || fence.lost;
      const context: BatchContext = { audience, picks, sender, log };

      await this.finishOpenBatches(run, sender, isStopped, log);
      await this.sendNewBatches(run, context, isStopped);
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
      if (optOutRefresh !== undefined) clearInterval(optOutRefresh);
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
      const finished = sender.resultsWritten;
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
      // Results written before the crash are not in memory, so the batch is counted from the
      // database.
      await this.closeBatch(batch._id, deliveries.length, null, log);
    }
  }

  /**
   * Sends the new batches: first the followers' template messages, then everybody else. Template
   * messages off means no follower pass, so followers get the other channels.
   */
  private async sendNewBatches(
    run: ClaimedRun,
    context: BatchContext,
    isStopped: () => boolean,
  ): Promise<void> {
    const sequence = { next: 1 };
    const followed = new LearnerIdSet();
    if (this.options.settings.templateId !== null) {
      const followers = FollowerModel.find({ following: true }, { learnerId: 1, openid: 1, _id: 0 })
        .lean()
        .cursor({ batchSize: 1_000 });
      const rows = async function* (): AsyncGenerator<SourceRow> {
        for await (const follower of followers) {
          if (!follower.learnerId) continue;
          followed.add(follower.learnerId);
          yield { learnerId: follower.learnerId, openid: null, followerOpenid: follower.openid };
        }
      };
      try {
        await this.sendBatches(run, rows(), sequence, context, isStopped);
      } finally {
        await followers.close();
      }
      if (isStopped()) return;
    }
    followed.seal();

    const learners = LearnerModel.find({}, { _id: 1, openid: 1 })
      .lean<{ _id: Types.ObjectId; openid: string }[]>()
      .cursor({ batchSize: 1_000 });
    const rows = async function* (): AsyncGenerator<SourceRow> {
      for await (const learner of learners) {
        if (followed.has(learner._id)) continue;
        yield { learnerId: learner._id, openid: learner.openid, followerOpenid: null };
      }
    };
    try {
      await this.sendBatches(run, rows(), sequence, context, isStopped);
    } finally {
      await learners.close();
    }
  }

  /** Sends the rows in batches, several batches at a time, until the rows end or the run stops. */
  private async sendBatches(
    run: ClaimedRun,
    rows: AsyncIterable<SourceRow>,
    sequence: { next: number },
    context: BatchContext,
    isStopped: () => boolean,
  ): Promise<void> {
    const batches = chunks(rows, this.options.batchSize ?? 500);
    // Concurrent next() calls on one async generator are queued, so each worker gets its own batch.
    const worker = async () => {
      for (;;) {
        if (isStopped()) return;
        const next = await batches.next();
        if (next.done === true) return;
        const batch = `${run.runId.toHexString()}:${run.attempt}:${sequence.next++}`;
        await this.sendNewBatch(run, batch, next.value, context);
      }
    };
    await Promise.all(Array.from({ length: this.options.batchesInFlight ?? 3 }, worker));
  }

  /**
   * Opens a batch, inserts a pending delivery for each learner without one this week, and sends
   * them. The batch record comes first, so a crash at any later point leaves an open batch that
   * names every delivery it inserted.
   */
  private async sendNewBatch(
    run: ClaimedRun,
    batch: string,
    rows: SourceRow[],
    context: BatchContext,
  ): Promise<void> {
    const picked = new Map<string, CoursePick>();
    for await (const entry of context.picks.picksFor(rows.map((row) => row.learnerId))) {
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
    const planned = rows.map((row) =>
      this.plan(run, batch, row, context.audience, picked, createdAt),
    );
    const inserted = await insertNew(planned);
    if (inserted.length === 0) {
      // Every learner of the batch already had this week's delivery.
      await PushBatchModel.deleteOne({ _id: batch });
      return;
    }
    const outcomes = await Promise.all(
      inserted.map((delivery) => context.sender.deliver({ delivery, attempts: [], grantId: null })),
    );
    await this.closeBatch(batch, inserted.length, outcomes, context.log);
  }

  /** Chooses the channel: template for a follower, else subscription if granted, else in-app. */
  private plan(
    run: ClaimedRun,
    batch: string,
    row: SourceRow,
    audience: Audience,
    picked: Map<string, CoursePick>,
    createdAt: Date,
  ): Delivery {
    const key = row.learnerId.toHexString();
    const delivery: Delivery = {
      _id: new Types.ObjectId(),
      week: run.week,
      learnerId: row.learnerId,
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
      if (row.followerOpenid !== null) {
        delivery.channel = 'template';
        delivery.openid = row.followerOpenid;
      } else if (row.openid !== null && (audience.grants.get(key)?.length ?? 0) > 0) {
        delivery.channel = 'subscription';
        delivery.openid = row.openid;
      } else {
        delivery.channel = 'in_app';
      }
    }
    return delivery;
  }

  /**
   * Marks the batch done with its counts once every delivery has a result. The counts come from
   * `outcomes` when this runner wrote every result, else from the stored results.
   */
  private async closeBatch(
    batch: string,
    deliveries: number,
    outcomes: DeliveryOutcome[] | null,
    log: Logger,
  ): Promise<void> {
    const counts = emptyCounts();
    const written = outcomes?.every((outcome) => outcome.kind === 'written') ?? false;
    if (written) {
      for (const outcome of outcomes!) if (outcome.kind === 'written') countResult(counts, outcome);
    } else {
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
      for (const result of results) countResult(counts, result);
    }
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
    const fields = { counts, openBatches, durationMs, host: os.hostname() };
    // Failures such as a wrong template id (40037) fail every message of a channel, so any
    // failure is logged as a warning. The counts give the operator the reasons.
    if (Object.keys(counts.failed).length > 0 || Object.keys(counts.fellBack).length > 0) {
      log.warn(fields, 'push run completed with failures or fallbacks');
    } else {
      log.info(fields, 'push run completed');
    }
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
