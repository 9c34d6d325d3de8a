import { Schema, model, type InferSchemaType } from 'mongoose';

export const ADMIN_ROLES = ['manager', 'operator'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/**
 * A grant of an admin role over an org unit to a roster employee. A manager grant lets the learner
 * bound to `employeeNo` manage the unit and every unit below it. An operator grant, on a top-level
 * unit only, lets them manage the academy-wide FAQ knowledge base and answer handed-over chat
 * questions. Grants are written by the admin CLI, never through the HTTP API.
 */
const adminGrantSchema = new Schema(
  {
    employeeNo: { type: String, required: true },
    orgUnitCode: { type: String, required: true },
    role: { type: String, enum: ADMIN_ROLES, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'adminGrants' },
);

// One grant per employee, unit and role, so granting again is a duplicate-key no-op. Its
// employeeNo prefix also serves the per-request scope lookup.
// NOTE: databases created before the operator role keep the older unique (employeeNo,
// orgUnitCode) index, which ensureIndexes does not drop: drop it by hand there, or an employee
// cannot be both manager and operator of one unit.
adminGrantSchema.index({ employeeNo: 1, orgUnitCode: 1, role: 1 }, { unique: true });

export type AdminGrant = InferSchemaType<typeof adminGrantSchema>;
export const AdminGrantModel = model('AdminGrant', adminGrantSchema);
