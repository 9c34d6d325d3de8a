// Content similarity of courses: TF-IDF vectors over the jieba-segmented title and description,
// compared by cosine through an inverted index, so only courses that share a term are compared.
import { segment } from '../catalog/catalog.search.js';
import { markdownToPlainText } from '../catalog/markdown-text.js';
import { keepBest, NeighbourListsWriter, type NeighbourLists } from './neighbour-lists.js';

export interface CourseText {
  title: string;
  /** Markdown. */
  description: string;
}

export interface ContentNeighbourOptions {
  /** Neighbours kept per course. */
  neighbours?: number;
  /** Terms kept per course vector, the highest-weighted ones; bounds the comparison cost. */
  termsPerCourse?: number;
  /** Neighbours below this cosine similarity are dropped. */
  minScore?: number;
}

/** A title word counts this many times, because a title names the topic better than a summary. */
const TITLE_WEIGHT = 3;
/** Terms found in more than this share of courses are dropped: they separate nothing. */
const MAX_DOCUMENT_SHARE = 0.5;

const HAS_HAN = /\p{Script=Han}/u;
const DIGITS_ONLY = /^[\d.]+$/;

// Frequent words of course descriptions that carry nothing about the subject.
const STOPWORDS = new Set([
  '课程', '这门', '这门课', '一门', '本课程', '我们', '你们', '他们', '可以', '能够', '一个', '一些',
  '以及', '通过', '进行', '如何', '什么', '非常', '个人', '觉得', '而且', '但是', '如果', '因为',
  '所以', '其中', '同时', '还有', '内容', '学习', '介绍', '主要', '相关', '包括', '掌握', '了解',
]); // prettier-ignore

function isContentWord(word: string): boolean {
  if (STOPWORDS.has(word)) return false;
  if (HAS_HAN.test(word)) return [...word].length >= 2;
  return word.length >= 2 && !DIGITS_ONLY.test(word);
}

/** Counts the content words of a course: segmented title words (weighted) and description words. */
export function courseTerms(text: CourseText): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (words: string[], weight: number) => {
    for (const word of words) {
      if (isContentWord(word)) counts.set(word, (counts.get(word) ?? 0) + weight);
    }
  };
  add(segment(text.title), TITLE_WEIGHT);
  add(segment(markdownToPlainText(text.description)), 1);
  return counts;
}

/** Sparse unit-length vectors of all courses, as parallel arrays per course. */
interface Vectors {
  terms: Int32Array[];
  weights: Float64Array[];
  termCount: number;
}

function buildVectors(texts: readonly CourseText[], termsPerCourse: number): Vectors {
  const termIds = new Map<string, number>();
  const documentFrequency: number[] = [];
  const counted = texts.map((text) => {
    const entries: [number, number][] = [];
    for (const [term, count] of courseTerms(text)) {
      let id = termIds.get(term);
      if (id === undefined) {
        id = termIds.size;
        termIds.set(term, id);
        documentFrequency.push(0);
      }
      documentFrequency[id] = (documentFrequency[id] as number) + 1;
      entries.push([id, count]);
    }
    return entries;
  });

  const courseCount = texts.length;
  const maxFrequency = Math.max(2, MAX_DOCUMENT_SHARE * courseCount);
  const terms: Int32Array[] = [];
  const weights: Float64Array[] = [];
  for (const entries of counted) {
    // Terms of one course only cannot make neighbours; very common ones carry no signal.
    const weighted = entries
      .map(([id, count]): [number, number] => {
        const frequency = documentFrequency[id] as number;
        if (frequency < 2 || frequency > maxFrequency) return [id, 0];
        return [id, (1 + Math.log(count)) * Math.log(courseCount / frequency)];
      })
      .filter(([, weight]) => weight > 0)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, termsPerCourse);
    const norm = Math.hypot(...weighted.map(([, weight]) => weight)) || 1;
    terms.push(Int32Array.from(weighted, ([id]) => id));
    weights.push(Float64Array.from(weighted, ([, weight]) => weight / norm));
  }
  return { terms, weights, termCount: termIds.size };
}

/** Inverted index: for each term, the courses that contain it and the term's weight there. */
function buildPostings(vectors: Vectors) {
  const offsets = new Uint32Array(vectors.termCount + 1);
  for (const terms of vectors.terms) for (const term of terms) offsets[term + 1]! += 1;
  for (let term = 0; term < vectors.termCount; term++) offsets[term + 1]! += offsets[term]!;
  const fill = offsets.slice(0, vectors.termCount);
  const courses = new Int32Array(offsets[vectors.termCount]!);
  const weights = new Float64Array(courses.length);
  vectors.terms.forEach((terms, course) => {
    terms.forEach((term, k) => {
      const at = fill[term]!++;
      courses[at] = course;
      weights[at] = vectors.weights[course]![k]!;
    });
  });
  return { offsets, courses, weights };
}

/**
 * Finds, for every course, the most similar other courses by cosine similarity of TF-IDF vectors
 * (term frequency `1 + ln tf`, inverse document frequency `ln(N / df)`). Course `i` of the result
 * is `texts[i]`. 7,000 courses take a few seconds, most of it jieba segmentation.
 */
export function buildContentNeighbours(
  texts: readonly CourseText[],
  options: ContentNeighbourOptions = {},
): NeighbourLists {
  const limit = options.neighbours ?? 20;
  const minScore = options.minScore ?? 0.05;
  const vectors = buildVectors(texts, options.termsPerCourse ?? 60);
  const postings = buildPostings(vectors);

  const writer = new NeighbourListsWriter(texts.length);
  const similarity = new Float64Array(texts.length);
  const touched = new Int32Array(texts.length);
  const candidateScores = new Float64Array(texts.length);
  for (let course = 0; course < texts.length; course++) {
    let touchedCount = 0;
    const terms = vectors.terms[course]!;
    const weights = vectors.weights[course]!;
    for (let k = 0; k < terms.length; k++) {
      const term = terms[k]!;
      const weight = weights[k]!;
      for (let at = postings.offsets[term]!; at < postings.offsets[term + 1]!; at++) {
        const other = postings.courses[at]!;
        if (other === course) continue;
        if (similarity[other] === 0) touched[touchedCount++] = other;
        similarity[other]! += weight * postings.weights[at]!;
      }
    }

    let count = 0;
    for (let k = 0; k < touchedCount; k++) {
      const other = touched[k]!;
      if (similarity[other]! >= minScore) {
        touched[count] = other;
        candidateScores[count] = similarity[other]!;
        count++;
      }
      similarity[other] = 0;
    }
    const kept = keepBest(touched, candidateScores, count, limit);
    writer.append(course, touched, candidateScores, kept);
  }
  return writer.finish();
}
