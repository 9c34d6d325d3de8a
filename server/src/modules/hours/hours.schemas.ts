import { z } from 'zod';

/** Query of `GET /api/me/hours`: an optional calendar year. */
export const myHoursQuery = z.strictObject({
  year: z
    .string()
    .regex(/^\d{4}$/, 'must be a four-digit year')
    .transform(Number)
    .optional(),
});
