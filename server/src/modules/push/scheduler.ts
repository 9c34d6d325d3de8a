// Starts the weekly run on every server copy and lets exactly one copy do it. The cron schedule
// and a check at start-up and every 10 minutes call the same tick(): once this week's scheduled
// time has passed, it inserts the week's run under a unique index, and the copy whose insert
// succeeds runs it. A copy that finds the run unfinished and without a heartbeat for a lease
// period takes it over with a claim of the next attempt number, and resumes it.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import cron from 'node-cron';
import { isDuplicateKeyError } from '../../db/errors.js';
import { claimPeriod } from '../../jobs/claims.js';
import type { Logger } from '../../logger.js';
import { PUSH_JOB, PushRunModel, type PushRun } from './push-run.model.js';
import type { ClaimedRun, PushRunner, PushRunReport } from './runner.js';
import { isoWeekKey, scheduledTimeThisWeek } from './week.js';

/** Job name of takeover claims in the claims collection; the period is `<week>#<attempt>`. */
export const PUSH_TAKEOVER_JOB = 'weekly-push-takeover';

export interface PushSchedulerOptions {
  cronExpression: string;
  timeZone: string;
  runner: Pick<PushRunner, 'run' | 'stop'>;
  logger: Logger;
  now?: () => Date;
  /**
   * Time without a heartbeat after which another copy takes the run over. It must be several
   * heartbeat intervals, so a busy copy is not taken over while it still runs.
   */
  leaseMs?: number;
  /** Interval of the check for a missed or abandoned run. */
  checkIntervalMs?: number;
}

export type TickOutcome =
  | { kind: 'not_due' }
  | { kind: 'busy' }
  | { kind: 'completed'; week: string }
  /** Another copy runs it; `staleInMs` until its heartbeat would be too old. */
  | { kind: 'running_elsewhere'; week: string; staleInMs: number }
  | { kind: 'ran'; week: string; report: PushRunReport }
  | { kind: 'stopped'; week: string };

export const DEFAULT_LEASE_MS = 60_000;
export const DEFAULT_CHECK_INTERVAL_MS = 10 * 60_000;

export class PushScheduler {
  private readonly now: () => Date;
  private readonly leaseMs: number;
  private readonly owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private busy = false;

  constructor(private readonly options: PushSchedulerOptions) {
    this.now = options.now ?? (() => new Date());
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** Schedules the run and the periodic check, and checks once now. */
  start(): { stop(): void } {
    const { cronExpression, timeZone, logger } = this.options;
    let recheck: NodeJS.Timeout | undefined;
    let stopped = false;
    const tickAndLog = async (trigger: string) => {
      try {
        const outcome = await this.tick();
        logger.info({ trigger, outcome: outcome.kind }, 'push schedule checked');
        if (outcome.kind === 'running_elsewhere' && !stopped) {
          // Check again as soon as the other copy's lease could have run out, instead of at the
          // next periodic check.
          clearTimeout(recheck);
          recheck = setTimeout(() => void tickAndLog('lease'), outcome.staleInMs + 1_000);
        }
      } catch (error) {
        logger.error({ trigger, err: error }, 'push run failed');
      }
    };
    const task = cron.schedule(cronExpression, () => tickAndLog('schedule'), {
      timezone: timeZone,
      name: 'weekly-push',
      noOverlap: true,
    });
    const interval = setInterval(
      () => void tickAndLog('check'),
      this.options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS,
    );
    void tickAndLog('start-up');
    logger.info({ cron: cronExpression, timeZone }, 'push scheduled');
    return {
      stop: () => {
        stopped = true;
        void task.destroy();
        clearInterval(interval);
        clearTimeout(recheck);
        this.options.runner.stop();
      },
    };
  }

  /** Starts, resumes or skips this week's run, and runs it to the end when it is this copy's. */
  async tick(): Promise<TickOutcome> {
    if (this.busy) return { kind: 'busy' };
    this.busy = true;
    try {
      const now = this.now();
      const scheduledAt = scheduledTimeThisWeek(
        this.options.cronExpression,
        this.options.timeZone,
        now,
      );
      if (scheduledAt === null) return { kind: 'not_due' };
      const week = isoWeekKey(scheduledAt, this.options.timeZone);

      const claimed = (await this.claimNew(week, now)) ?? (await this.claimAbandoned(week, now));
      if ('kind' in claimed) return claimed;
      const report = await this.options.runner.run(claimed);
      return report === null ? { kind: 'stopped', week } : { kind: 'ran', week, report };
    } finally {
      this.busy = false;
    }
  }

  /** Inserts the week's run; returns null when it exists already. */
  private async claimNew(week: string, now: Date): Promise<ClaimedRun | null> {
    try {
      const run = await PushRunModel.create({
        job: PUSH_JOB,
        week,
        state: 'running',
        attempt: 1,
        owner: this.owner,
        heartbeatAt: now,
        startedAt: now,
      });
      this.options.logger.info({ week, runId: run._id }, 'push run claimed');
      return { runId: run._id, week, attempt: 1, startedAt: now };
    } catch (error) {
      if (isDuplicateKeyError(error)) return null;
      throw error;
    }
  }

  /** Takes over the week's run when it is unfinished and its owner stopped sending heartbeats. */
  private async claimAbandoned(week: string, now: Date): Promise<ClaimedRun | TickOutcome> {
    const run = await PushRunModel.findOne({ job: PUSH_JOB, week }).lean<PushRun>();
    if (run === null) {
      throw new Error(`push run of ${week} was not found after its insert failed as a duplicate`);
    }
    if (run.state === 'completed') return { kind: 'completed', week };
    const staleInMs = run.heartbeatAt.getTime() + this.leaseMs - now.getTime();
    if (staleInMs > 0) return { kind: 'running_elsewhere', week, staleInMs };

    const attempt = run.attempt + 1;
    if (!(await claimPeriod(PUSH_TAKEOVER_JOB, `${week}#${attempt}`, now))) {
      return { kind: 'running_elsewhere', week, staleInMs: this.leaseMs };
    }
    // The claim above made this copy the only one with this attempt number. The previous owner
    // stops when its heartbeat update no longer matches the run's attempt.
    await PushRunModel.updateOne(
      { _id: run._id },
      { $set: { attempt, owner: this.owner, heartbeatAt: now } },
    );
    this.options.logger.warn(
      { week, runId: run._id, attempt, previousOwner: run.owner, lastHeartbeat: run.heartbeatAt },
      'push run taken over',
    );
    return { runId: run._id, week, attempt, startedAt: run.startedAt };
  }
}
