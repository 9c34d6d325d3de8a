// Moodle XML question export (<quiz><question type="…">…) to QuestionRecord.
import { readFile } from 'node:fs/promises';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  recordFromDraft,
  trueFalseOptions,
  type DraftContext,
  type DraftOption,
  type QuestionDraft,
  type QuestionParseOptions,
  type TextPiece,
} from './question-draft.js';
import { bankNameFromFile, countUnsupported, LineIndex, normaliseCategoryPath } from './text.js';
import type { ParseProblem, ParseResult, QuestionRecord, TextFormat } from './types.js';

type XmlNode = Record<string, unknown>;

const ARRAY_ELEMENTS = new Set([
  'question',
  'answer',
  'tag',
  'file',
  'hint',
  'subquestion',
  'dragbox',
]);

function createParser(): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    captureMetaData: true,
    isArray: (tagName: string) => ARRAY_ELEMENTS.has(tagName),
  });
}

/** Moodle's text formats; moodle_auto_format is plain text that Moodle links and breaks. */
export function moodleFormatToTextFormat(format: string | undefined): TextFormat {
  if (format === 'html') return 'html';
  if (format === 'markdown') return 'markdown';
  return 'plain';
}

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function attribute(node: unknown, name: string): string | undefined {
  if (!isNode(node)) return undefined;
  const value = node[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

function child(node: unknown, name: string): unknown {
  return isNode(node) ? node[name] : undefined;
}

function children(node: unknown, name: string): unknown[] {
  const value = child(node, name);
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Returns an element's text content, or of its `<text>` child when it has one. */
function textOf(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  if (!isNode(node)) return undefined;
  if ('text' in node) return textOf(node.text);
  const inner = node['#text'];
  return typeof inner === 'string' ? inner : undefined;
}

/** Reads an element with a `format` attribute and a `<text>` child, e.g. `<questiontext>`. */
function formattedText(node: unknown, fallbackFormat?: string): TextPiece | undefined {
  const text = textOf(node);
  if (text === undefined || text.trim() === '') return undefined;
  return {
    text: text.trim(),
    format: moodleFormatToTextFormat(attribute(node, 'format') ?? fallbackFormat),
  };
}

function fractionOf(answer: unknown): number {
  const value = Number(attribute(answer, 'fraction') ?? '0');
  return Number.isFinite(value) ? value : Number.NaN;
}

type DraftResult = { draft: QuestionDraft } | { error: string };

/**
 * Maps a multichoice question. `<single>true</single>`, Moodle's default, makes a
 * single-choice question whose answer is the one 100% option. `false` makes a multiple-choice
 * question whose answer is every option with a positive fraction. A fraction other than 0 and
 * 100 is kept as the option's weight.
 */
function draftFromMultichoice(question: XmlNode, stem: TextPiece): DraftResult {
  const answers = children(question, 'answer');
  if (answers.length < 2) {
    return { error: `multichoice question has ${answers.length} answer(s), needs at least 2` };
  }
  const singleText = (textOf(child(question, 'single')) ?? 'true').trim().toLowerCase();
  const single = singleText !== 'false' && singleText !== '0';
  const options: DraftOption[] = [];
  const fractions: number[] = [];
  for (const answer of answers) {
    const fraction = fractionOf(answer);
    if (Number.isNaN(fraction)) {
      return { error: `answer has an invalid fraction '${attribute(answer, 'fraction') ?? ''}'` };
    }
    const option: DraftOption = {
      text: formattedText(answer) ?? { text: '', format: 'plain' },
    };
    const feedback = formattedText(child(answer, 'feedback'));
    if (feedback) option.feedback = feedback;
    if (fraction !== 0 && Math.abs(fraction - 100) > 0.01) option.weight = fraction;
    options.push(option);
    fractions.push(fraction);
  }
  if (options.some((option) => option.text.text === '')) {
    return { error: 'multichoice question has an answer with empty text' };
  }
  let answerIndexes: number[];
  if (single) {
    answerIndexes = fractions.flatMap((fraction, index) => (fraction >= 99.99 ? [index] : []));
    if (answerIndexes.length !== 1) {
      return {
        error: `single-answer multichoice needs exactly one 100% answer, found ${answerIndexes.length}`,
      };
    }
  } else {
    answerIndexes = fractions.flatMap((fraction, index) => (fraction > 0 ? [index] : []));
    if (answerIndexes.length === 0) {
      return { error: 'multiple-answer multichoice has no answer with a positive fraction' };
    }
  }
  return { draft: { type: single ? 'single' : 'multiple', stem, options, answerIndexes } };
}

/** Maps a truefalse question: the `<answer>` whose text is `true` or `false` with fraction 100. */
function draftFromTrueFalse(question: XmlNode, stem: TextPiece): DraftResult {
  const [trueOption, falseOption] = trueFalseOptions();
  let correct: 0 | 1 | undefined;
  for (const answer of children(question, 'answer')) {
    const value = (textOf(answer) ?? '').trim().toLowerCase();
    if (value !== 'true' && value !== 'false') {
      return { error: `truefalse answer text must be 'true' or 'false', found '${value}'` };
    }
    const option = value === 'true' ? trueOption : falseOption;
    const feedback = formattedText(child(answer, 'feedback'));
    if (feedback) option.feedback = feedback;
    if (fractionOf(answer) >= 99.99) {
      correct = option === trueOption ? 0 : 1;
    }
  }
  if (correct === undefined) {
    return { error: 'truefalse question has no answer with fraction 100' };
  }
  return {
    draft: {
      type: 'truefalse',
      stem,
      options: [trueOption, falseOption],
      answerIndexes: [correct],
    },
  };
}

const SUPPORTED_TYPES = new Set(['multichoice', 'truefalse']);

/**
 * Parses a Moodle XML export. Malformed XML rejects the whole file with one problem (line
 * from the validator) and no records. A `category` pseudo-question sets the category of the
 * questions after it. Multichoice and truefalse questions become records, and every other
 * type is counted in `unsupported` under its `type` attribute. Texts keep their markup, so an
 * html question has format 'html' and must be sanitised when rendered. `@@PLUGINFILE@@`
 * references are kept, and a warning says that embedded files were not imported.
 */
export function parseMoodleXml(
  xml: string,
  file: string,
  options: QuestionParseOptions = {},
): ParseResult<QuestionRecord> {
  const bank = options.bank ?? bankNameFromFile(file);
  const result: ParseResult<QuestionRecord> = { records: [], problems: [], unsupported: {} };
  const text = xml.replace(/^\uFEFF/, '');
  const lines = new LineIndex(text);

  const entity = /<!ENTITY/i.exec(text);
  if (entity) {
    result.problems.push({
      file,
      line: lines.lineAt(entity.index),
      reason:
        'XML entity declarations are not accepted (entity expansion is a denial-of-service risk); file not imported',
      severity: 'error',
    });
    return result;
  }
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    result.problems.push({
      file,
      line: validation.err.line,
      reason: `malformed XML, file not imported: ${validation.err.msg}`,
      severity: 'error',
    });
    return result;
  }
  const document = createParser().parse(text) as XmlNode;
  const quiz = document.quiz;
  if (!isNode(quiz)) {
    result.problems.push({
      file,
      line: 1,
      reason: 'root element is not <quiz>: not a Moodle XML question export; file not imported',
      severity: 'error',
    });
    return result;
  }

  const metadataKey = XMLParser.getMetaDataSymbol() as unknown as string;
  const seen = new Map<string, string>();
  let category: string | undefined;

  children(quiz, 'question').forEach((question, index) => {
    const metadata = isNode(question)
      ? (question[metadataKey] as { startIndex?: number } | undefined)
      : undefined;
    const line = metadata?.startIndex !== undefined ? lines.lineAt(metadata.startIndex) : undefined;
    const source = line !== undefined ? `${file}:${line}` : `${file}#${index + 1}`;
    const problemAt = (reason: string, severity: 'error' | 'warning' = 'error'): ParseProblem => {
      const problem: ParseProblem = { file, reason, severity };
      if (line !== undefined) problem.line = line;
      else problem.reason = `question ${index + 1}: ${reason}`;
      return problem;
    };
    if (!isNode(question)) {
      result.problems.push(problemAt('empty <question> element'));
      return;
    }
    const type = attribute(question, 'type') ?? '';
    if (type === 'category') {
      category = normaliseCategoryPath(textOf(child(question, 'category')) ?? '') || undefined;
      return;
    }
    if (!SUPPORTED_TYPES.has(type)) {
      countUnsupported(result.unsupported, type || '(no type)');
      return;
    }
    const stem = formattedText(child(question, 'questiontext'));
    if (!stem) {
      result.problems.push(problemAt(`${type} question has an empty <questiontext>`));
      return;
    }
    const drafted =
      type === 'multichoice'
        ? draftFromMultichoice(question, stem)
        : draftFromTrueFalse(question, stem);
    if ('error' in drafted) {
      result.problems.push(problemAt(drafted.error));
      return;
    }
    const explanation = formattedText(child(question, 'generalfeedback'));
    if (explanation) drafted.draft.explanation = explanation;

    const context: DraftContext = { bank, source };
    const title = textOf(child(question, 'name'))?.trim();
    if (title) context.title = title;
    if (category) context.category = category;
    const idNumber = textOf(child(question, 'idnumber'))?.trim();
    if (idNumber) context.sourceId = idNumber;
    const tags = children(child(question, 'tags'), 'tag')
      .map((tag) => textOf(tag)?.trim() ?? '')
      .filter((tag) => tag !== '');
    if (tags.length > 0) context.tags = tags;
    const grade = Number(textOf(child(question, 'defaultgrade')));
    if (Number.isFinite(grade) && grade > 0) context.score = grade;

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
    if (JSON.stringify(record).includes('@@PLUGINFILE@@')) {
      result.problems.push(
        problemAt(
          'question refers to embedded files (@@PLUGINFILE@@) that are not imported; they will not show',
          'warning',
        ),
      );
    }
  });
  return result;
}

/** Reads a Moodle XML file (UTF-8) and parses it; `file` in problems is the path as given. */
export async function parseMoodleXmlFile(
  file: string,
  options: QuestionParseOptions = {},
): Promise<ParseResult<QuestionRecord>> {
  return parseMoodleXml(await readFile(file, 'utf8'), file, options);
}
