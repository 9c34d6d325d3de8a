// Operators' changes to the FAQ knowledge base: entries and synonym groups. Every write goes
// through the FAQ models, so every server copy rebuilds its FAQ index on its next question.
import { conflict, notFound } from '../../errors.js';
import { isDuplicateKeyError } from '../../db/errors.js';
import { FaqEntryModel, type FaqEntry } from './faq-entry.model.js';
import { prepareFaqTokens } from './faq-import.service.js';
import { FaqSynonymModel, type FaqSynonym } from './faq-synonym.model.js';

export interface NewFaqEntry {
  code: string;
  category: string;
  standardQuestion: string;
  paraphrases: string[];
  answer: string;
  enabled: boolean;
}

export type FaqEntryChanges = Partial<Omit<NewFaqEntry, 'code'>>;

/** Returns questions without blanks and repeats, and without the standard question. */
function cleanParaphrases(standardQuestion: string, paraphrases: readonly string[]): string[] {
  const seen = new Set([standardQuestion.trim()]);
  const cleaned: string[] = [];
  for (const paraphrase of paraphrases) {
    const text = paraphrase.trim();
    if (text === '' || seen.has(text)) continue;
    seen.add(text);
    cleaned.push(text);
  }
  return cleaned;
}

/** Lists entries ordered by code, optionally only enabled or only disabled ones. */
export async function listFaqEntries(filter: { enabled?: boolean } = {}): Promise<FaqEntry[]> {
  const query = filter.enabled === undefined ? {} : { enabled: filter.enabled };
  return FaqEntryModel.find(query, { tokens: 0 }).sort({ code: 1 }).lean<FaqEntry[]>();
}

export async function getFaqEntry(code: string): Promise<FaqEntry> {
  const entry = await FaqEntryModel.findOne({ code }, { tokens: 0 }).lean<FaqEntry>();
  if (!entry) throw notFound('FAQ entry', code);
  return entry;
}

/** Creates an entry. Throws 409 `faq_entry_exists` when the code is taken. */
export async function createFaqEntry(input: NewFaqEntry): Promise<FaqEntry> {
  const paraphrases = cleanParaphrases(input.standardQuestion, input.paraphrases);
  try {
    await FaqEntryModel.create({
      ...input,
      paraphrases,
      ...prepareFaqTokens(input.standardQuestion, paraphrases),
    });
  } catch (error) {
    if (isDuplicateKeyError(error)) {
      throw conflict(
        'faq_entry_exists',
        `FAQ entry ${input.code} already exists: choose another code`,
      );
    }
    throw error;
  }
  return getFaqEntry(input.code);
}

/**
 * Changes the given fields of an entry. A change of the questions re-segments them, so the stored
 * tokens always match the questions.
 */
export async function updateFaqEntry(code: string, changes: FaqEntryChanges): Promise<FaqEntry> {
  const stored = await getFaqEntry(code);
  const standardQuestion = changes.standardQuestion ?? stored.standardQuestion;
  const paraphrases = cleanParaphrases(standardQuestion, changes.paraphrases ?? stored.paraphrases);
  await FaqEntryModel.updateOne(
    { code },
    {
      $set: {
        category: changes.category ?? stored.category,
        answer: changes.answer ?? stored.answer,
        enabled: changes.enabled ?? stored.enabled,
        standardQuestion,
        paraphrases,
        ...prepareFaqTokens(standardQuestion, paraphrases),
      },
    },
  );
  return getFaqEntry(code);
}

/** Adds a question to an entry's paraphrases; a question it already has changes nothing. */
export async function addFaqParaphrase(code: string, paraphrase: string): Promise<FaqEntry> {
  const stored = await getFaqEntry(code);
  return updateFaqEntry(code, { paraphrases: [...stored.paraphrases, paraphrase] });
}

export async function listFaqSynonyms(): Promise<FaqSynonym[]> {
  return FaqSynonymModel.find({}).sort({ term: 1 }).lean<FaqSynonym[]>();
}

/** Creates or replaces the synonyms of a term. */
export async function setFaqSynonyms(
  term: string,
  synonyms: readonly string[],
): Promise<FaqSynonym> {
  const cleaned = [...new Set(synonyms.map((word) => word.trim()))].filter(
    (word) => word !== '' && word !== term,
  );
  try {
    await FaqSynonymModel.updateOne({ term }, { $set: { synonyms: cleaned } }, { upsert: true });
  } catch (error) {
    // A concurrent upsert of the same term inserted first: overwrite it.
    if (!isDuplicateKeyError(error)) throw error;
    await FaqSynonymModel.updateOne({ term }, { $set: { synonyms: cleaned } });
  }
  return FaqSynonymModel.findOne({ term }).orFail().lean<FaqSynonym>();
}

/** Deletes a synonym group. Throws 404 when there is none for the term. */
export async function deleteFaqSynonyms(term: string): Promise<void> {
  const result = await FaqSynonymModel.deleteOne({ term });
  if (result.deletedCount === 0) throw notFound('FAQ synonym group', term);
}
