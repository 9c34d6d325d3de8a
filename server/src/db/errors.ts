/** True for MongoDB's duplicate-key error (code 11000), which FerretDB also returns on inserts and upserts. */
export function isDuplicateKeyError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 11000;
}
