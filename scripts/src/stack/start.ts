// Starts the whole product locally for a person to use: database, WeChat sandbox, data import
// (only into an empty database, so it is safe to run again), the API server and the H5 app.
// Ctrl-C stops everything it started. Data persists in `.data/` between runs.
import path from 'node:path';
import { pino } from 'pino';
import { repoRoot } from '../db/paths.js';
import { ensureH5Build, startStack } from './stack.js';

const logger = pino({ name: 'start', level: process.env.LOG_LEVEL ?? 'info' });

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const dataDir = path.resolve(repoRoot, process.env.DATA_DIR ?? '../shared/data');

  await ensureH5Build(logger);
  const stack = await startStack({
    logger,
    port,
    sandboxPort: Number(process.env.SANDBOX_PORT ?? 4010),
    databaseName: 'local',
    mongoPort: Number(process.env.MONGO_PORT ?? 27018),
    ephemeral: false,
    dataDir,
    employees: Number(process.env.DEMO_EMPLOYEES ?? 2000),
    weeklyPush: true,
  });

  const banner = [
    '',
    `  The learning channel is running: open ${stack.url}/ in a browser (a phone-sized window fits best).`,
    `  API: ${stack.url}/api   WeChat sandbox: ${stack.sandboxUrl}   Database: ${stack.mongodbUri}`,
    '  Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(banner.join('\n') + '\n');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  logger.error({ err: error }, 'start failed');
  process.exit(1);
});
