import mongoose from 'mongoose';
import type { Logger } from '../../logger.js';
import { FaqEntryModel, type FaqEntry } from './faq-entry.model.js';
import { buildFaqIndex, type FaqIndex, type FaqIndexEntry } from './faq-index.js';
import { FAQ_REVISION_ID, FaqRevisionModel, markFaqChanged } from './faq-revision.model.js';
import { FaqSynonymModel } from './faq-synonym.model.js';
import { buildSynonymTable, FAQ_TOKENS_VERSION } from './faq-text.js';

/**
 * Maximum age of an FAQ index in milliseconds. A write through the FAQ models makes indexes
 * rebuild at once, so this bound only matters for writes made around mongoose (a database shell).
 */
export const FAQ_SNAPSHOT_MAX_AGE_MS = 5 * 60_000;

/** An enabled entry as replies need it. */
export interface FaqAnswer {
  id: string;
  code: string;
  standardQuestion: string;
  answer: string;
}

/** The enabled FAQ entries and synonyms as of one revision, with the index built from them. */
export interface FaqSnapshot {
  revision: string;
  database: string;
  loadedAt: number;
  index: FaqIndex;
  byId: Map<string, FaqAnswer>;
}

let current: FaqSnapshot | undefined;
let currentSequence = 0;
let loadsStarted = 0;
let loading: { revision: string; database: string; promise: Promise<FaqSnapshot> } | undefined;

/**
 * Returns the FAQ index as of the current FAQ revision, with one read of the revision document
 * per call. Each server copy keeps the index in memory, because building it segments and indexes
 * every question, and rebuilds it when the revision changes or the index is older than
 * FAQ_SNAPSHOT_MAX_AGE_MS. Calls that see the same new revision share one build.
 */
export async function getFaqSnapshot(logger: Logger): Promise<FaqSnapshot> {
  const database = mongoose.connection.name;
  const stored = await FaqRevisionModel.findById(FAQ_REVISION_ID).lean();
  const revision = stored?.revision ?? (await markFaqChanged());

  const fresh =
    current !== undefined &&
    current.revision === revision &&
    current.database === database &&
    Date.now() - current.loadedAt < FAQ_SNAPSHOT_MAX_AGE_MS;
  if (fresh && current) return current;

  if (loading?.revision !== revision || loading.database !== database) {
    const promise = loadSnapshot(revision, database, logger).finally(() => {
      if (loading?.promise === promise) loading = undefined;
    });
    loading = { revision, database, promise };
  }
  return loading.promise;
}

function indexEntry(entry: FaqEntry): FaqIndexEntry {
  const tokensCurrent = entry.tokensVersion === FAQ_TOKENS_VERSION;
  return {
    id: entry._id.toString(),
    code: entry.code,
    standardQuestion: entry.standardQuestion,
    paraphrases: entry.paraphrases,
    questionWords: tokensCurrent ? entry.tokens.map((question) => question.words) : null,
    answer: entry.answer,
  };
}

async function loadSnapshot(
  revision: string,
  database: string,
  logger: Logger,
): Promise<FaqSnapshot> {
  const sequence = ++loadsStarted;
  const startedAt = performance.now();
  const [entries, synonymGroups] = await Promise.all([
    FaqEntryModel.find({ enabled: true }).sort({ code: 1 }).lean<FaqEntry[]>(),
    FaqSynonymModel.find({}, { term: 1, synonyms: 1 }).sort({ term: 1 }).lean(),
  ]);
  const synonyms = buildSynonymTable(synonymGroups);
  if (synonyms.conflicts.length > 0) {
    logger.warn({ words: synonyms.conflicts }, 'faq synonyms listed under two terms');
  }
  const snapshot: FaqSnapshot = {
    revision,
    database,
    loadedAt: Date.now(),
    index: buildFaqIndex(entries.map(indexEntry), synonyms),
    byId: new Map(
      entries.map((entry) => [
        entry._id.toString(),
        {
          id: entry._id.toString(),
          code: entry.code,
          standardQuestion: entry.standardQuestion,
          answer: entry.answer,
        },
      ]),
    ),
  };
  logger.info(
    {
      revision,
      entries: entries.length,
      synonymGroups: synonymGroups.length,
      durationMs: Math.round(performance.now() - startedAt),
    },
    'faq index built',
  );
  // A build that started earlier but finished later must not replace a newer snapshot.
  if (sequence > currentSequence) {
    current = snapshot;
    currentSequence = sequence;
  }
  return snapshot;
}
