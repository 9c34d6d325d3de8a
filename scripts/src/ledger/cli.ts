// Ledger check: recomputes every learner's lesson progress and course completions from the
// stored sessions, heartbeats and ends, and prints each stored record that differs. Exits 1 when
// any differs. With --fix, writes the recomputed records (a course completion, once stored, is
// never removed: a difference there is reported for an operator to look at).
//
//   MONGODB_URI=… node --import tsx scripts/src/ledger/cli.ts verify [--fix]
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { verifyLedger } from '@wxlearn/server/modules/learning/ledger-verify.js';
import { runWithDatabase } from '../database-cli.js';

const logger = pino(
  { name: 'ledger', level: process.env.LOG_LEVEL ?? 'info' },
  pino.destination(2),
);
const USAGE = 'usage: cli.ts verify [--fix]';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { fix: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1 || positionals[0] !== 'verify') {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  await runWithDatabase({
    logger,
    purpose: 'check',
    run: async () => {
      const report = await verifyLedger({
        now: new Date(),
        fix: values.fix,
        onLearner: (checked) => {
          if (checked % 1000 === 0) logger.info({ checked }, 'learners checked');
        },
      });
      for (const difference of report.differences) {
        process.stdout.write(`${JSON.stringify(difference)}\n`);
      }
      logger.info(
        {
          learners: report.learners,
          lessons: report.lessons,
          differences: report.differences.length,
          fixed: report.fixed,
        },
        'ledger verified',
      );
      return report.differences.length > 0 && !values.fix ? 1 : 0;
    },
    onError: (error) => {
      logger.error({ err: error }, 'ledger check failed');
      return 1;
    },
  });
}

void main();
