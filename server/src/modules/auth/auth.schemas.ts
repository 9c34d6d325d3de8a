import { z } from 'zod';

export const loginBody = z.object({
  code: z.string().trim().min(1).max(128),
});

export const devLoginCodeBody = z.object({
  learner: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'use 1 to 64 letters, digits, "_" or "-"')
    .default('demo'),
});
