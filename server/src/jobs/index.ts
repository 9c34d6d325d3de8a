import cron from 'node-cron';
import type { AppDeps } from '../app.js';
import { settleActiveLearners } from '../modules/learning/learning.service.js';
import { payContextOf } from '../modules/orders/pay-context.js';
import { reconcilePayments } from '../modules/orders/reconciliation.js';
import { startPushJob } from '../modules/push/push-job.js';
import { claimPeriod, tenMinutePeriod } from './claims.js';

/**
 * Starts the scheduled jobs of this server instance. Every instance runs the scheduler. The
 * cleanup job is safe to run concurrently because deletes of expired records do not conflict;
 * the settle job claims its period first, so one copy does each run.
 */
export function startJobs(deps: AppDeps): { stop(): void } {
  const log = deps.logger.child({ component: 'jobs' });

  const cleanup = cron.schedule('*/10 * * * *', async () => {
    try {
      const removed = await deps.auth.deleteExpired();
      log.info({ job: 'auth-cleanup', ...removed }, 'expired sessions deleted');
    } catch (error) {
      log.error({ job: 'auth-cleanup', err: error }, 'job failed');
    }
  });

  // Writes the derived records (lesson progress, course completions, evidence) of sessions whose
  // end call never arrived, such as when the app was closed from the task switcher.
  const settle = cron.schedule('5-59/10 * * * *', async () => {
    const now = deps.now?.() ?? new Date();
    try {
      if (!(await claimPeriod('learning-settle', tenMinutePeriod(now), now))) return;
      const settled = await settleActiveLearners(now);
      log.info({ job: 'learning-settle', ...settled }, 'recent learning settled');
    } catch (error) {
      log.error({ job: 'learning-settle', err: error }, 'job failed');
    }
  });

  // Applies payments whose notification never arrived, closes expired orders and refreshes
  // refunds (modules/orders/reconciliation.ts). Off when WeChat Pay is not configured.
  const payContext = payContextOf(deps, log.child({ job: 'pay-reconcile' }));
  const reconcile = payContext
    ? cron.schedule('* * * * *', async () => {
        const now = payContext.now();
        try {
          const period = now.toISOString().slice(0, 16);
          if (!(await claimPeriod('pay-reconcile', period, now))) return;
          const summary = await reconcilePayments(payContext, payContext.logger);
          log.info({ job: 'pay-reconcile', ...summary }, 'payments reconciled');
        } catch (error) {
          log.error({ job: 'pay-reconcile', err: error }, 'job failed');
        }
      })
    : null;

  // The weekly course push (modules/push/scheduler.ts). Off unless PUSH_ENABLED is true.
  const push = startPushJob(deps);

  return {
    stop() {
      void cleanup.stop();
      void settle.stop();
      void reconcile?.stop();
      push?.stop();
    },
  };
}
