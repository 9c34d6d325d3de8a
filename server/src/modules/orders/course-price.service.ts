import { notFound, validationFailed } from '../../errors.js';
import { CourseModel } from '../catalog/course.model.js';

/**
 * Sets the price of the course with this code, in fen, or makes it free with null. Throws 404
 * for an unknown course and 400 for a price that is not a whole number of at least 1 fen.
 * Returns the previous price. Orders placed before keep their amount.
 */
export async function setCoursePrice(
  code: string,
  priceFen: number | null,
): Promise<{ previousFen: number | null }> {
  if (priceFen !== null && (!Number.isInteger(priceFen) || priceFen < 1)) {
    throw validationFailed(`Invalid price ${priceFen}: give a whole number of fen of at least 1`);
  }
  // No projection: FerretDB v1.24 does not support findAndModify with one.
  const previous = await CourseModel.findOneAndUpdate(
    { code },
    { $set: { priceFen } },
    { runValidators: true },
  ).lean();
  if (!previous) throw notFound('Course', code);
  return { previousFen: previous.priceFen ?? null };
}
