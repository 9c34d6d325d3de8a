// Writes FAQ entries and synonym groups by their natural keys (entry code, synonym term), so that
// importing the same knowledge base again writes nothing and reports every item unchanged.
import { isDuplicateKeyError } from '../../db/errors.js';
import { FaqEntryModel, type FaqEntry } from './faq-entry.model.js';
import { FaqSynonymModel, type FaqSynonym } from './faq-synonym.model.js';
import { FAQ_TOKENS_VERSION, segmentQuestion, type SynonymGroup } from './faq-text.js';

/** An FAQ entry as an import file gives it. */
export interface FaqEntryInput {
  code: string;
  category: string;
  standardQuestion: string;
  paraphrases: string[];
  answer: string;
  /** Only used when the entry is created; an update keeps the stored flag. Default true. */
  enabled?: boolean;
}

export type FaqImportOutcome = 'created' | 'updated' | 'unchanged';

/** Returns the stored retrieval tokens of an entry's questions, standard question first. */
export function prepareFaqTokens(standardQuestion: string, paraphrases: readonly string[]) {
  return {
    tokens: [standardQuestion, ...paraphrases].map((question) => ({
      words: segmentQuestion(question),
    })),
    tokensVersion: FAQ_TOKENS_VERSION,
  };
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, position) => value === b[position]);
}

function entryUnchanged(stored: FaqEntry, input: FaqEntryInput): boolean {
  return (
    stored.category === input.category &&
    stored.standardQuestion === input.standardQuestion &&
    stored.answer === input.answer &&
    sameStrings(stored.paraphrases, input.paraphrases) &&
    stored.tokensVersion === FAQ_TOKENS_VERSION &&
    stored.tokens.length === input.paraphrases.length + 1
  );
}

/**
 * Creates or updates an FAQ entry by its code. An entry whose fields equal the input is not
 * written. An update rewrites the questions, answer and category and keeps `enabled`, so an
 * operator's decision to disable an entry survives a re-import.
 */
export async function saveFaqEntry(input: FaqEntryInput): Promise<FaqImportOutcome> {
  const fields = {
    category: input.category,
    standardQuestion: input.standardQuestion,
    paraphrases: input.paraphrases,
    answer: input.answer,
    ...prepareFaqTokens(input.standardQuestion, input.paraphrases),
  };
  const stored = await FaqEntryModel.findOne({ code: input.code }).lean<FaqEntry>();
  if (!stored) {
    try {
      await FaqEntryModel.create({ code: input.code, enabled: input.enabled ?? true, ...fields });
      return 'created';
    } catch (error) {
      // A concurrent import created the same code first: compare with and update that entry.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
  const current = stored ?? (await FaqEntryModel.findOne({ code: input.code }).orFail().lean());
  if (entryUnchanged(current as FaqEntry, input)) return 'unchanged';
  await FaqEntryModel.updateOne({ code: input.code }, { $set: fields });
  return 'updated';
}

/**
 * Creates or replaces the synonyms of a term. A group whose synonyms equal the stored ones, in
 * any order, is not written.
 */
export async function saveFaqSynonymGroup(group: SynonymGroup): Promise<FaqImportOutcome> {
  const synonyms = [...group.synonyms];
  const stored = await FaqSynonymModel.findOne({ term: group.term }).lean<FaqSynonym>();
  if (!stored) {
    try {
      await FaqSynonymModel.create({ term: group.term, synonyms });
      return 'created';
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
  const current = stored ?? (await FaqSynonymModel.findOne({ term: group.term }).orFail().lean());
  if (sameStrings([...current.synonyms].sort(), [...synonyms].sort())) return 'unchanged';
  await FaqSynonymModel.updateOne({ term: group.term }, { $set: { synonyms } });
  return 'updated';
}
