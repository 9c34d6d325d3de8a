// In-memory retrieval over FAQ questions. Each question of an entry (standard question and
// paraphrases) is one BM25 document, scored twice, over segmented words and over single
// characters, and compared by character and pinyin n-grams. An entry takes the best of these
// question scores. Two entry-level word BM25 shares are added at lower weights: all questions of
// the entry as one document, and its answer text. The sum is a confidence from 0 to 1. Pure
// functions: the index never changes once built, and faq-snapshot.ts rebuilds it when the FAQ
// changes.
import { toSimplified } from './chinese-script.js';
import {
  buildSynonymTable,
  canonicalTerms,
  characterGrams,
  characterTerms,
  ngramText,
  normaliseFaqText,
  pinyinGrams,
  pinyinKey,
  segmentQuestion,
  type SynonymGroup,
  type SynonymTable,
} from './faq-text.js';

/** An FAQ entry as the index needs it. */
export interface FaqIndexEntry {
  id: string;
  code: string;
  standardQuestion: string;
  paraphrases: readonly string[];
  /**
   * Segmented words of each question, the standard question first and then the paraphrases in
   * order, as stored with the entry. Questions are segmented here when it is missing or its
   * length does not match.
   */
  questionWords?: readonly (readonly string[])[] | null;
  /** Answer text, indexed at a low weight (`answerWeight`); optional. */
  answer?: string;
}

/** Tunable numbers of retrieval and of the answer decision. */
export interface FaqScoring {
  /**
   * BM25 term-frequency saturation. FAQ questions are short and rarely repeat a term, so the
   * value matters little; 1.2 is the default of Lucene's BM25Similarity.
   */
  k1: number;
  /** BM25 length normalisation from 0 (none) to 1 (full); 0.75 is Lucene's default. */
  b: number;
  /** Weight of the word-level BM25 share in the confidence. */
  wordWeight: number;
  /**
   * Weight of the character-level BM25 share. Single characters match where segmentation differs
   * between a colloquial question and the FAQ wording (绑 and 绑定, 算 and 计算).
   */
  characterWeight: number;
  /** Weight of the n-gram similarity. The three weights add up to 1. */
  ngramWeight: number;
  /**
   * Weight of the n-gram similarity for a question of at most `shortQuestionChars` characters,
   * replacing `ngramWeight`; the two BM25 weights are scaled to fill the rest. Segmentation of a
   * few characters is unreliable, so short questions can lean more on n-grams.
   */
  shortNgramWeight: number;
  shortQuestionChars: number;
  /**
   * Weight of the entry-level word BM25 share, over all questions of an entry taken as one
   * document, so that query words spread over several paraphrases still count. The question-level
   * score gets the rest after this and `answerWeight`.
   */
  entryWeight: number;
  /** Weight of the word BM25 share over the answer text of an entry. */
  answerWeight: number;
  /** Minimum confidence of an answer; below it the reply is "don't know" with suggestions. */
  threshold: number;
  /**
   * Exponent of the query's known-word coverage, which multiplies the confidence: the share of
   * the query's word IDF that belongs to words found in some question or answer. A question about
   * something the FAQ never mentions (打印机, 年假) then scores low even when its remaining
   * characters match. 0 turns the factor off.
   */
  coverageExponent: number;
  /** Minimum confidence of a suggested question in a "don't know" reply. */
  suggestionFloor: number;
}

/**
 * Default scoring. The weights and thresholds were chosen with scripts/bench/faq-eval.ts on the
 * development split of the evaluation set (scripts/data/faq/eval-dev.jsonl) and on the
 * leave-one-out run over the knowledge base's own paraphrases. The test split was not used to
 * choose them.
 */
export const DEFAULT_FAQ_SCORING: Readonly<FaqScoring> = Object.freeze({
  k1: 1.2,
  b: 0.75,
  wordWeight: 0.1,
  characterWeight: 0.7,
  ngramWeight: 0.2,
  shortNgramWeight: 0.5,
  shortQuestionChars: 6,
  entryWeight: 0.1,
  answerWeight: 0.3,
  coverageExponent: 0.5,
  // Chosen on the development split: of the thresholds meeting both targets there, the one with the
  // widest margin to the nearer target.
  threshold: 0.265,
  suggestionFloor: 0.12,
});

/** Term statistics of one BM25 field over all questions. */
interface Bm25Field {
  /** Term → indexes of the questions containing it. */
  postings: Map<string, number[]>;
  /** Per question: term → frequency. */
  frequencies: Map<string, number>[];
  /** Per question: number of terms. */
  lengths: number[];
  averageLength: number;
}

interface GramField {
  postings: Map<string, number[]>;
  /** Per question: number of distinct grams. */
  sizes: number[];
}

/** The built index; treat it as opaque and query it with `searchFaq`. */
export interface FaqIndex {
  entries: readonly FaqIndexEntry[];
  /** Per question: position of its entry in `entries`. */
  questionEntries: number[];
  words: Bm25Field;
  characters: Bm25Field;
  characterGrams: GramField;
  pinyinGrams: GramField;
  /** Word BM25 over entries, each entry's questions taken as one document. */
  entryWords: Bm25Field;
  /** Word BM25 over the answers of entries. */
  answerWords: Bm25Field;
  /** Pinyin of an indexed word or synonym → the indexed word, for correcting homophone typos. */
  homophones: Map<string, string>;
  synonyms: SynonymTable;
  scoring: Readonly<FaqScoring>;
}

/** An entry ranked for a question. */
export interface FaqMatch {
  entryId: string;
  code: string;
  /** The entry's standard question. */
  question: string;
  /** Combined score from 0 to 1 of the entry's best-matching question. */
  confidence: number;
  /** Word-level BM25 score of that question over the query's score against itself, at most 1. */
  wordShare: number;
  /** The same share at character level. */
  characterShare: number;
  /** The higher of the character and pinyin n-gram Dice similarities of that question. */
  ngramSimilarity: number;
  /** Word-level BM25 share of all the entry's questions taken as one document. */
  entryShare: number;
  /** Word-level BM25 share of the entry's answer. */
  answerShare: number;
}

/** Question-level scores of an entry's best-matching question. */
interface QuestionScore {
  /** Weighted sum of the three shares below. */
  score: number;
  wordShare: number;
  characterShare: number;
  ngramSimilarity: number;
}

const NO_QUESTION_MATCH: QuestionScore = Object.freeze({
  score: 0,
  wordShare: 0,
  characterShare: 0,
  ngramSimilarity: 0,
});

export type FaqDecision =
  { kind: 'answer'; match: FaqMatch } | { kind: 'dont_know'; suggestions: FaqMatch[] };

/** Maximum number of suggested questions in a "don't know" reply. */
export const MAX_SUGGESTIONS = 3;

/** The terms and grams of one text, as both questions and queries are analysed. */
interface AnalysedText {
  words: string[];
  characters: string[];
  characterGrams: Set<string>;
  pinyinGrams: Set<string>;
  /** Length of the n-gram text in characters. */
  length: number;
}

function analyse(text: string, words: readonly string[], synonyms: SynonymTable): AnalysedText {
  const gramText = ngramText(text, synonyms);
  return {
    words: canonicalTerms(words, synonyms),
    characters: characterTerms(gramText),
    characterGrams: characterGrams(gramText),
    pinyinGrams: pinyinGrams(gramText),
    length: [...gramText].length,
  };
}

function countTerms(terms: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
  return counts;
}

function addPosting(postings: Map<string, number[]>, key: string, question: number): void {
  const list = postings.get(key);
  if (list === undefined) postings.set(key, [question]);
  else list.push(question);
}

function emptyBm25Field(): Bm25Field {
  return { postings: new Map(), frequencies: [], lengths: [], averageLength: 0 };
}

function addToBm25Field(field: Bm25Field, terms: readonly string[], question: number): void {
  const frequencies = countTerms(terms);
  for (const term of frequencies.keys()) addPosting(field.postings, term, question);
  field.frequencies.push(frequencies);
  field.lengths.push(terms.length);
}

function addToGramField(field: GramField, grams: ReadonlySet<string>, question: number): void {
  for (const gram of grams) addPosting(field.postings, gram, question);
  field.sizes.push(grams.size);
}

function finishBm25Field(field: Bm25Field): void {
  const total = field.lengths.reduce((sum, length) => sum + length, 0);
  field.averageLength = field.lengths.length === 0 ? 0 : total / field.lengths.length;
}

/** Pairs each question of an entry with its words, dropping repeats of one question text. */
function entryQuestions(entry: FaqIndexEntry): { text: string; words: readonly string[] }[] {
  const texts = [entry.standardQuestion, ...entry.paraphrases];
  const stored =
    entry.questionWords && entry.questionWords.length === texts.length ? entry.questionWords : null;
  const seen = new Set<string>();
  const questions: { text: string; words: readonly string[] }[] = [];
  texts.forEach((text, position) => {
    const key = normaliseFaqText(text);
    if (key === '' || seen.has(key)) return;
    seen.add(key);
    questions.push({ text, words: stored?.[position] ?? segmentQuestion(text) });
  });
  return questions;
}

/**
 * Maps the pinyin of every indexed word, and of every synonym of an indexed word, to that word.
 * When two indexed words sound alike, the one in more questions wins.
 */
function buildHomophones(words: Bm25Field, synonyms: SynonymTable): Map<string, string> {
  const homophones = new Map<string, string>();
  const byFrequency = [...words.postings.entries()].sort((a, b) => b[1].length - a[1].length);
  for (const [word] of byFrequency) {
    if ([...word].length < 2) continue;
    const key = pinyinKey(word);
    if (key !== null && !homophones.has(key)) homophones.set(key, word);
  }
  for (const [synonym, term] of synonyms.canonical) {
    if ([...synonym].length < 2 || !words.postings.has(term)) continue;
    const key = pinyinKey(synonym);
    if (key !== null && !homophones.has(key)) homophones.set(key, term);
  }
  return homophones;
}

/** Builds the index of the given entries; the order of entries breaks ties between equal scores. */
export function buildFaqIndex(
  entries: readonly FaqIndexEntry[],
  synonyms: readonly SynonymGroup[] | SynonymTable = [],
  scoring: Readonly<FaqScoring> = DEFAULT_FAQ_SCORING,
): FaqIndex {
  const table = Array.isArray(synonyms)
    ? buildSynonymTable(synonyms as readonly SynonymGroup[])
    : (synonyms as SynonymTable);
  const index: FaqIndex = {
    entries,
    questionEntries: [],
    words: emptyBm25Field(),
    characters: emptyBm25Field(),
    characterGrams: { postings: new Map(), sizes: [] },
    pinyinGrams: { postings: new Map(), sizes: [] },
    entryWords: emptyBm25Field(),
    answerWords: emptyBm25Field(),
    homophones: new Map(),
    synonyms: table,
    scoring,
  };

  entries.forEach((entry, entryPosition) => {
    const entryTerms: string[] = [];
    for (const { text, words } of entryQuestions(entry)) {
      const question = index.questionEntries.length;
      const analysed = analyse(text, words, table);
      index.questionEntries.push(entryPosition);
      addToBm25Field(index.words, analysed.words, question);
      addToBm25Field(index.characters, analysed.characters, question);
      addToGramField(index.characterGrams, analysed.characterGrams, question);
      addToGramField(index.pinyinGrams, analysed.pinyinGrams, question);
      entryTerms.push(...analysed.words);
    }
    addToBm25Field(index.entryWords, entryTerms, entryPosition);
    const answerTerms = canonicalTerms(segmentQuestion(entry.answer ?? ''), table);
    addToBm25Field(index.answerWords, answerTerms, entryPosition);
  });
  finishBm25Field(index.words);
  finishBm25Field(index.entryWords);
  finishBm25Field(index.answerWords);
  finishBm25Field(index.characters);
  index.homophones = buildHomophones(index.words, table);
  return index;
}

/**
 * Returns, per question, its BM25 score for the query terms divided by the score the query would
 * get against itself as a document, capped at 1: the share of the query's weight that the
 * question matches. A query term that no question contains gets the highest IDF, so questions
 * about something the FAQ does not cover keep a low share. The IDF is Lucene's,
 * log(1 + (N - df + 0.5) / (df + 0.5)), which is always positive.
 */
function bm25Shares(
  field: Bm25Field,
  queryTerms: readonly string[],
  scoring: Readonly<FaqScoring>,
  touched: Set<number>,
): Float64Array {
  const questionCount = field.lengths.length;
  const scores = new Float64Array(questionCount);
  const average = field.averageLength || 1;
  const saturate = (frequency: number, length: number) =>
    (frequency * (scoring.k1 + 1)) /
    (frequency + scoring.k1 * (1 - scoring.b + (scoring.b * length) / average));

  let selfScore = 0;
  for (const [term, queryFrequency] of countTerms(queryTerms)) {
    const postings = field.postings.get(term) ?? [];
    const idf = Math.log(1 + (questionCount - postings.length + 0.5) / (postings.length + 0.5));
    selfScore += idf * saturate(queryFrequency, queryTerms.length);
    for (const question of postings) {
      const frequency = field.frequencies[question]?.get(term) ?? 0;
      scores[question] =
        (scores[question] ?? 0) + idf * saturate(frequency, field.lengths[question] ?? 0);
      touched.add(question);
    }
  }
  if (selfScore > 0) {
    for (let question = 0; question < questionCount; question++) {
      scores[question] = Math.min(1, (scores[question] ?? 0) / selfScore);
    }
  }
  return scores;
}

/** Returns, per question, the Dice similarity of its grams and the query's. */
function diceSimilarities(
  field: GramField,
  queryGrams: ReadonlySet<string>,
  touched: Set<number>,
): Float64Array {
  const shared = new Float64Array(field.sizes.length);
  for (const gram of queryGrams) {
    for (const question of field.postings.get(gram) ?? []) {
      shared[question] = (shared[question] ?? 0) + 1;
      touched.add(question);
    }
  }
  for (let question = 0; question < shared.length; question++) {
    const total = queryGrams.size + (field.sizes[question] ?? 0);
    shared[question] = total === 0 ? 0 : (2 * (shared[question] ?? 0)) / total;
  }
  return shared;
}

/**
 * Replaces a query word that no question contains by the indexed word with the same pinyin, so
 * a homophone typo (学识, 正书) still matches. Single characters are left alone: too many sound
 * alike.
 */
function correctHomophone(index: FaqIndex, word: string): string {
  if (index.words.postings.has(word) || [...word].length < 2) return word;
  const key = pinyinKey(word);
  return (key !== null && index.homophones.get(key)) || word;
}

/**
 * Returns the share of the query words' IDF that belongs to words some question or answer
 * contains, or 1 for a query without words. IDF is Lucene's formula over questions, so a word
 * found only in answers has the maximum IDF.
 */
function knownWordCoverage(index: FaqIndex, queryWords: readonly string[]): number {
  const questionCount = index.words.lengths.length;
  let total = 0;
  let known = 0;
  for (const word of new Set(queryWords)) {
    const frequency = index.words.postings.get(word)?.length ?? 0;
    const idf = Math.log(1 + (questionCount - frequency + 0.5) / (frequency + 0.5));
    total += idf;
    if (frequency > 0 || index.answerWords.postings.has(word)) known += idf;
  }
  return total === 0 ? 1 : known / total;
}

/** Returns the weights of the three scores for a query of this length. */
function weightsFor(scoring: Readonly<FaqScoring>, length: number) {
  if (length > scoring.shortQuestionChars) {
    return {
      word: scoring.wordWeight,
      character: scoring.characterWeight,
      ngram: scoring.ngramWeight,
    };
  }
  const bm25Total = scoring.wordWeight + scoring.characterWeight;
  const scale = bm25Total === 0 ? 0 : (1 - scoring.shortNgramWeight) / bm25Total;
  return {
    word: scoring.wordWeight * scale,
    character: scoring.characterWeight * scale,
    ngram: scoring.shortNgramWeight,
  };
}

/**
 * Ranks the entries for a learner's question, best first, and returns at most `limit` of them.
 * Entries that share no word, character or n-gram with the question are left out, so the result
 * can be empty.
 */
export function searchFaq(index: FaqIndex, question: string, limit = MAX_SUGGESTIONS): FaqMatch[] {
  // The knowledge base is written in simplified characters, so a question in traditional ones is
  // converted first (學時 becomes 学时).
  const text = toSimplified(question);
  const query = analyse(text, segmentQuestion(text), index.synonyms);
  const queryWords = query.words.map((word) => correctHomophone(index, word));

  const touched = new Set<number>();
  const wordShares = bm25Shares(index.words, queryWords, index.scoring, touched);
  const characterShares = bm25Shares(index.characters, query.characters, index.scoring, touched);
  const characterDice = diceSimilarities(index.characterGrams, query.characterGrams, touched);
  const pinyinDice = diceSimilarities(index.pinyinGrams, query.pinyinGrams, touched);
  const weights = weightsFor(index.scoring, query.length);
  const touchedEntries = new Set<number>();
  const entryShares = bm25Shares(index.entryWords, queryWords, index.scoring, touchedEntries);
  const answerShares = bm25Shares(index.answerWords, queryWords, index.scoring, touchedEntries);
  const questionWeight = 1 - index.scoring.entryWeight - index.scoring.answerWeight;
  const coverage = knownWordCoverage(index, queryWords) ** index.scoring.coverageExponent;

  // Best question of each entry, by the question-level score alone.
  const bestQuestions = new Map<number, QuestionScore>();
  for (const question of touched) {
    const entryPosition = index.questionEntries[question] ?? -1;
    const wordShare = wordShares[question] ?? 0;
    const characterShare = characterShares[question] ?? 0;
    const ngramSimilarity = Math.max(characterDice[question] ?? 0, pinyinDice[question] ?? 0);
    const score =
      weights.word * wordShare +
      weights.character * characterShare +
      weights.ngram * ngramSimilarity;
    const current = bestQuestions.get(entryPosition);
    if (current === undefined || score > current.score) {
      bestQuestions.set(entryPosition, { score, wordShare, characterShare, ngramSimilarity });
    }
  }

  const matches: { position: number; match: FaqMatch }[] = [];
  for (const entryPosition of new Set([...bestQuestions.keys(), ...touchedEntries])) {
    const entry = index.entries[entryPosition];
    if (!entry) continue;
    const question = bestQuestions.get(entryPosition) ?? NO_QUESTION_MATCH;
    const entryShare = entryShares[entryPosition] ?? 0;
    const answerShare = answerShares[entryPosition] ?? 0;
    const confidence =
      coverage *
      (questionWeight * question.score +
        index.scoring.entryWeight * entryShare +
        index.scoring.answerWeight * answerShare);
    matches.push({
      position: entryPosition,
      match: {
        entryId: entry.id,
        code: entry.code,
        question: entry.standardQuestion,
        confidence,
        wordShare: question.wordShare,
        characterShare: question.characterShare,
        ngramSimilarity: question.ngramSimilarity,
        entryShare,
        answerShare,
      },
    });
  }

  return matches
    .sort((a, b) => b.match.confidence - a.match.confidence || a.position - b.position)
    .slice(0, limit)
    .map(({ match }) => match);
}

/**
 * Decides the reply from ranked matches: the best one when its confidence reaches the threshold,
 * otherwise "don't know" with up to MAX_SUGGESTIONS matches at or above the suggestion floor.
 */
export function decideAnswer(
  matches: readonly FaqMatch[],
  scoring: Readonly<FaqScoring> = DEFAULT_FAQ_SCORING,
): FaqDecision {
  const top = matches[0];
  if (top && top.confidence >= scoring.threshold) return { kind: 'answer', match: top };
  return {
    kind: 'dont_know',
    suggestions: matches
      .filter((match) => match.confidence >= scoring.suggestionFloor)
      .slice(0, MAX_SUGGESTIONS),
  };
}
