// Import step for question banks: writes parsed QuestionRecords into the `questions` collection
// and creates the quizzes that draw from them (`quizzes` collection). It only inserts and
// updates: nothing is deleted, so a question dropped from a file stays in the bank.
//
// Safe to run twice: questions are upserted by (bank, externalId) and quizzes by code, and a
// second run with the same input writes nothing. The functions use the mongoose connection that
// the caller opened.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Types } from 'mongoose';
import { z } from 'zod';
import {
  QuestionModel,
  type QuestionContent,
  type QuestionOption as StoredOption,
} from '@wxlearn/server/modules/quizzes/question.model.js';
import { QuizModel, type QuizSettings } from '@wxlearn/server/modules/quizzes/quiz.model.js';
import { quizQuestionFilter } from '@wxlearn/server/modules/quizzes/question-filter.js';
import { parseQuestionCsv } from './parse/question-csv.js';
import { csvTextRows, findColumn } from './parse/table.js';
import { decodeText } from './parse/text.js';
import type { ParseProblem, ParseResult, QuestionRecord } from './parse/types.js';

export interface QuestionImportReport {
  bank: string;
  created: number;
  updated: number;
  unchanged: number;
  /** Problems with severity 'warning' that the parser reported; their records were imported. */
  warnings: ParseProblem[];
  /** Items the parser recognised but does not import, by their type name in the source. */
  unsupported: Record<string, number>;
}

/** Thrown before any write when the input has problems; nothing of the file was imported. */
export class QuestionImportError extends Error {
  constructor(
    readonly bank: string,
    readonly problems: ParseProblem[],
  ) {
    const listed = problems.slice(0, 20).map((problem) => `  - ${describeProblem(problem)}`);
    const more = problems.length > 20 ? [`  … and ${problems.length - 20} more`] : [];
    super(
      `Question bank ${bank} was not imported: ${problems.length} problem(s), fix them and run ` +
        `the import again:\n${[...listed, ...more].join('\n')}`,
    );
    this.name = 'QuestionImportError';
  }
}

function describeProblem(problem: ParseProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return `${where}: ${problem.reason}`;
}

/** Returns the problems that make a record unusable in a quiz; empty when it is fine. */
function checkRecord(record: QuestionRecord, bank: string): string[] {
  const reasons: string[] = [];
  const keys = record.options.map((option) => option.key);
  if (record.bank !== bank) reasons.push(`belongs to bank ${record.bank}, not ${bank}`);
  if (record.stem.trim() === '') reasons.push('empty stem');
  if (keys.length < 2) reasons.push(`needs at least 2 options, has ${keys.length}`);
  if (new Set(keys).size !== keys.length) reasons.push(`repeated option key in ${keys.join(',')}`);
  if (record.options.some((option) => option.text.trim() === '')) reasons.push('empty option');

  const unknown = record.answer.filter((key) => !keys.includes(key));
  if (unknown.length > 0) reasons.push(`answer key ${unknown.join(',')} is not an option`);
  if (record.answer.length === 0) reasons.push('no correct answer');
  if (record.type !== 'multiple' && record.answer.length !== 1) {
    reasons.push(`a ${record.type} question needs exactly one correct key`);
  }
  if (record.type === 'truefalse' && keys.join(',') !== 'T,F') {
    reasons.push(`true/false options must be T and F, got ${keys.join(',')}`);
  }
  return reasons;
}

function sourceFile(record: QuestionRecord): string {
  return record.source.replace(/(:\d+|#[^#]*)$/, '');
}

function validateRecords(records: readonly QuestionRecord[], bank: string): ParseProblem[] {
  const problems: ParseProblem[] = [];
  const seen = new Map<string, string>();
  for (const record of records) {
    const reasons = checkRecord(record, bank);
    const first = seen.get(record.externalId);
    if (first) reasons.push(`same externalId ${record.externalId} as ${first}`);
    seen.set(record.externalId, record.source);
    for (const reason of reasons) {
      problems.push({ file: sourceFile(record), reason: `${record.source}: ${reason}` });
    }
  }
  return problems;
}

/** Maps a record onto the stored fields, with null for what the source leaves out. */
function contentOf(record: QuestionRecord): QuestionContent {
  return {
    bank: record.bank,
    externalId: record.externalId,
    type: record.type,
    format: record.format,
    stem: record.stem,
    options: record.options.map((option): StoredOption => ({
      key: option.key,
      text: option.text,
      feedback: option.feedback ?? null,
      weight: option.weight ?? null,
    })),
    answer: [...record.answer],
    explanation: record.explanation ?? null,
    title: record.title ?? null,
    category: record.category ?? null,
    tags: record.tags ?? [],
    score: record.score ?? null,
    source: record.source,
  };
}

/** Serialises the stored fields in a fixed order, so equal content gives equal text. */
function comparable(content: QuestionContent): string {
  return JSON.stringify([
    content.type,
    content.format,
    content.stem,
    content.options.map((option) => [
      option.key,
      option.text,
      option.feedback ?? null,
      option.weight ?? null,
    ]),
    content.answer,
    content.explanation ?? null,
    content.title ?? null,
    content.category ?? null,
    content.tags ?? [],
    content.score ?? null,
    content.source,
  ]);
}

/**
 * Upserts the records of one bank by (bank, externalId) and returns how many questions were
 * created, updated and left unchanged. Every record is checked first: when any record is unusable
 * (wrong bank, unknown answer key, repeated externalId, …) a QuestionImportError lists them all
 * and nothing is written.
 *
 * Without transactions a crash part-way leaves some records written; running the import again
 * completes it. Two imports of one bank at the same time can make one of them fail with a
 * duplicate-key error, and running it again completes it too.
 */
export async function importQuestions(
  records: readonly QuestionRecord[],
  bank: string,
): Promise<QuestionImportReport> {
  const problems = validateRecords(records, bank);
  if (problems.length > 0) throw new QuestionImportError(bank, problems);

  const stored = await QuestionModel.find({ bank }).lean();
  const storedById = new Map(stored.map((question) => [question.externalId, question]));

  const toCreate: QuestionContent[] = [];
  const toUpdate: { id: Types.ObjectId; content: QuestionContent }[] = [];
  let unchanged = 0;
  for (const record of records) {
    const content = contentOf(record);
    const existing = storedById.get(record.externalId);
    if (!existing) {
      toCreate.push(content);
    } else if (comparable(existing) !== comparable(content)) {
      toUpdate.push({ id: existing._id, content });
    } else {
      unchanged++;
    }
  }

  if (toCreate.length > 0) await QuestionModel.insertMany(toCreate, { ordered: true });
  for (const { id, content } of toUpdate) {
    await QuestionModel.updateOne({ _id: id }, { $set: content });
  }
  return {
    bank,
    created: toCreate.length,
    updated: toUpdate.length,
    unchanged,
    warnings: [],
    unsupported: {},
  };
}

/**
 * Imports one parsed file. A file with any error problem is rejected as a whole, so a learner
 * never sees half a bank; warnings and unsupported items are passed on in the report.
 */
export async function importParsedQuestions(
  parsed: ParseResult<QuestionRecord>,
  bank: string,
): Promise<QuestionImportReport> {
  const errors = parsed.problems.filter((problem) => (problem.severity ?? 'error') === 'error');
  if (errors.length > 0) throw new QuestionImportError(bank, errors);

  const report = await importQuestions(parsed.records, bank);
  return {
    ...report,
    warnings: parsed.problems.filter((problem) => problem.severity === 'warning'),
    unsupported: { ...parsed.unsupported },
  };
}

const quizSpecSchema = z.strictObject({
  code: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'use lower-case letters, digits and "-"'),
  title: z.string().trim().min(1).max(100),
  bank: z.string().min(1),
  category: z.string().min(1).nullable().default(null),
  questionCount: z.number().int().min(1).max(200),
  timeLimitSeconds: z.number().int().min(1).nullable().default(null),
  passPercent: z.number().min(0).max(100),
  maxAttempts: z.number().int().min(1).nullable().default(null),
  pointsPerQuestion: z.number().positive().nullable().default(null),
  shuffleOptions: z.boolean().default(false),
  courseId: z
    .string()
    .regex(/^[0-9a-f]{24}$/i, 'must be a 24-character hex id')
    .nullable()
    .default(null),
});

/** Settings of a quiz for `ensureQuiz`; omitted optional settings take their defaults. */
export type QuizSpec = z.input<typeof quizSpecSchema>;

export interface EnsureQuizReport {
  quizId: string;
  code: string;
  status: 'created' | 'updated' | 'unchanged';
  /** Questions in the quiz's bank and category. */
  available: number;
}

function settingsOf(spec: z.output<typeof quizSpecSchema>): QuizSettings {
  return { ...spec, courseId: spec.courseId ? new Types.ObjectId(spec.courseId) : null };
}

function sameSettings(stored: QuizSettings, wanted: QuizSettings): boolean {
  return (Object.keys(wanted) as (keyof QuizSettings)[]).every((key) => {
    const a = stored[key] ?? null;
    const b = wanted[key];
    return a instanceof Types.ObjectId ? b instanceof Types.ObjectId && a.equals(b) : a === b;
  });
}

/**
 * Creates the quiz with this code, or updates its settings to the spec, after checking that its
 * bank and category hold at least `questionCount` questions (import the questions first).
 */
export async function ensureQuiz(spec: QuizSpec): Promise<EnsureQuizReport> {
  const parsed = quizSpecSchema.safeParse(spec);
  if (!parsed.success) {
    const reasons = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid quiz ${JSON.stringify(spec.code)}: ${reasons.join('; ')}`);
  }
  const settings = settingsOf(parsed.data);

  const available = await QuestionModel.countDocuments(quizQuestionFilter(settings));
  if (available < settings.questionCount) {
    throw new Error(
      `Quiz ${settings.code} needs ${settings.questionCount} questions but bank ` +
        `${settings.bank}${settings.category ? ` category ${settings.category}` : ''} has ` +
        `${available}: import the questions first or lower questionCount`,
    );
  }

  const existing = await QuizModel.findOne({ code: settings.code }).lean();
  if (!existing) {
    try {
      const created = await QuizModel.create(settings);
      return { quizId: created._id.toString(), code: settings.code, status: 'created', available };
    } catch (error) {
      // Another run created it meanwhile: fall through to compare with that one.
      if ((error as { code?: unknown }).code !== 11000) throw error;
    }
  }

  const current = existing ?? (await QuizModel.findOne({ code: settings.code }).orFail().lean());
  const quizId = current._id.toString();
  if (sameSettings(current, settings)) {
    return { quizId, code: settings.code, status: 'unchanged', available };
  }
  await QuizModel.updateOne({ _id: current._id }, { $set: settings });
  return { quizId, code: settings.code, status: 'updated', available };
}

/** Subjects of the GAOKAO-Bench CSV, identified by the upstream file named in its 来源文件 column. */
export const GAOKAO_SUBJECTS = [
  {
    sourceFile: 'Political_Science',
    subject: '政治',
    code: 'gaokao-politics',
    title: '思想政治常识测验',
  },
  { sourceFile: 'History', subject: '历史', code: 'gaokao-history', title: '历史常识测验' },
  { sourceFile: 'Biology', subject: '生物', code: 'gaokao-biology', title: '生物常识测验' },
] as const;

export const GAOKAO_BANK = 'gaokao';

/**
 * Removes the exam paper's own numbering and marks from the start of a stem, such as
 * "12．（ 4分）", which would be misleading in a randomly drawn paper.
 */
export function stripExamNumbering(stem: string): string {
  return stem.replace(/^\s*\d+\s*[．.、]\s*(?:（\s*\d+\s*分\s*）)?\s*/, '');
}

/**
 * Joins the lines of a stem that the source's PDF extraction wrapped at the paper's width, so the
 * text reflows on a phone. A line break stays where the next line starts a numbered statement
 * (①…⑳) or the line ends a sentence or introduces a list.
 */
export function joinWrappedLines(stem: string): string {
  return stem
    .replace(/[ \t\u3000]*\n[ \t\u3000]*/g, '\n')
    .replace(/([^。？！：；\n])\n(?![①-⑳\n])/g, '$1')
    .trim();
}

/** Maps each CSV line to the subject named by its 来源文件 cell; problems for unknown ones. */
function gaokaoSubjectsByLine(text: string, file: string) {
  const subjects = new Map<number, string>();
  const problems: ParseProblem[] = [];
  const [header, ...rows] = csvTextRows(text);
  const column = header ? findColumn(header.cells, ['来源文件']) : -1;
  if (column === -1) {
    problems.push({ file, line: 1, reason: 'missing column 来源文件, which names the subject' });
    return { subjects, problems };
  }
  for (const row of rows) {
    const sourceFile = row.cells[column] ?? '';
    const known = GAOKAO_SUBJECTS.find((entry) => sourceFile.includes(entry.sourceFile));
    if (known) subjects.set(row.line, known.subject);
    else
      problems.push({
        file,
        line: row.line,
        reason: `unknown 来源文件 ${JSON.stringify(sourceFile)}`,
      });
  }
  return { subjects, problems };
}

export interface GaokaoImportReport {
  questions: QuestionImportReport;
  quizzes: EnsureQuizReport[];
}

/**
 * Imports the GAOKAO-Bench CSV (题型, 题干, 选项A–D, 答案, 解析, …, 来源文件) into one bank, with
 * each question's category set to its subject (政治, 历史 or 生物), then ensures one quiz per
 * subject: 10 questions, 20 minutes, 10 points each, pass at 60%, at most 3 attempts. Options are not shuffled
 * because the explanations cite option letters.
 */
export async function importGaokaoBank(
  file: string,
  bank = GAOKAO_BANK,
): Promise<GaokaoImportReport> {
  const name = path.basename(file);
  const decoded = decodeText(await readFile(file));
  if (decoded === null) {
    throw new QuestionImportError(bank, [
      { file: name, reason: 'file is neither UTF-8 nor GB18030 text' },
    ]);
  }

  const parsed = parseQuestionCsv(decoded.text, name, { bank });
  const hasErrors = parsed.problems.some((problem) => (problem.severity ?? 'error') === 'error');
  const { subjects, problems } = hasErrors
    ? { subjects: new Map<number, string>(), problems: [] }
    : gaokaoSubjectsByLine(decoded.text, name);
  const records = parsed.records.map((record) => ({
    ...record,
    stem: joinWrappedLines(stripExamNumbering(record.stem)),
    category: subjects.get(Number(record.source.slice(record.source.lastIndexOf(':') + 1))),
  }));
  const questions = await importParsedQuestions(
    { ...parsed, records, problems: [...parsed.problems, ...problems] },
    bank,
  );

  const quizzes: EnsureQuizReport[] = [];
  for (const { subject, code, title } of GAOKAO_SUBJECTS) {
    quizzes.push(
      await ensureQuiz({
        code,
        title,
        bank,
        category: subject,
        questionCount: 10,
        timeLimitSeconds: 20 * 60,
        passPercent: 60,
        pointsPerQuestion: 10,
        shuffleOptions: false,
        // The result page shows the answers and explanations, so attempts are limited.
        maxAttempts: 3,
      }),
    );
  }
  return { questions, quizzes };
}
