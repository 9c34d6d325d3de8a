import { Schema, Types, model } from 'mongoose';
import { isDuplicateKeyError } from '../../db/errors.js';

/** Id of the one revision document of the FAQ knowledge base. */
export const FAQ_REVISION_ID = 'faq';

/**
 * The revision of the FAQ knowledge base (entries and synonyms): a random id replaced on every
 * write. Server copies compare it with the revision of their in-memory FAQ index to know when to
 * rebuild it.
 */
const faqRevisionSchema = new Schema(
  {
    _id: { type: String, required: true },
    revision: { type: String, required: true },
    changedAt: { type: Date, required: true },
  },
  { collection: 'faqRevisions' },
);

export const FaqRevisionModel = model('FaqRevision', faqRevisionSchema);

/**
 * Replaces the FAQ revision with a new random one, so every server copy rebuilds its index on its
 * next question. Concurrent calls need no coordination: any new value marks the change.
 */
export async function markFaqChanged(): Promise<string> {
  const revision = new Types.ObjectId().toString();
  const update = { $set: { revision, changedAt: new Date() } };
  try {
    await FaqRevisionModel.updateOne({ _id: FAQ_REVISION_ID }, update, { upsert: true });
  } catch (error) {
    // Two first-ever upserts raced and both tried to insert: the loser updates the winner's document.
    if (!isDuplicateKeyError(error)) throw error;
    await FaqRevisionModel.updateOne({ _id: FAQ_REVISION_ID }, update);
  }
  return revision;
}

/** Write operations of a model whose documents feed the FAQ index. */
const WRITE_QUERIES = [
  'updateOne',
  'updateMany',
  'replaceOne',
  'deleteOne',
  'deleteMany',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
] as const;

/**
 * Makes every write through a model mark the FAQ changed, so the in-memory indexes of all server
 * copies (faq-snapshot.ts) rebuild on their next question. Writes made around mongoose are picked
 * up when an index reaches its maximum age.
 */
export function markFaqChangedOnWrite(schema: Schema): void {
  schema.post('save', async () => {
    await markFaqChanged();
  });
  schema.post('insertMany', async () => {
    await markFaqChanged();
  });
  schema.post('bulkWrite', async () => {
    await markFaqChanged();
  });
  schema.post([...WRITE_QUERIES], { document: false, query: true }, async () => {
    await markFaqChanged();
  });
}
