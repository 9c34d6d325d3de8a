// Starts the service bot: `npm run -w @wxlearn/bot start`. With the mock puppet (the default) it
// is a local demo: each line typed on standard input is a message of a mock learner to the bot,
// and the bot's replies to that learner are printed.
import { createInterface } from 'node:readline';
import { WechatyBuilder, type Wechaty } from 'wechaty';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { ServiceBot } from './bot.js';
import { loadBotConfig, type BotConfig } from './config.js';
import { createBotLogger, type Logger } from './logger.js';
import { ServerClient } from './server-client.js';

/** Builds Wechaty with the configured puppet, and the mock demo's start-up step when mocked. */
function buildWechaty(config: BotConfig, logger: Logger) {
  if (config.BOT_PUPPET === 'wechaty-puppet-service') {
    const wechaty = WechatyBuilder.build({
      name: 'wxlearn-bot',
      puppet: 'wechaty-puppet-service',
      puppetOptions: { token: config.BOT_PUPPET_TOKEN },
    });
    return { wechaty, afterStart: async () => {} };
  }
  const mocker = new mock.Mocker();
  const wechaty = WechatyBuilder.build({ name: 'wxlearn-bot', puppet: new PuppetMock({ mocker }) });
  return { wechaty, afterStart: () => startMockConsole(wechaty, mocker, logger) };
}

/** Logs the bot in as a mock account and relays standard input as a mock learner's messages. */
async function startMockConsole(
  wechaty: Wechaty,
  mocker: mock.Mocker,
  logger: Logger,
): Promise<void> {
  const botUser = mocker.createContact({ name: '企业学堂客服' });
  mocker.login(botUser);
  const learner = mocker.createContact({ name: '本地学员' });
  wechaty.on('message', (message) => {
    if (message.self() && message.listener()?.id === learner.id) {
      process.stdout.write(`bot> ${message.text()}\n`);
    }
  });
  logger.info({ learnerId: learner.id }, 'mock console ready: type a question and press Enter');
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() !== '') learner.say(line).to(botUser);
  });
}

function logPuppetEvents(wechaty: Wechaty, logger: Logger): void {
  wechaty.on('scan', (_qrcode, status) => logger.info({ status }, 'bot waiting for login scan'));
  wechaty.on('login', (user) => logger.info({ userId: user.id }, 'bot logged in'));
  wechaty.on('logout', (user) => logger.warn({ userId: user.id }, 'bot logged out'));
  wechaty.on('error', (error) => logger.error({ err: error }, 'bot puppet error'));
}

async function main(): Promise<void> {
  let config: BotConfig;
  try {
    config = loadBotConfig();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  const logger = createBotLogger({ level: config.LOG_LEVEL });
  const client = new ServerClient({
    baseUrl: config.BOT_SERVER_URL,
    token: config.BOT_SERVICE_TOKEN,
    timeoutMs: config.BOT_REQUEST_TIMEOUT_MS,
    logger,
  });
  const { wechaty, afterStart } = buildWechaty(config, logger);
  logPuppetEvents(wechaty, logger);
  const bot = new ServiceBot({ wechaty, client, logger, outboxPollMs: config.BOT_OUTBOX_POLL_MS });
  bot.start();
  await wechaty.start();
  await afterStart();
  logger.info({ puppet: config.BOT_PUPPET, server: config.BOT_SERVER_URL }, 'bot started');

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'bot stopping');
    setTimeout(() => process.exit(1), 10_000).unref();
    void bot
      .stop()
      .then(() => wechaty.stop())
      .then(() => {
        logger.info('bot stopped');
        process.exit(0);
      });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

void main();
