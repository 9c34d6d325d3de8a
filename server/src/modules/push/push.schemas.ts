import { z } from 'zod';

const templateId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a WeChat template id');

export const subscriptionGrantBody = z.strictObject({
  requestId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8 to 64 letters, digits, _ or -'),
  results: z
    .record(templateId, z.enum(['accept', 'reject', 'ban', 'filter']))
    .refine((results) => Object.keys(results).length <= 20, 'must name at most 20 templates'),
});

export const pushOptOutBody = z.strictObject({ optedOut: z.boolean() });

export const noticesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

/** Click tokens are 16 random bytes in base64url. */
export const openQuery = z.object({
  t: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'must be the 22-character token of a push link'),
});

/** Query of `GET /api/admin/push/runs`. */
export const pushRunsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
