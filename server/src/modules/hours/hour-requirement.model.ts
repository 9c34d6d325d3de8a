import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * The number of training hours each employee of an org unit must complete in a calendar year. A
 * requirement applies to the unit and every unit below it that sets none of its own.
 */
const hourRequirementSchema = new Schema(
  {
    orgUnitCode: { type: String, required: true },
    year: { type: Number, required: true },
    /** Hours with at most one decimal; 0 exempts the subtree from a requirement set higher up. */
    requiredHours: { type: Number, required: true },
  },
  { collection: 'hourRequirements', timestamps: true },
);

hourRequirementSchema.index({ orgUnitCode: 1, year: 1 }, { unique: true });

export type HourRequirement = InferSchemaType<typeof hourRequirementSchema>;
export const HourRequirementModel = model('HourRequirement', hourRequirementSchema);
