import { z } from 'zod';

/**
 * Body of `POST /api/assistant/ask`. The question has no maximum length here: a long one gets a
 * polite `too_long` reply instead of a validation error, and the body size limit bounds it.
 */
export const askBody = z.strictObject({
  question: z.string().trim().min(1, 'must not be blank'),
});
