// Import CLI: loads the public data (course catalog, question banks, a generated organisation and
// roster) or a customer's files into the database at MONGODB_URI. Every step writes by a natural
// key, so running it again changes nothing. Problems are reported with file, line and reason. A
// course, question or roster file with errors imports nothing. A legacy-records file imports its
// valid rows and reports the rest, because each row is an independent record.
//
//   node --import tsx scripts/src/import/cli.ts all [--if-empty] [--data DIR] [--employees N]
//   ... catalog [--data DIR]            ... org [--employees N]
//   ... questions FILE --format gift|moodle|sheet [--bank NAME]
//   ... roster FILE                     ... roster-sample [--count N]
//   ... legacy FILE [--source NAME]     ... faq FILE
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import mongoose from 'mongoose';
import { pino } from 'pino';
import { EmployeeModel } from '@wxlearn/server/modules/org/employee.model.js';
import { parseCommandLine, parseOrExit, runWithDatabase, UsageError } from '../database-cli.js';
import { repoRoot } from '../db/paths.js';
import { importCatalogDirectory } from './catalog.js';
import { importFaqFile } from './faq.js';
import { importLegacyRecordsFile } from './legacy-records.js';
import { importEmployees, importOrgUnits, importRosterFile } from './org.js';
import { generateEmployees, generateOrg } from './parse/org.js';
import { parseGiftFile } from './parse/gift.js';
import { parseMoodleXmlFile } from './parse/moodle-xml.js';
import { parseQuestionSheet } from './parse/question-csv.js';
import type { ParseProblem, ParseResult, QuestionRecord } from './parse/types.js';
import { importGaokaoBank, importParsedQuestions, QuestionImportError } from './questions.js';

// Logs go to stderr so that stdout carries only data, such as the roster sample.
const logger = pino(
  { name: 'import', level: process.env.LOG_LEVEL ?? 'info' },
  pino.destination(2),
);

const USAGE = `usage: cli.ts <all|catalog|org|questions|roster|roster-sample|legacy|faq> [options]
  all [--if-empty] [--data DIR] [--employees N]   everything below from the public data;
                                                   --if-empty skips a database already imported
  catalog [--data DIR]                             the Chinese course catalog
  org [--employees N]                              generated org tree and roster (default 2000)
  questions FILE --format gift|moodle|sheet [--bank NAME]
  roster FILE                                      a customer's roster, CSV or xlsx
  roster-sample [--count N]                        print a few employees to bind a learner to
  legacy FILE [--source NAME]                      old-system training records, CSV or xlsx;
                                                   NAME fills blank or missing 来源系统 cells;
                                                   prints the rows not imported; exits 1 when a
                                                   row is unmatched, conflicting or invalid
  faq FILE                                         FAQ knowledge base: .xlsx, .json or .jsonl`;

type QuestionFormat = 'gift' | 'moodle' | 'sheet';

interface Options {
  data: string;
  employees: number;
  ifEmpty: boolean;
  format?: QuestionFormat;
  bank?: string;
  count: number;
  source?: string;
}

function parseOptions(args: string[]): { command: string; files: string[]; options: Options } {
  const { values, positionals } = parseCommandLine(
    args,
    {
      data: { type: 'string', default: process.env.DATA_DIR ?? '../shared/data' },
      employees: { type: 'string', default: '2000' },
      'if-empty': { type: 'boolean', default: false },
      format: { type: 'string' },
      bank: { type: 'string' },
      count: { type: 'string', default: '5' },
      source: { type: 'string' },
    },
    USAGE,
  );
  const [command, ...files] = positionals;
  if (!command) throw new UsageError('missing command');
  const employees = Number(values.employees);
  if (!Number.isInteger(employees) || employees < 0 || employees > 2_000_000) {
    throw new UsageError(
      `--employees must be an integer from 0 to 2000000, got ${values.employees}`,
    );
  }
  const format = values.format;
  if (format !== undefined && format !== 'gift' && format !== 'moodle' && format !== 'sheet') {
    throw new UsageError(`--format must be gift, moodle or sheet, got ${format}`);
  }
  return {
    command,
    files,
    options: {
      data: path.resolve(repoRoot, values.data),
      employees,
      ifEmpty: values['if-empty'],
      format,
      bank: values.bank,
      count: Number(values.count) || 5,
      source: values.source,
    },
  };
}

const PUBLIC_DATA_MARKER = 'public-data';

/** The assistant's starting knowledge base, imported by `all`. */
const PLATFORM_FAQ_FILE = path.join(repoRoot, 'scripts', 'data', 'faq', 'platform-faq.json');

/** Imports an FAQ file; returns false when an entry or synonym group was not imported. */
async function importFaq(file: string): Promise<boolean> {
  const report = await importFaqFile(file);
  logProblems(report.problems);
  logger.info(
    { file: report.file, entries: report.entries, synonyms: report.synonyms },
    'faq imported',
  );
  return report.problems.every((problem) => problem.severity === 'warning');
}

async function importOrg(employees: number) {
  const units = generateOrg();
  const unitCounts = await importOrgUnits(units);
  logger.info({ units: units.length, ...unitCounts }, 'org units imported');
  const employeeCounts = await importEmployees(generateEmployees(units, { count: employees }));
  logger.info({ employees, ...employeeCounts }, 'employees imported');
}

async function importCatalog(dataDir: string) {
  const report = await importCatalogDirectory(
    path.join(dataDir, 'cs-self-learning-catalog-zh', 'courses'),
  );
  logProblems(report.problems);
  logger.info(
    {
      created: report.created,
      updated: report.updated,
      unchanged: report.unchanged,
      failed: report.failed.length,
    },
    'catalog imported',
  );
  for (const failure of report.failed) logger.error(failure, 'course not imported');
  return report.failed.length === 0;
}

const parsers: Record<
  QuestionFormat,
  (file: string, bank: string) => Promise<ParseResult<QuestionRecord>>
> = {
  gift: (file, bank) => parseGiftFile(file, { bank }),
  moodle: (file, bank) => parseMoodleXmlFile(file, { bank }),
  sheet: (file, bank) => parseQuestionSheet(file, { bank }),
};

/** Imports one question file as one bank; returns false when the file was rejected. */
async function importQuestionFile(
  file: string,
  format: QuestionFormat,
  bank: string,
): Promise<boolean> {
  const parsed = await parsers[format](file, bank);
  try {
    const report = await importParsedQuestions(parsed, bank);
    logProblems(report.warnings);
    logger.info(
      {
        file: path.basename(file),
        bank,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        unsupported: report.unsupported,
      },
      'question file imported',
    );
    return true;
  } catch (error) {
    if (!(error instanceof QuestionImportError)) throw error;
    logProblems(error.problems);
    logger.warn(
      { file: path.basename(file), bank, problems: error.problems.length },
      'question file rejected',
    );
    return false;
  }
}

async function importAllQuestions(dataDir: string) {
  const gaokao = await importGaokaoBank(
    path.join(dataDir, 'gaokao-bench-questions-zh', 'gaokao_mcq_template_style.csv'),
  );
  logger.info(
    {
      bank: gaokao.questions.bank,
      created: gaokao.questions.created,
      updated: gaokao.questions.updated,
      unchanged: gaokao.questions.unchanged,
      quizzes: gaokao.quizzes.map((quiz) => `${quiz.code}:${quiz.status}`),
    },
    'Chinese question bank imported',
  );

  const files: { file: string; format: QuestionFormat }[] = [];
  const giftDir = path.join(dataDir, 'gift-peg-test-questions');
  for (const name of (await readdir(giftDir)).filter((entry) => entry.endsWith('.gift')).sort()) {
    files.push({ file: path.join(giftDir, name), format: 'gift' });
  }
  for (const dir of ['moodle-core-question-format-fixtures', 'moodle-xml-gapfill-examples']) {
    for (const name of (await readdir(path.join(dataDir, dir)))
      .filter((entry) => entry.endsWith('.xml'))
      .sort()) {
      files.push({ file: path.join(dataDir, dir, name), format: 'moodle' });
    }
  }
  let rejected = 0;
  for (const { file, format } of files) {
    const bank = `${format}-${path.basename(file).replace(/\.[^.]+$/, '')}`;
    if (!(await importQuestionFile(file, format, bank))) rejected++;
  }
  logger.info({ files: files.length, rejected }, 'sample question files processed');
}

function logProblems(problems: readonly ParseProblem[]) {
  for (const problem of problems) {
    const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
    const level = problem.severity === 'warning' ? 'warn' : 'error';
    logger[level]({ where, reason: problem.reason }, 'import problem');
  }
}

async function printRosterSample(count: number) {
  const employees = await EmployeeModel.find({}, { employeeNo: 1, name: 1, orgUnitCode: 1 })
    .sort({ employeeNo: 1 })
    .limit(count)
    .lean();
  for (const employee of employees) {
    process.stdout.write(`${employee.employeeNo}\t${employee.name}\t${employee.orgUnitCode}\n`);
  }
}

async function run(command: string, files: string[], options: Options): Promise<boolean> {
  switch (command) {
    case 'all': {
      // The marker is written only after every step finished, so an interrupted first import is
      // completed by the next `--if-empty` run instead of being mistaken for a full one.
      const markers = mongoose.connection.db?.collection<{ _id: string; finishedAt: Date }>(
        'importMarkers',
      );
      const marker = await markers?.findOne({ _id: PUBLIC_DATA_MARKER });
      if (options.ifEmpty && marker) {
        logger.info(
          { finishedAt: marker.finishedAt },
          'public data already imported, import skipped',
        );
        return true;
      }
      await importOrg(options.employees);
      const catalogOk = await importCatalog(options.data);
      await importAllQuestions(options.data);
      const faqOk = await importFaq(PLATFORM_FAQ_FILE);
      if (catalogOk && faqOk) {
        await markers?.updateOne(
          { _id: PUBLIC_DATA_MARKER },
          { $set: { finishedAt: new Date() } },
          { upsert: true },
        );
      }
      return catalogOk && faqOk;
    }
    case 'catalog':
      return importCatalog(options.data);
    case 'org':
      await importOrg(options.employees);
      return true;
    case 'questions': {
      if (files.length === 0 || !options.format)
        throw new UsageError('questions needs FILE and --format');
      let ok = true;
      for (const file of files) {
        const bank = options.bank ?? path.basename(file).replace(/\.[^.]+$/, '');
        ok = (await importQuestionFile(path.resolve(file), options.format, bank)) && ok;
      }
      return ok;
    }
    case 'roster': {
      if (files.length !== 1 || !files[0]) throw new UsageError('roster needs exactly one FILE');
      const report = await importRosterFile(path.resolve(files[0]));
      logProblems(report.problems);
      logger.info(
        {
          file: report.file,
          imported: report.imported,
          created: report.created,
          updated: report.updated,
          unchanged: report.unchanged,
        },
        report.imported ? 'roster imported' : 'roster rejected: nothing was imported',
      );
      return report.imported;
    }
    case 'legacy': {
      if (files.length !== 1 || !files[0]) throw new UsageError('legacy needs exactly one FILE');
      const report = await importLegacyRecordsFile(path.resolve(files[0]), {
        sourceSystem: options.source,
      });
      // The report is this command's output, so it goes to stdout: one line per row not imported.
      for (const problem of report.problems) {
        const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
        process.stdout.write(`${where}\t${problem.outcome}\t${problem.reason}\n`);
      }
      const counts = {
        rows: report.rows,
        imported: report.imported,
        duplicates: report.duplicates,
        unmatched: report.unmatched,
        conflicting: report.conflicting,
        invalid: report.invalid,
      };
      process.stdout.write(
        `${Object.entries(counts)
          .map(([name, count]) => `${name} ${count}`)
          .join(', ')}\n`,
      );
      logger.info(
        { file: report.file, accepted: report.accepted, ...counts },
        report.accepted ? 'legacy file processed' : 'legacy file rejected: nothing was imported',
      );
      return report.accepted && report.unmatched + report.conflicting + report.invalid === 0;
    }
    case 'faq':
      if (files.length !== 1 || !files[0]) throw new UsageError('faq needs exactly one FILE');
      return importFaq(path.resolve(files[0]));
    case 'roster-sample':
      await printRosterSample(options.count);
      return true;
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

async function main(): Promise<void> {
  const parsed = parseOrExit(parseOptions, USAGE);
  await runWithDatabase({
    logger,
    purpose: 'import into',
    run: async () => {
      const ok = await run(parsed.command, parsed.files, parsed.options);
      return ok ? 0 : 1;
    },
    onError: (error) => {
      if (error instanceof UsageError) {
        process.stderr.write(`${error.message}\n${USAGE}\n`);
        return 2;
      }
      logger.error({ err: error }, 'import failed');
      return 1;
    },
  });
}

void main();
