import { buildSearchTokens } from './catalog.search.js';
import { markdownToPlainText } from './markdown-text.js';

/** Editable content of a course, as an import or an administrator provides it. */
export interface CourseContentInput {
  code: string;
  title: string;
  category: string;
  subcategory: string | null;
  /** Markdown. */
  description: string;
  university: string | null;
  instructor: string | null;
  prerequisites: string | null;
  website: string | null;
  difficulty: number | null;
  studyTimeText: string | null;
  studyHoursMin: number | null;
  studyHoursMax: number | null;
}

/** Editable fields of a course: its content and whether learners can see it. */
export interface CourseInput extends CourseContentInput {
  published: boolean;
}

/**
 * Version of the rules that derive fields from a course's input (search tokens, summary). Imports
 * store it in their content hash, so bumping it makes the next import rewrite every course.
 * Bump it whenever `prepareCourseFields` returns something different for the same input.
 */
export const DERIVED_FIELDS_VERSION = 1;

/** Target length of a list summary in characters. A longer first sentence is cut to this length. */
const SUMMARY_LENGTH = 120;

/**
 * Returns the fields to store for a course: the input plus everything derived from it (search
 * tokens and summary). Every course write must store these, or search and lists go stale.
 */
export function prepareCourseFields<Input extends CourseContentInput>(input: Input) {
  return {
    ...input,
    summary: summarise(input.description),
    ...buildSearchTokens(input),
  };
}

/**
 * Returns the first sentences of a description as plain text, up to about SUMMARY_LENGTH
 * characters. A first sentence longer than that is cut and ends with "…".
 */
export function summarise(description: string): string {
  const text = markdownToPlainText(description);
  const sentences = text.match(/[^。！？!?]+[。！？!?]*|[。！？!?]+/g) ?? [];
  let summary = '';
  for (const sentence of sentences) {
    if (summary !== '' && summary.length + sentence.length > SUMMARY_LENGTH) break;
    summary += sentence;
  }
  summary = summary.trim();
  const characters = [...summary];
  if (characters.length <= SUMMARY_LENGTH) return summary;
  return `${characters
    .slice(0, SUMMARY_LENGTH - 1)
    .join('')
    .trimEnd()}…`;
}

/** Counts words of an article as readers of Chinese do: each Chinese character, each Latin word. */
export function countWords(markdown: string): number {
  const text = markdownToPlainText(markdown);
  const hanCharacters = text.match(/\p{Script=Han}/gu)?.length ?? 0;
  const otherWords = text.replace(/\p{Script=Han}/gu, ' ').match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
  return hanCharacters + otherWords;
}
