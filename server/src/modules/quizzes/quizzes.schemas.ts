import { z } from 'zod';

const objectId = z.string().regex(/^[0-9a-f]{24}$/i, 'must be a 24-character hex id');

/** A positive integer given as a query-string value; a repeated parameter arrives as an array. */
const positiveIntText = (max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,6}$/, 'must be a positive integer')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));

export const MAX_PAGE_SIZE = 50;

// Strict like the course list: an unknown parameter such as `page[$gt]` is a client mistake worth a 400.
export const quizListQuery = z.strictObject({
  page: positiveIntText(100_000).default(1),
  pageSize: positiveIntText(MAX_PAGE_SIZE).default(20),
});

export const quizParams = z.object({ id: objectId });

export const attemptParams = z.object({ id: objectId });

export const answerParams = z.object({ id: objectId, questionId: objectId });

/** Option keys are the bank's keys: letters for choice questions, `T`/`F` for true/false. */
export const saveAnswerBody = z.strictObject({
  choice: z
    .array(z.string().regex(/^[A-Z]{1,3}$/, 'must be an option key such as "A"'))
    .max(52)
    .refine((keys) => new Set(keys).size === keys.length, 'must not repeat a key'),
});
