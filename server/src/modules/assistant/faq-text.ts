// Text processing of FAQ questions and learner questions, shared by index building and queries so
// both sides are treated alike. Pure functions.
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { pinyin } from 'pinyin-pro';

/**
 * Version of the segmentation rules behind the stored `tokens` of FAQ entries. Increase it when
 * `segmentQuestion` changes, so that index builds re-segment entries stored with older tokens.
 */
export const FAQ_TOKENS_VERSION = 2;

/**
 * Words that carry no meaning in a learner's question: particles, pronouns, greetings and fillers,
 * and 怎么 (how), which nearly every question contains. Question words such as 为什么, 多少 and
 * 哪里 are kept, because they tell a "why" question from a "how many" or "where" one.
 */
// prettier-ignore
export const FAQ_STOPWORDS: ReadonlySet<string> = new Set([
  '的', '了', '吗', '呢', '吧', '啊', '呀', '哦', '噢', '嘛', '哈', '啦', '么', '呗', '诶', '哎',
  '嗯', '喔', '不', '没', '是', '在', '有', '和', '与', '及', '或', '都', '也', '还', '就', '又',
  '这', '那', '这个', '那个', '个', '一', '一下', '下', '请', '请问', '问', '问一下', '你好',
  '您好', '谢谢', '麻烦', '我', '我们', '你', '你们', '您', '他', '她', '它', '咱', '俺', '自己',
  '想', '想要', '要', '能', '会', '可以', '得', '地', '着', '过', '把', '被', '给', '让', '怎么',
  '怎么办', '怎么样', '一个',
]);

/**
 * Characters left out of character-level BM25: particles, pronouns and conjunctions, which occur
 * in almost every question.
 */
export const FAQ_STOP_CHARACTERS: ReadonlySet<string> = new Set(
  '的了吗呢吧啊呀哦噢嘛哈啦么呗我你您他她它是在和与及或都也还就又这那个',
);

// Greetings and fillers at the start of a question and particles at its end, removed before
// n-grams are built because they match between unrelated questions.
const LEADING_FILLER =
  /^(?:(?:你好|您好|请问|麻烦问一下|麻烦|问一下|想问一下|我想问一下|我想问|我想|我要|请)+)/u;
const TRAILING_PARTICLES = /[吗呢吧啊呀哦噢嘛啦么呗哈]+$/u;
// Filler words removed anywhere in n-gram text. Synonyms are replaced first, so 咋, 怎样 and 如何
// have become 怎么 by then.
const FILLER_WORDS = /怎么办|怎么样|怎么|请问|一下|可以|你好|您好|自己|这个|那个|一个|我们|你们/gu;
const NOT_LETTER_OR_DIGIT = /[^\p{L}\p{N}]+/gu;
const HAN_ONLY = /^\p{Script=Han}+$/u;

/** NFKC (full-width letters and digits become ASCII), lowercase, whitespace collapsed, trimmed. */
export function normaliseFaqText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/**
 * Returns the key that groups repeats of one question in the unanswered-question report: the
 * normalised text with letters and digits only and without trailing particles, so `怎么改密码？`
 * and `怎么改密码呢` share a key.
 */
export function questionKey(text: string): string {
  const compact = normaliseFaqText(text).replace(NOT_LETTER_OR_DIGIT, '');
  return compact.replace(TRAILING_PARTICLES, '') || compact;
}

/**
 * Words of the learning platform added to jieba's dictionary for FAQ segmentation. Without them,
 * jieba splits some of them or prefers a neighbouring word: 能算学时 becomes 能/算学/时 (算学 is
 * "mathematics"), 换绑 becomes 换/绑 and 重考会换题 becomes 重考/会换题.
 */
// prettier-ignore
export const FAQ_PLATFORM_WORDS: readonly string[] = [
  '学时', '学习时长', '预计学时', '年度要求', '学时证明', '学时记录', '课时', '必修', '选修',
  '补考', '重考', '交卷', '错题', '换题', '作答', '答题', '及格线', '题库', '多选题', '单选题',
  '判断题', '漏选', '少选', '漏答', '证书', '电子证书', '资格证', '结业证', '拿证', '领证',
  '工号', '员工号', '换绑', '解绑', '绑定', '花名册', '小程序', '网页版', '企业学堂', '倍速',
  '锁屏', '息屏', '断网', '进度条', '挂课', '刷课', '看课', '退课', '续学', '白屏', '转圈',
  '转人工', '人工客服', '培训管理员', '开票', '发票', '退款', '退费', '付费课', '精品课',
  '微信支付',
];

/**
 * Dictionary frequency given to FAQ_PLATFORM_WORDS. It is above the frequency of the words they
 * lose to in jieba's default dictionary (算学 104, 会换 and 哪下 absent) and far below that of
 * everyday words, so a platform word wins inside a question without splitting common words.
 */
const PLATFORM_WORD_FREQUENCY = 2000;

// The FAQ keeps its own segmenter, because the catalog's shared one has no platform words. Loading
// the default dictionary took 0.2 s to 1.3 s and about 38 MB on a 2-core Xeon VM, so it is loaded
// on first use.
let segmenter: Jieba | undefined;

function getSegmenter(): Jieba {
  if (segmenter === undefined) {
    segmenter = Jieba.withDict(dict);
    const lines = FAQ_PLATFORM_WORDS.map((word) => `${word} ${PLATFORM_WORD_FREQUENCY} n`);
    segmenter.loadDict(Buffer.from(lines.join('\n'), 'utf8'));
  }
  return segmenter;
}

const HAS_LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/**
 * Segments a question in jieba's search mode, so long words also yield their dictionary
 * sub-words. The text is NFKC-normalised and lowercased first, and punctuation is dropped. The
 * output depends on nothing but the text, so it is stored with each FAQ entry and stays valid
 * when synonyms change.
 */
export function segmentQuestion(text: string): string[] {
  return getSegmenter()
    .cutForSearch(text.normalize('NFKC').toLowerCase(), true)
    .filter((word) => HAS_LETTER_OR_DIGIT.test(word));
}

/** A canonical term and the words that mean the same in learners' questions. */
export interface SynonymGroup {
  term: string;
  synonyms: readonly string[];
}

/** Synonyms compiled for lookup; build it with `buildSynonymTable`. */
export interface SynonymTable {
  /** Normalised word (a synonym or the term itself) → normalised canonical term. */
  canonical: ReadonlyMap<string, string>;
  /** Matches every synonym of two or more characters in normalised text, longest first. */
  textPattern: RegExp | null;
  /** Words listed in two groups; the first group keeps them. */
  conflicts: string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiles synonym groups. A word listed in two groups keeps the first and is reported. */
export function buildSynonymTable(groups: readonly SynonymGroup[]): SynonymTable {
  const canonical = new Map<string, string>();
  const conflicts: string[] = [];
  for (const group of groups) {
    const term = normaliseFaqText(group.term).replace(/\s+/g, '');
    if (term === '') continue;
    for (const word of [group.term, ...group.synonyms]) {
      const key = normaliseFaqText(word).replace(/\s+/g, '');
      if (key === '') continue;
      const existing = canonical.get(key);
      if (existing === undefined) canonical.set(key, term);
      else if (existing !== term) conflicts.push(key);
    }
  }
  const variants = [...canonical.keys()]
    .filter((word) => [...word].length >= 2 && canonical.get(word) !== word)
    .sort((a, b) => b.length - a.length);
  const textPattern =
    variants.length === 0 ? null : new RegExp(variants.map(escapeRegExp).join('|'), 'gu');
  return { canonical, textPattern, conflicts };
}

/** Maximum number of adjacent words joined to find a synonym that jieba splits, such as 结业证. */
const MAX_SYNONYM_SPAN = 3;

/**
 * Maps segmented words to the terms that BM25 indexes: a run of up to three adjacent words that
 * spells a synonym becomes its canonical term, single words are mapped alike, and stopwords are
 * dropped. Queries and FAQ questions both pass through here.
 */
export function canonicalTerms(words: readonly string[], synonyms: SynonymTable): string[] {
  const terms: string[] = [];
  let index = 0;
  while (index < words.length) {
    let matched = false;
    for (let span = Math.min(MAX_SYNONYM_SPAN, words.length - index); span >= 2; span--) {
      const joined = words.slice(index, index + span).join('');
      const term = synonyms.canonical.get(joined);
      if (term !== undefined) {
        terms.push(term);
        index += span;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    const word = words[index] ?? '';
    terms.push(synonyms.canonical.get(word) ?? word);
    index += 1;
  }
  return terms.filter((term) => !FAQ_STOPWORDS.has(term));
}

/**
 * Returns the text that character n-grams are built from: normalised, every synonym of two or
 * more characters replaced by its term, leading greetings and trailing particles removed, and
 * only letters and digits kept.
 */
export function ngramText(text: string, synonyms: SynonymTable): string {
  let normalised = normaliseFaqText(text);
  if (synonyms.textPattern) {
    normalised = normalised.replace(
      synonyms.textPattern,
      (word) => synonyms.canonical.get(word) ?? word,
    );
  }
  const compact = normalised.replace(NOT_LETTER_OR_DIGIT, '');
  const trimmed = compact
    .replace(LEADING_FILLER, '')
    .replace(TRAILING_PARTICLES, '')
    .replace(FILLER_WORDS, '');
  return trimmed === '' ? compact : trimmed;
}

/** Characters of n-gram text that character-level BM25 indexes: all but FAQ_STOP_CHARACTERS. */
export function characterTerms(text: string): string[] {
  return [...text].filter((character) => !FAQ_STOP_CHARACTERS.has(character));
}

/** Adds the bigrams and trigrams of a unit sequence; a single unit is its own gram. */
function addGrams(grams: Set<string>, units: readonly string[], separator: string): void {
  if (units.length === 1 && units[0]) grams.add(units[0]);
  for (let size = 2; size <= 3; size++) {
    for (let start = 0; start + size <= units.length; start++) {
      grams.add(units.slice(start, start + size).join(separator));
    }
  }
}

/** Character bigrams and trigrams of n-gram text. */
export function characterGrams(text: string): Set<string> {
  const grams = new Set<string>();
  addGrams(grams, [...text], '');
  return grams;
}

/**
 * Bigrams and trigrams of the toneless pinyin syllables of n-gram text, so that a homophone typo
 * (学识 for 学时, 正书 for 证书) still shares grams with the intended words. Characters without
 * pinyin (Latin letters, digits) stay as they are.
 */
export function pinyinGrams(text: string): Set<string> {
  const syllables = pinyin(text, { toneType: 'none', type: 'array', v: true });
  const grams = new Set<string>();
  addGrams(grams, syllables, ' ');
  return grams;
}

/** Returns the toneless pinyin of a word made of Chinese characters only, or null otherwise. */
export function pinyinKey(word: string): string | null {
  if (!HAN_ONLY.test(word)) return null;
  return pinyin(word, { toneType: 'none', type: 'array', v: true }).join(' ');
}
