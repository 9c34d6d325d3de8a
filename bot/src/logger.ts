import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** Creates the bot's logger. The service and puppet tokens never reach a log line. */
export function createBotLogger(
  options: LoggerOptions = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      base: { service: 'bot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['token', 'authorization', '*.token', '*.authorization', 'headers.authorization'],
        censor: '[redacted]',
      },
      ...options,
    },
    destination ?? pino.destination(1),
  );
}

export type { Logger };
