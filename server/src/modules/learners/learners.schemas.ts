import { z } from 'zod';

export const bindEmployeeBody = z.object({
  employeeNo: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9-]{1,32}$/, 'must be 1 to 32 letters, digits or "-"'),
  name: z.string().trim().min(1).max(64),
});
