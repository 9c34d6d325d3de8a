import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A unit of the organisation tree. `path` is materialised as the codes from the root down, such as
 * `/HQ/GD/GD-GZ/`, so a subtree is a prefix match and needs no recursive query.
 */
const orgUnitSchema = new Schema(
  {
    code: { type: String, required: true },
    name: { type: String, required: true },
    parentCode: { type: String, default: null },
    path: { type: String, required: true },
    pathNames: { type: [String], required: true },
    level: { type: Number, required: true },
    kind: { type: String, required: true },
  },
  { collection: 'orgUnits', timestamps: true },
);

orgUnitSchema.index({ code: 1 }, { unique: true });
orgUnitSchema.index({ path: 1 });

export type OrgUnit = InferSchemaType<typeof orgUnitSchema>;
export const OrgUnitModel = model('OrgUnit', orgUnitSchema);
