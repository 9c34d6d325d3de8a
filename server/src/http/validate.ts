import type { z } from 'zod';
import { validationFailed } from '../errors.js';

/**
 * Parses untrusted input with a zod schema, or throws a 400 that lists each invalid field. Schemas
 * are strict about types, so an operator object such as `{"$ne": null}` where a string belongs is
 * rejected here before any query runs.
 */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  what: string,
): z.infer<Schema> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;

  const details = result.error.issues.map((issue) => ({
    path: issue.path.join('.') || '(root)',
    message: issue.message,
  }));
  const summary = details.map((detail) => `${detail.path}: ${detail.message}`).join('; ');
  throw validationFailed(`Invalid ${what}: ${summary}`, details);
}
