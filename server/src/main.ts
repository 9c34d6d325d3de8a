import { createApp, createDeps } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { connectDatabase, disconnectDatabase, ensureIndexes } from './db/connection.js';
import { startJobs } from './jobs/index.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  const logger = createLogger({ level: config.LOG_LEVEL });
  await connectDatabase(config.MONGODB_URI, logger);
  await ensureIndexes(logger);

  const deps = createDeps(config, logger);
  const jobs = startJobs(deps);
  const app = createApp(deps);
  const server = app.listen(config.PORT, config.HOST, () => {
    logger.info({ host: config.HOST, port: config.PORT, env: config.NODE_ENV }, 'server started');
  });

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'server stopping');
    jobs.stop();
    server.close(() => {
      void disconnectDatabase().then(() => {
        logger.info('server stopped');
        process.exit(0);
      });
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

void main();
