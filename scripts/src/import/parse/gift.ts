// GIFT (Moodle's plain-text question format) to QuestionRecord, using the gift-pegjs parser.
import { readFile } from 'node:fs/promises';
import { parse as parseGiftText } from 'gift-pegjs';
import type {
  FormatType as GiftFormat,
  GIFTQuestion,
  MultipleChoice,
  TextFormat as GiftText,
  TrueFalse,
} from 'gift-pegjs';
import {
  recordFromDraft,
  trueFalseOptions,
  type DraftContext,
  type DraftOption,
  type QuestionDraft,
  type QuestionParseOptions,
  type TextPiece,
} from './question-draft.js';
import { bankNameFromFile, countUnsupported, normaliseCategoryPath } from './text.js';
import type { ParseProblem, ParseResult, QuestionRecord, TextFormat } from './types.js';

/** Moodle's auto-format is plain text whose line breaks and URLs Moodle renders itself. */
export function giftFormatToTextFormat(format: GiftFormat): TextFormat {
  if (format === 'html' || format === 'markdown') {
    return format;
  }
  return 'plain';
}

/**
 * Returns the 1-based line where each GIFT item (question or `$CATEGORY:`) starts, in file
 * order. Items are blocks of lines separated by blank lines, and comment lines (`//`) are
 * not part of an item's start. gift-pegjs needs a blank line after `$CATEGORY:` too.
 */
export function giftItemStartLines(text: string): number[] {
  const starts: number[] = [];
  let inItem = false;
  text.split(/\r\n|\r|\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '') {
      inItem = false;
      return;
    }
    if (trimmed.startsWith('//')) {
      return;
    }
    if (!inItem) {
      starts.push(index + 1);
      inItem = true;
    }
  });
  return starts;
}

function piece(text: GiftText | null | undefined): TextPiece | undefined {
  if (!text || text.text.trim() === '') {
    return undefined;
  }
  return { text: text.text, format: giftFormatToTextFormat(text.format) };
}

type DraftResult = { draft: QuestionDraft } | { error: string };

/**
 * Maps a GIFT multiple-choice question. An option's credit is its `%n%` weight, else 100 for
 * `=` and 0 for `~`. Exactly one full-credit option makes a single-choice question (other
 * options may keep partial credit in `weight`, as in Moodle). Several full-credit options,
 * or no full-credit option but some with positive weight, make a multiple-choice question
 * whose answer is those options.
 */
function draftFromMultipleChoice(question: MultipleChoice): DraftResult {
  const stem = piece(question.stem);
  if (!stem) {
    return { error: 'multiple-choice question has an empty stem' };
  }
  if (question.choices.length < 2) {
    return {
      error: `multiple-choice question has ${question.choices.length} option(s), needs at least 2`,
    };
  }
  const options: DraftOption[] = [];
  const credits: number[] = [];
  for (const choice of question.choices) {
    const option: DraftOption = { text: piece(choice.text) ?? { text: '', format: 'plain' } };
    const feedback = piece(choice.feedback);
    if (feedback) {
      option.feedback = feedback;
    }
    if (choice.weight !== null && choice.weight !== undefined) {
      option.weight = choice.weight;
    }
    options.push(option);
    credits.push(choice.weight ?? (choice.isCorrect ? 100 : 0));
  }
  const emptyIndex = options.findIndex((option) => option.text.text === '');
  if (emptyIndex !== -1) {
    return { error: `multiple-choice option ${emptyIndex + 1} has no text` };
  }
  const full = credits.flatMap((credit, index) => (credit >= 99.99 ? [index] : []));
  const positive = credits.flatMap((credit, index) => (credit > 0 ? [index] : []));
  const draft: QuestionDraft = { type: 'single', stem, options, answerIndexes: full };
  if (full.length > 1) {
    draft.type = 'multiple';
  } else if (full.length === 0) {
    if (positive.length === 0) {
      return {
        error: 'multiple-choice question has no correct option (no "=" and no positive %weight%)',
      };
    }
    draft.type = 'multiple';
    draft.answerIndexes = positive;
  }
  const explanation = piece(question.globalFeedback);
  if (explanation) {
    draft.explanation = explanation;
  }
  return { draft };
}

/**
 * Maps a GIFT true/false question. In `{T#a#b}` Moodle shows `a` for a wrong response and
 * `b` for a right one (question/format/gift/format.php, case 'truefalse'). gift-pegjs stores
 * them by position as trueFeedback (first) and falseFeedback (second), so for a TRUE answer
 * the first text belongs to option F and for a FALSE answer to option T.
 */
function draftFromTrueFalse(question: TrueFalse): DraftResult {
  const stem = piece(question.stem);
  if (!stem) {
    return { error: 'true/false question has an empty stem' };
  }
  const wrongResponseFeedback = piece(question.trueFeedback);
  const rightResponseFeedback = piece(question.falseFeedback);
  const [trueOption, falseOption] = trueFalseOptions();
  const trueFeedback = question.isTrue ? rightResponseFeedback : wrongResponseFeedback;
  const falseFeedback = question.isTrue ? wrongResponseFeedback : rightResponseFeedback;
  if (trueFeedback) trueOption.feedback = trueFeedback;
  if (falseFeedback) falseOption.feedback = falseFeedback;
  const draft: QuestionDraft = {
    type: 'truefalse',
    stem,
    options: [trueOption, falseOption],
    answerIndexes: [question.isTrue ? 0 : 1],
  };
  const explanation = piece(question.globalFeedback);
  if (explanation) {
    draft.explanation = explanation;
  }
  return { draft };
}

function syntaxErrorLine(error: unknown): number | undefined {
  const location = (error as { location?: { start?: { line?: number } } }).location;
  return location?.start?.line;
}

/**
 * Parses GIFT text. A syntax error rejects the whole file: one problem with the line that
 * gift-pegjs reports and no records. Multiple-choice and true/false questions become
 * records; other question types are counted in `unsupported` under gift-pegjs's type name.
 * `$CATEGORY:` sets the category of the questions after it and is not counted.
 */
export function parseGift(
  text: string,
  file: string,
  options: QuestionParseOptions = {},
): ParseResult<QuestionRecord> {
  const bank = options.bank ?? bankNameFromFile(file);
  const result: ParseResult<QuestionRecord> = { records: [], problems: [], unsupported: {} };
  let questions: GIFTQuestion[];
  try {
    questions = parseGiftText(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    const problem: ParseProblem = {
      file,
      reason: `GIFT syntax error, file not imported: ${(error as Error).message}`,
      severity: 'error',
    };
    const line = syntaxErrorLine(error);
    if (line !== undefined) problem.line = line;
    result.problems.push(problem);
    return result;
  }

  // The block heuristic matches gift-pegjs's items on every file tried; when it does not,
  // problems carry the item number instead of a line.
  const startLines = giftItemStartLines(text);
  const linesMatch = startLines.length === questions.length;
  const seen = new Map<string, string>();
  let category: string | undefined;

  questions.forEach((question, index) => {
    const line = linesMatch ? startLines[index] : undefined;
    const source = line !== undefined ? `${file}:${line}` : `${file}#${index + 1}`;
    const problemAt = (reason: string, severity: 'error' | 'warning' = 'error'): ParseProblem => {
      const problem: ParseProblem = { file, reason, severity };
      if (line !== undefined) problem.line = line;
      else problem.reason = `question ${index + 1}: ${reason}`;
      return problem;
    };

    if (question.type === 'Category') {
      category = normaliseCategoryPath(question.title) || undefined;
      return;
    }
    let drafted: DraftResult;
    if (question.type === 'MC') {
      drafted = draftFromMultipleChoice(question);
    } else if (question.type === 'TF') {
      drafted = draftFromTrueFalse(question);
    } else {
      countUnsupported(result.unsupported, question.type);
      return;
    }
    if ('error' in drafted) {
      result.problems.push(problemAt(drafted.error));
      return;
    }
    const context: DraftContext = { bank, source };
    if (question.id) context.sourceId = question.id;
    if (question.title) context.title = question.title;
    if (category) context.category = category;
    if (question.tags) context.tags = question.tags;
    const record = recordFromDraft(drafted.draft, context);
    const firstSource = seen.get(record.externalId);
    if (firstSource !== undefined) {
      result.problems.push(
        problemAt(`duplicate of the question at ${firstSource}; this copy skipped`, 'warning'),
      );
      return;
    }
    seen.set(record.externalId, source);
    result.records.push(record);
  });
  return result;
}

/** Reads a UTF-8 GIFT file and parses it; `file` in problems is the path as given. */
export async function parseGiftFile(
  file: string,
  options: QuestionParseOptions = {},
): Promise<ParseResult<QuestionRecord>> {
  return parseGift(await readFile(file, 'utf8'), file, options);
}
