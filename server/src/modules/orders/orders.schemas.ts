import { z } from 'zod';

const objectId = z.string().regex(/^[0-9a-fA-F]{24}$/, 'must be a 24-character hexadecimal id');

export const idParams = z.object({ id: objectId });

/** Body of `POST /api/orders`: the course only, because the amount is always the course price. */
export const createOrderBody = z.strictObject({ courseId: objectId });

/** Body of `POST /api/admin/orders/:id/refunds`. WeChat Pay shows `reason` to the payer. */
export const createRefundBody = z.strictObject({
  amountFen: z.number().int().min(1),
  reason: z.string().trim().min(1).max(80),
});
