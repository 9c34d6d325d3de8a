// Recommendations CLI: sets the required courses of org units ("本单位要求"), which the recommender
// puts first, and prints every learner's picks. Connects to the database at MONGODB_URI.
// Assigning the same unit, post and course again moves its due date; removing a missing
// assignment changes nothing, so commands can be re-run.
//
//   node --import tsx scripts/src/recommendations/cli.ts assign --unit CODE --course CODE
//     --due YYYY-MM-DD [--post P]
//   ... unassign --unit CODE --course CODE [--post P]
//   ... list [--unit CODE]
//   ... import FILE.csv
//   ... picks [--limit N]
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { pino } from 'pino';
import { ApiError } from '@wxlearn/server/errors.js';
import {
  assignCourse,
  listAssignments,
  removeAssignment,
} from '@wxlearn/server/modules/recommendations/assignments.service.js';
import { recommendForAllLearners } from '@wxlearn/server/modules/recommendations/batch.js';
import {
  logCommandError,
  parseCommandLine,
  parseOrExit,
  runWithDatabase,
  UsageError,
} from '../database-cli.js';

// Logs go to stderr so that stdout carries only the listed rows.
const logger = pino(
  { name: 'recommendations', level: process.env.LOG_LEVEL ?? 'info' },
  pino.destination(2),
);

const USAGE = `usage: cli.ts <assign|unassign|list|import|picks> [options]
  assign --unit CODE --course CODE --due YYYY-MM-DD [--post P]
                           require course CODE of unit CODE and every unit below it by the due
                           date (Asia/Shanghai), of post P only when given; again moves the date
  unassign --unit CODE --course CODE [--post P]
                           remove that assignment
  list [--unit CODE]       print assignments tab-separated: unit, post (* for all), course code,
                           course title, due date
  import FILE.csv          assign every row of a CSV file with the header
                           orgUnitCode,post,courseCode,dueOn (post empty for all posts)
  picks [--limit N]        print every learner's picks as JSON lines {learnerId, picks},
                           N picks each (default 5, at most 20)`;

type Command =
  | { name: 'assign'; unit: string; course: string; due: string; post: string | null }
  | { name: 'unassign'; unit: string; course: string; post: string | null }
  | { name: 'list'; unit?: string }
  | { name: 'import'; file: string }
  | { name: 'picks'; limit: number };

function parseCommand(args: string[]): Command {
  const { values, positionals } = parseCommandLine(
    args,
    {
      unit: { type: 'string' },
      course: { type: 'string' },
      due: { type: 'string' },
      post: { type: 'string' },
      limit: { type: 'string', default: '5' },
    },
    USAGE,
  );
  const [name, ...rest] = positionals;
  const unit = values.unit?.trim();
  const course = values.course?.trim();
  const post = values.post?.trim() || null;
  switch (name) {
    case 'assign':
      if (!unit || !course || !values.due) {
        throw new UsageError('assign needs --unit, --course and --due');
      }
      return { name, unit, course, due: values.due.trim(), post };
    case 'unassign':
      if (!unit || !course) throw new UsageError('unassign needs --unit and --course');
      return { name, unit, course, post };
    case 'list':
      return { name, unit: unit || undefined };
    case 'import':
      if (rest.length !== 1) throw new UsageError('import needs one CSV file');
      return { name, file: rest[0]! };
    case 'picks': {
      const limit = Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 20) {
        throw new UsageError(`--limit must be an integer from 1 to 20, got ${values.limit}`);
      }
      return { name, limit };
    }
    case undefined:
      throw new UsageError('missing command');
    default:
      throw new UsageError(`unknown command ${name}`);
  }
}

interface AssignmentRow {
  orgUnitCode?: string;
  post?: string;
  courseCode?: string;
  dueOn?: string;
}

/** Assigns every row of the file; a row that fails is reported and the others still go in. */
async function importFile(file: string): Promise<number> {
  const rows = parse(await readFile(file, 'utf8'), {
    columns: true,
    skip_empty_lines: true,
    trim: true,
    bom: true,
  }) as AssignmentRow[];
  let failed = 0;
  for (const [index, row] of rows.entries()) {
    const line = index + 2;
    try {
      if (!row.orgUnitCode || !row.courseCode || !row.dueOn) {
        throw new UsageError('orgUnitCode, courseCode and dueOn are required');
      }
      await assignCourse({
        orgUnitCode: row.orgUnitCode,
        post: row.post || null,
        courseCode: row.courseCode,
        dueOn: row.dueOn,
      });
    } catch (error) {
      if (!(error instanceof ApiError || error instanceof UsageError)) throw error;
      failed++;
      logger.error({ file, line, reason: error.message }, 'assignment row not imported');
    }
  }
  logger.info({ file, rows: rows.length, failed }, 'assignments imported');
  return failed;
}

async function run(command: Command): Promise<number> {
  switch (command.name) {
    case 'assign': {
      const assignment = await assignCourse({
        orgUnitCode: command.unit,
        post: command.post,
        courseCode: command.course,
        dueOn: command.due,
      });
      logger.info({ ...assignment }, 'course assigned');
      return 0;
    }
    case 'unassign': {
      const removed = await removeAssignment(command.unit, command.post, command.course);
      logger.info(
        { orgUnitCode: command.unit, post: command.post, courseCode: command.course },
        removed ? 'assignment removed' : 'no such assignment, nothing changed',
      );
      return 0;
    }
    case 'list':
      for (const row of await listAssignments(command.unit)) {
        const fields = [
          row.orgUnitCode,
          row.post ?? '*',
          row.courseCode,
          row.courseTitle,
          row.dueOn,
        ];
        process.stdout.write(`${fields.join('\t')}\n`);
      }
      return 0;
    case 'import':
      return (await importFile(command.file)) > 0 ? 1 : 0;
    case 'picks':
      for await (const result of recommendForAllLearners({ logger, limit: command.limit })) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
      }
      return 0;
  }
}

async function main(): Promise<void> {
  const command = parseOrExit(parseCommand, USAGE);
  await runWithDatabase({
    logger,
    purpose: 'use',
    run: () => run(command),
    onError: (error) => logCommandError(logger, error, { command: command.name }, 'command failed'),
  });
}

void main();
