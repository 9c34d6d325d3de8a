// Helpers shared by the parsers: ids, text formats, line numbers, decoding.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { QuestionOption, QuestionType, TextFormat } from './types.js';

/** Returns a 24-hex-digit SHA-256 prefix of the parts; the parts are length-delimited. */
export function hashParts(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(`${part.length}:`);
    hash.update(part);
  }
  return hash.digest('hex').slice(0, 24);
}

export interface QuestionIdentity {
  bank: string;
  sourceId?: string;
  type: QuestionType;
  stem: string;
  options: readonly QuestionOption[];
  answer: readonly string[];
}

/**
 * Computes a question's externalId. A source id wins because it survives edits of the text.
 * Without one, the id changes whenever stem, options or answer change, so an edited question
 * imports as a new one.
 */
export function questionExternalId(question: QuestionIdentity): string {
  if (question.sourceId) {
    return hashParts(['id', question.bank, question.sourceId]);
  }
  const optionParts = question.options.flatMap((option) => [option.key, option.text]);
  return hashParts([
    'content',
    question.bank,
    question.type,
    question.stem,
    String(question.options.length),
    ...optionParts,
    question.answer.join(','),
  ]);
}

/** Returns the file name without directory and extension, the default bank name. */
export function bankNameFromFile(file: string): string {
  const base = path.basename(file);
  const dot = base.indexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

export function countUnsupported(unsupported: Record<string, number>, typeName: string): void {
  unsupported[typeName] = (unsupported[typeName] ?? 0) + 1;
}

/** Maps 1-based line numbers to character offsets of a text. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        this.starts.push(i + 1);
      }
    }
  }

  /** Returns the 1-based line that contains the character at `offset`. */
  lineAt(offset: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) {
        low = mid;
      } else {
        high = mid - 1;
      }
    }
    return low + 1;
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Picks the one format for all texts of a question: html if any text is html (html can
 * carry the others after escaping), else markdown if any is markdown, else plain.
 */
export function unifiedFormat(formats: readonly TextFormat[]): TextFormat {
  if (formats.includes('html')) {
    return 'html';
  }
  if (formats.includes('markdown')) {
    return 'markdown';
  }
  return 'plain';
}

/**
 * Converts a text into the question's unified format. Plain or Markdown text inside an html
 * question is escaped and its line breaks become `<br>`, so it shows as written (Markdown
 * syntax is not rendered). Plain text inside a Markdown question is kept as is.
 */
export function convertText(text: string, from: TextFormat, to: TextFormat): string {
  if (from === to || to !== 'html') {
    return text;
  }
  return escapeHtml(text).replace(/\r?\n/g, '<br>');
}

/**
 * Normalises a Moodle category path: drops the context prefix (`$course$/`, `$system$/`,
 * `$module$/`, `$cat1$/`…) and a leading `top` segment, trims each segment and joins them
 * with `/`. A `/` inside a category name is written `//` by Moodle and stays `//`.
 */
export function normaliseCategoryPath(raw: string): string {
  const segments = raw
    .trim()
    .split(/(?<!\/)\/(?!\/)/)
    .map((segment) => segment.trim())
    .filter((segment) => segment !== '');
  if (segments[0] !== undefined && /^\$[a-z0-9]+\$$/i.test(segments[0])) {
    segments.shift();
  }
  if (segments[0] === 'top') {
    segments.shift();
  }
  return segments.join('/');
}

/**
 * Decodes a text file: UTF-8 (a byte-order mark is dropped) when the bytes are valid UTF-8,
 * otherwise GB18030, which Chinese Excel uses when it saves CSV. Returns null when neither
 * decoding succeeds.
 */
export function decodeText(
  bytes: Uint8Array,
): { text: string; encoding: 'utf-8' | 'gb18030' } | null {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    return { text, encoding: 'utf-8' };
  } catch {
    // Not UTF-8: try the Chinese Windows encoding below.
  }
  try {
    const text = new TextDecoder('gb18030', { fatal: true }).decode(bytes);
    return { text, encoding: 'gb18030' };
  } catch {
    return null;
  }
}

/** Returns the option key for a 0-based position: A, B, …, Z, then AA, AB, … */
export function optionKey(index: number): string {
  let key = '';
  let n = index;
  do {
    key = String.fromCharCode(65 + (n % 26)) + key;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return key;
}
