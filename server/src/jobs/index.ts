import cron from 'node-cron';
import type { AppDeps } from '../app.js';

/**
 * Starts the scheduled jobs of this server instance. Every instance runs them; the cleanup job is
 * safe to run concurrently because deletes of expired records do not conflict.
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

  return {
    stop() {
      void cleanup.stop();
    },
  };
}
