// A question as read from a source, before its texts share one format and it gets an id.
import { convertText, optionKey, questionExternalId, unifiedFormat } from './text.js';
import type { QuestionOption, QuestionRecord, QuestionType, TextFormat } from './types.js';

export interface QuestionParseOptions {
  /** Question-bank name written into every record; default the file name without extension. */
  bank?: string;
}

export interface TextPiece {
  text: string;
  format: TextFormat;
}

export interface DraftOption {
  text: TextPiece;
  feedback?: TextPiece;
  weight?: number;
}

export interface QuestionDraft {
  type: QuestionType;
  stem: TextPiece;
  /** For truefalse: exactly two options, true first. */
  options: DraftOption[];
  /** 0-based indexes into `options`. */
  answerIndexes: number[];
  explanation?: TextPiece;
}

export interface DraftContext {
  bank: string;
  source: string;
  sourceId?: string;
  title?: string;
  category?: string;
  tags?: string[];
  score?: number;
}

/**
 * Converts a draft into a record: all texts are converted into one format (see
 * `unifiedFormat`), options get keys A, B, … (T and F for truefalse) and the record gets its
 * externalId.
 */
export function recordFromDraft(draft: QuestionDraft, context: DraftContext): QuestionRecord {
  const pieces: TextPiece[] = [draft.stem, ...draft.options.map((option) => option.text)];
  for (const option of draft.options) {
    if (option.feedback) pieces.push(option.feedback);
  }
  if (draft.explanation) pieces.push(draft.explanation);
  const format = unifiedFormat(pieces.filter((p) => p.text !== '').map((p) => p.format));
  const render = (p: TextPiece): string => convertText(p.text, p.format, format);

  const trueFalseKeys = ['T', 'F'];
  const keyAt = (index: number): string => {
    if (draft.type === 'truefalse') return trueFalseKeys[index] ?? optionKey(index);
    return optionKey(index);
  };
  const options: QuestionOption[] = draft.options.map((option, index) => {
    const mapped: QuestionOption = { key: keyAt(index), text: render(option.text) };
    if (option.feedback) mapped.feedback = render(option.feedback);
    if (option.weight !== undefined) mapped.weight = option.weight;
    return mapped;
  });
  const answer = draft.answerIndexes.map(keyAt);
  const stem = render(draft.stem);
  const identity = { bank: context.bank, type: draft.type, stem, options, answer };
  const record: QuestionRecord = {
    externalId: questionExternalId(
      context.sourceId ? { ...identity, sourceId: context.sourceId } : identity,
    ),
    bank: context.bank,
    type: draft.type,
    format,
    stem,
    options,
    answer,
    source: context.source,
  };
  if (draft.explanation) record.explanation = render(draft.explanation);
  if (context.title) record.title = context.title;
  if (context.category) record.category = context.category;
  if (context.tags && context.tags.length > 0) record.tags = context.tags;
  if (context.score !== undefined) record.score = context.score;
  return record;
}

/** True/false options with the Chinese labels learners see. */
export function trueFalseOptions(): [DraftOption, DraftOption] {
  return [{ text: { text: '正确', format: 'plain' } }, { text: { text: '错误', format: 'plain' } }];
}
