// Paid-course CLI: sets the price of a course, which is then sold through WeChat Pay and whose
// lessons need a purchase, or makes it free again. Connects to the database at MONGODB_URI.
// Setting the same price twice changes nothing and succeeds.
//
//   node --import tsx scripts/src/pay/cli.ts price --course CODE --fen 9900
//   ... price --course CODE --free
import { pino } from 'pino';
import { setCoursePrice } from '@wxlearn/server/modules/orders/course-price.service.js';
import {
  logCommandError,
  parseCommandLine,
  parseOrExit,
  runWithDatabase,
  UsageError,
} from '../database-cli.js';

const logger = pino({ name: 'pay', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));

const USAGE = `usage: cli.ts price --course CODE (--fen N | --free)
  price --course CODE --fen N   sell course CODE for N fen (9900 is 99.00 yuan)
  price --course CODE --free    make course CODE free again`;

interface PriceCommand {
  course: string;
  /** Price in fen; null makes the course free. */
  priceFen: number | null;
}

function parseCommand(args: string[]): PriceCommand {
  const { values, positionals } = parseCommandLine(
    args,
    {
      course: { type: 'string' },
      fen: { type: 'string' },
      free: { type: 'boolean', default: false },
    },
    USAGE,
  );
  const [name, ...rest] = positionals;
  if (name !== 'price') throw new UsageError(name ? `unknown command ${name}` : 'missing command');
  if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}`);
  const course = values.course?.trim();
  if (!course) throw new UsageError('price needs --course');
  if (values.free && values.fen !== undefined) {
    throw new UsageError('give --fen or --free, not both');
  }
  if (values.free) return { course, priceFen: null };
  if (values.fen === undefined || !/^[1-9]\d{0,8}$/.test(values.fen)) {
    throw new UsageError('price needs --fen with a whole number of fen of at least 1, or --free');
  }
  return { course, priceFen: Number(values.fen) };
}

async function main(): Promise<void> {
  const command = parseOrExit(parseCommand, USAGE);
  await runWithDatabase({
    logger,
    purpose: 'change',
    run: async () => {
      const { previousFen } = await setCoursePrice(command.course, command.priceFen);
      logger.info(
        { courseCode: command.course, priceFen: command.priceFen, previousFen },
        command.priceFen === null ? 'course made free' : 'course price set',
      );
      return 0;
    },
    onError: (error) =>
      logCommandError(logger, error, { courseCode: command.course }, 'price command failed'),
  });
}

void main();
