import type { Model } from 'mongoose';

interface PendingInsert<T> {
  documents: T[];
  resolve: (duplicates: Set<number>) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for insert-only collections: concurrent callers' documents go to the database in
 * one unordered `insertMany`, and each caller's promise settles when the command that carried its
 * documents has finished. While one command runs, new documents wait and go together in the next
 * one, so the number of commands per second stays about constant as load grows, and nothing is
 * acknowledged before the database has it.
 *
 * Duplicate-key failures are reported to the caller whose document failed, as indexes into the
 * documents it passed. Any other failure rejects every caller of that command: an unordered insert
 * may have stored some of their documents, so callers must treat the outcome as unknown and retry
 * with the same natural keys, which the unique index turns into duplicates.
 */
export class GroupInsert<T extends object> {
  private queue: PendingInsert<T>[] = [];
  private running = false;

  /**
   * `lean` skips mongoose's casting, defaults and validation, for callers that build complete
   * documents themselves and insert many per second.
   */
  constructor(
    private readonly model: Model<T>,
    private readonly maxDocuments = 1_000,
    private readonly lean = false,
  ) {}

  /** Inserts the documents and resolves to the indexes that were rejected as duplicate keys. */
  insert(documents: T[]): Promise<Set<number>> {
    if (documents.length === 0) return Promise.resolve(new Set());
    return new Promise((resolve, reject) => {
      this.queue.push({ documents, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const group = this.takeGroup();
        await this.write(group);
      }
    } finally {
      this.running = false;
    }
  }

  /** Takes whole callers from the queue up to `maxDocuments`, at least one caller. */
  private takeGroup(): PendingInsert<T>[] {
    const group: PendingInsert<T>[] = [];
    let size = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (group.length > 0 && size + next.documents.length > this.maxDocuments) break;
      group.push(this.queue.shift()!);
      size += next.documents.length;
    }
    return group;
  }

  private async write(group: PendingInsert<T>[]): Promise<void> {
    const documents = group.flatMap((pending) => pending.documents);
    const duplicates = new Set<number>();
    try {
      // Without lean, validation errors throw instead of being skipped, so no document is
      // silently left out.
      await this.model.insertMany(
        documents,
        this.lean
          ? { ordered: false, lean: true }
          : { ordered: false, throwOnValidationError: true },
      );
    } catch (error) {
      const indexes = duplicateIndexes(error);
      if (!indexes) {
        for (const pending of group) pending.reject(error);
        return;
      }
      for (const index of indexes) duplicates.add(index);
    }
    let offset = 0;
    for (const pending of group) {
      const own = new Set<number>();
      for (let index = 0; index < pending.documents.length; index++) {
        if (duplicates.has(offset + index)) own.add(index);
      }
      offset += pending.documents.length;
      pending.resolve(own);
    }
  }
}

/**
 * Returns the indexes of an unordered insert that failed as duplicates when every write error is
 * a duplicate key, or null when the error is anything else.
 */
export function duplicateIndexes(error: unknown): number[] | null {
  const writeErrors = (error as { writeErrors?: unknown } | null)?.writeErrors;
  // An unordered insertMany reports duplicates as a bulk write error. Any other shape is
  // unexpected, because guessing which documents were stored could lose or double records.
  if (!Array.isArray(writeErrors)) return null;
  const indexes: number[] = [];
  for (const item of writeErrors as {
    index?: unknown;
    code?: unknown;
    err?: { code?: unknown; index?: unknown };
  }[]) {
    const code = item.code ?? item.err?.code;
    const index = item.index ?? item.err?.index;
    if (code !== 11000 || typeof index !== 'number') return null;
    indexes.push(index);
  }
  return indexes;
}
