import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A training record imported from the system this platform replaces. Records are facts of the
 * past: an import inserts new ones and never changes a stored one.
 */
const legacyRecordSchema = new Schema(
  {
    sourceSystem: { type: String, required: true },
    employeeNo: { type: String, required: true },
    /** The name as the imported row gives it, which matched the roster at import time. */
    name: { type: String, required: true },
    courseTitle: { type: String, required: true },
    /** Calendar date in Asia/Shanghai, `YYYY-MM-DD`. */
    completedOn: { type: String, required: true },
    /** Calendar year of `completedOn`. */
    year: { type: Number, required: true },
    /** Hours with one decimal, greater than 0 and at most 200. */
    hours: { type: Number, required: true },
    /** File name and line of the row that created the record. */
    importedFrom: { type: String, required: true },
  },
  { collection: 'legacyRecords', timestamps: true },
);

// The natural key: importing the same file again inserts nothing.
legacyRecordSchema.index(
  { sourceSystem: 1, employeeNo: 1, courseTitle: 1, completedOn: 1 },
  { unique: true },
);
legacyRecordSchema.index({ employeeNo: 1, year: 1 });

export type LegacyRecord = InferSchemaType<typeof legacyRecordSchema>;
export const LegacyRecordModel = model('LegacyRecord', legacyRecordSchema);
