import { z } from 'zod';

/** Default and maximum number of courses per page. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 50;
/** Highest page number accepted, far beyond the last page of a 7,000-course catalog. */
export const MAX_PAGE = 10_000;

const objectId = z.string().regex(/^[0-9a-fA-F]{24}$/, 'must be a 24-character hexadecimal id');

/** Parses a whole number from a query string, such as `page=2`, between 1 and `max`. */
function wholeNumber(max: number) {
  return z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));
}

const label = z.string().trim().min(1).max(100);

/** Query of `GET /api/courses`. Unknown parameters are rejected so that typos do not go unnoticed. */
export const courseListQuery = z.strictObject({
  q: z.string().trim().max(100).optional(),
  category: label.optional(),
  subcategory: label.optional(),
  page: wholeNumber(MAX_PAGE).default(1),
  pageSize: wholeNumber(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
});

export const idParams = z.object({ id: objectId });

/** Body of `POST /api/courses/:id/enrolment`: empty, because a learner can only enrol themself. */
export const enrolmentBody = z.strictObject({});
