import { z } from 'zod';
import { MAX_REQUIREMENT_YEAR, MIN_REQUIREMENT_YEAR } from '../hours/requirements.js';

/** A unit code as it appears in materialised paths, so never containing `/`. */
const orgUnitCode = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[^/\s]+$/, 'must not contain slashes or spaces');

const fourDigitYear = z
  .string()
  .regex(/^\d{4}$/, 'must be a four-digit year')
  .transform(Number);

/** A year for which requirements can be set, including future ones. */
const requirementYear = fourDigitYear.pipe(
  z.number().int().min(MIN_REQUIREMENT_YEAR).max(MAX_REQUIREMENT_YEAR),
);

/** Query of `GET /api/admin/hour-requirements`. */
export const requirementListQuery = z.strictObject({
  year: requirementYear,
  orgUnitCode: orgUnitCode.optional(),
});

/** Path of `PUT` and `DELETE /api/admin/hour-requirements/:orgUnitCode/:year`. */
export const requirementParams = z.strictObject({
  orgUnitCode,
  year: requirementYear,
});

/**
 * Body of `PUT /api/admin/hour-requirements/:orgUnitCode/:year`. The range (0–1000) and the one
 * decimal are checked by `setRequirement`, which owns that rule.
 */
export const setRequirementBody = z.strictObject({
  requiredHours: z.number(),
});

/** Query of `GET /api/admin/hours/export`. The service checks the year against the current one. */
export const hoursExportQuery = z.strictObject({
  year: fourDigitYear,
  orgUnitCode,
});
