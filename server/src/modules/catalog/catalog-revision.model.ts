import { Schema, Types, model } from 'mongoose';
import { isDuplicateKeyError } from '../../db/errors.js';

/** Id of the one revision document of the course catalog. */
export const CATALOG_REVISION_ID = 'courses';

/**
 * The revision of the course catalog: a random id replaced on every course write. Server copies
 * compare it with the revision of their in-memory catalog snapshot to know when to reload.
 */
const catalogRevisionSchema = new Schema(
  {
    _id: { type: String, required: true },
    revision: { type: String, required: true },
    changedAt: { type: Date, required: true },
  },
  { collection: 'catalogRevisions' },
);

export const CatalogRevisionModel = model('CatalogRevision', catalogRevisionSchema);

/**
 * Replaces the catalog revision with a new random one, so every server copy reloads its snapshot
 * on its next request. Concurrent calls need no coordination: any new value marks the change.
 */
export async function markCatalogChanged(): Promise<string> {
  const revision = new Types.ObjectId().toString();
  const update = { $set: { revision, changedAt: new Date() } };
  try {
    await CatalogRevisionModel.updateOne({ _id: CATALOG_REVISION_ID }, update, { upsert: true });
  } catch (error) {
    // Two first-ever upserts raced and both tried to insert: the loser updates the winner's document.
    if (!isDuplicateKeyError(error)) throw error;
    await CatalogRevisionModel.updateOne({ _id: CATALOG_REVISION_ID }, update);
  }
  return revision;
}
