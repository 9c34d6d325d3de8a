// Hours from the training records of the system this platform replaces.
import { LegacyRecordModel } from './legacy-record.model.js';

/**
 * Sums an employee's imported legacy hours completed in a calendar year (Asia/Shanghai), rounded
 * to one decimal. Returns 0 when there are none.
 */
export async function legacyHoursFor(employeeNo: string, year: number): Promise<number> {
  const [total] = await LegacyRecordModel.aggregate<{ hours: number }>([
    { $match: { employeeNo: String(employeeNo), year: Number(year) } },
    { $group: { _id: null, hours: { $sum: '$hours' } } },
  ]);
  // Each record has one decimal, but their binary sum can end in ...0000001.
  return Math.round((total?.hours ?? 0) * 10) / 10;
}
