import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { pinyin } from 'pinyin-pro';
import { markdownToPlainText } from './markdown-text.js';

/** Maximum number of query terms used; later terms of a longer query are ignored. */
export const MAX_QUERY_TERMS = 8;

// Loading the dictionary is slow (0.19 s measured on a 2-core VM), so one segmenter is created on
// first use and shared.
let segmenter: Jieba | undefined;

function getSegmenter(): Jieba {
  segmenter ??= Jieba.withDict(dict);
  return segmenter;
}

const HAN_ONLY = /^\p{Script=Han}+$/u;
const HAS_HAN = /\p{Script=Han}/u;
const HAS_WORD_CHARACTER = /[\p{L}\p{N}]/u;
const LATIN_OR_DIGIT_RUN = /[\p{L}\p{N}]+/gu;

// Single characters that carry no meaning on their own in a query.
const QUERY_STOPWORDS = new Set(['的', '了', '和', '与', '及', '或', '在', '是', '之']);

/** Fields of a course that search looks at. */
export interface SearchableCourse {
  title: string;
  category: string;
  /** Nested subcategories are `/`-separated, such as `编程入门/Python`. */
  subcategory?: string | null;
  /** Markdown. */
  description: string;
}

export interface CourseSearchTokens {
  /** Every token of the course, sorted: the indexed field that queries match with `$all`. */
  searchTokens: string[];
  /** Tokens of the title alone, sorted: used to rank title hits above other hits. */
  titleTokens: string[];
}

function normalise(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

export function segment(text: string): string[] {
  return getSegmenter()
    .cutForSearch(normalise(text), true)
    .filter((word) => HAS_WORD_CHARACTER.test(word));
}

function addPrefixes(tokens: Set<string>, word: string, minLength: number): void {
  const characters = [...word];
  for (let length = minLength; length <= characters.length; length++) {
    tokens.add(characters.slice(0, length).join(''));
  }
}

/** Adds the pinyin initials with their prefixes (数据库 → sj, sjk) and the full pinyin (shujuku). */
function addPinyin(tokens: Set<string>, hanWord: string): void {
  const initials = pinyin(hanWord, { pattern: 'first', toneType: 'none', type: 'array' }).join('');
  const syllables = pinyin(hanWord, { toneType: 'none', type: 'array', v: true }).join('');
  if (/^[a-z]+$/.test(initials)) addPrefixes(tokens, initials, 2);
  if (/^[a-z]+$/.test(syllables)) tokens.add(syllables);
}

function addLatinWord(tokens: Set<string>, word: string, withPrefixes: boolean): void {
  tokens.add(word);
  for (const part of word.match(LATIN_OR_DIGIT_RUN) ?? []) {
    if (withPrefixes && /^\p{L}/u.test(part)) addPrefixes(tokens, part, 2);
    else tokens.add(part);
  }
}

/**
 * Tokens of a short heading (title, category): every word with its prefixes, every Chinese
 * character, pinyin of Chinese words, and Latin words with prefixes of two letters or more,
 * so a partial word typed by a learner still matches.
 */
function headingTokens(text: string): Set<string> {
  const tokens = new Set<string>();
  for (const word of segment(text)) {
    if (!HAS_HAN.test(word)) {
      addLatinWord(tokens, word, true);
      continue;
    }
    addPrefixes(tokens, word, 1);
    for (const character of word) if (HAN_ONLY.test(character)) tokens.add(character);
    if (HAN_ONLY.test(word)) addPinyin(tokens, word);
  }
  return tokens;
}

/** Tokens of running text: the words of search-mode segmentation, without single characters. */
function bodyTokens(text: string): Set<string> {
  const tokens = new Set<string>();
  for (const word of segment(markdownToPlainText(text))) {
    if (HAS_HAN.test(word)) {
      if ([...word].length >= 2) tokens.add(word);
    } else {
      addLatinWord(tokens, word, false);
    }
  }
  return tokens;
}

const categoryTokenCache = new Map<string, Set<string>>();

/** Returns the heading tokens of a category and subcategory, cached because there are few. */
export function categoryTokens(category: string, subcategory?: string | null): Set<string> {
  const key = `${category}\u0000${subcategory ?? ''}`;
  let tokens = categoryTokenCache.get(key);
  if (!tokens) {
    tokens = headingTokens(`${category} ${(subcategory ?? '').replaceAll('/', ' ')}`);
    categoryTokenCache.set(key, tokens);
  }
  return tokens;
}

/**
 * Builds the search tokens of a course. Course writes store its output (through
 * `prepareCourseFields`), so documents are tokenised by the same rules as queries.
 */
export function buildSearchTokens(course: SearchableCourse): CourseSearchTokens {
  const title = headingTokens(course.title);
  const all = new Set<string>([
    ...title,
    ...categoryTokens(course.category, course.subcategory),
    ...bodyTokens(course.description),
  ]);
  return { searchTokens: [...all].sort(), titleTokens: [...title].sort() };
}

/**
 * Splits a query into the terms that a course must all contain. Chinese text is segmented in
 * the same way as course text, Latin words are lowercased, punctuation and single-character
 * stopwords are dropped, and at most MAX_QUERY_TERMS terms are kept.
 */
export function tokenizeQuery(query: string): string[] {
  const terms: string[] = [];
  for (const word of getSegmenter().cut(normalise(query), true)) {
    if (!HAS_WORD_CHARACTER.test(word) || QUERY_STOPWORDS.has(word)) continue;
    if (!terms.includes(word)) terms.push(word);
  }
  return terms.slice(0, MAX_QUERY_TERMS);
}

/** Normalises text for phrase comparison in ranking: NFKC, lowercase, no whitespace. */
export function normaliseForPhrase(text: string): string {
  return normalise(text).replace(/\s+/g, '');
}
