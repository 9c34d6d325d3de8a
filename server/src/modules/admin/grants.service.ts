// Admin grants, written by the admin CLI: which roster employee manages which org unit's subtree,
// and who operates the academy's FAQ and handoff queue.
import type { Types } from 'mongoose';
import { isDuplicateKeyError } from '../../db/errors.js';
import { trusted } from '../../db/trusted.js';
import { notFound, validationFailed } from '../../errors.js';
import { BindingModel } from '../learners/binding.model.js';
import { EmployeeModel } from '../org/employee.model.js';
import { OrgUnitModel } from '../org/org-unit.model.js';
import { AdminGrantModel, type AdminRole } from './admin-grant.model.js';

export interface GrantListing {
  employeeNo: string;
  /** Null when the employee is no longer on the roster. */
  employeeName: string | null;
  orgUnitCode: string;
  /** Null when the unit no longer exists. */
  orgUnitName: string | null;
  role: AdminRole;
  createdAt: Date;
}

/**
 * Grants an employee the manager role over a unit and its subtree. Throws 404 when the employee is
 * not on the roster or the unit does not exist. Returns false when the grant already existed, in
 * which case nothing changes.
 */
export function grantManager(employeeNo: string, orgUnitCode: string, now: Date): Promise<boolean> {
  return grantRole(employeeNo, orgUnitCode, 'manager', now);
}

/**
 * Grants an employee a role on a unit. An operator grant must name a top-level unit (the head
 * office), because the FAQ and the handoff queue it manages belong to the whole academy: another
 * unit gives 400. Throws 404 for an employee not on the roster or a missing unit. Returns false
 * when the grant already existed, in which case nothing changes.
 */
export async function grantRole(
  employeeNo: string,
  orgUnitCode: string,
  role: AdminRole,
  now: Date,
): Promise<boolean> {
  const [employee, unit] = await Promise.all([
    EmployeeModel.exists({ employeeNo }),
    OrgUnitModel.findOne({ code: orgUnitCode }, { parentCode: 1 }).lean(),
  ]);
  if (!employee) throw notFound('Employee', employeeNo);
  if (!unit) throw notFound('Org unit', orgUnitCode);
  if (role === 'operator' && unit.parentCode !== null) {
    throw validationFailed(
      `Operator grants must be on a top-level unit, and ${orgUnitCode} has a parent unit: ` +
        'grant the head office instead',
    );
  }
  try {
    await AdminGrantModel.create({ employeeNo, orgUnitCode, role, createdAt: now });
    return true;
  } catch (error) {
    // The unique (employeeNo, orgUnitCode, role) index makes a repeated or concurrent grant a no-op.
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}

/**
 * Removes an employee's manager grant on a unit. Works for units and employees that no longer
 * exist. Returns false when there was no such grant.
 */
export function revokeManager(employeeNo: string, orgUnitCode: string): Promise<boolean> {
  return revokeRole(employeeNo, orgUnitCode, 'manager');
}

/** Removes an employee's grant of a role on a unit. Returns false when there was none. */
export async function revokeRole(
  employeeNo: string,
  orgUnitCode: string,
  role: AdminRole,
): Promise<boolean> {
  const result = await AdminGrantModel.deleteOne({ employeeNo, orgUnitCode, role });
  return result.deletedCount > 0;
}

/**
 * Returns the employee number of the learner's operator grant, or null when the learner is
 * unbound or has no operator grant on an existing unit. Read on every request, so a revoked
 * grant or binding applies at once.
 */
export async function resolveOperator(learnerId: Types.ObjectId): Promise<string | null> {
  const binding = await BindingModel.findOne({ learnerId }, { employeeNo: 1 }).lean();
  if (!binding) return null;
  const grants = await AdminGrantModel.find(
    { employeeNo: binding.employeeNo, role: 'operator' },
    { orgUnitCode: 1 },
  ).lean();
  if (grants.length === 0) return null;
  const units = await OrgUnitModel.countDocuments({
    code: trusted({ $in: grants.map((grant) => grant.orgUnitCode) }),
  });
  return units > 0 ? binding.employeeNo : null;
}

/** Lists grants, of one employee or of everyone, ordered by employee number and unit code. */
export async function listGrants(employeeNo?: string): Promise<GrantListing[]> {
  const grants = await AdminGrantModel.find(employeeNo === undefined ? {} : { employeeNo })
    .sort({ employeeNo: 1, orgUnitCode: 1 })
    .lean();
  if (grants.length === 0) return [];
  const [employees, units] = await Promise.all([
    EmployeeModel.find(
      { employeeNo: trusted({ $in: [...new Set(grants.map((grant) => grant.employeeNo))] }) },
      { employeeNo: 1, name: 1 },
    ).lean(),
    OrgUnitModel.find(
      { code: trusted({ $in: [...new Set(grants.map((grant) => grant.orgUnitCode))] }) },
      { code: 1, name: 1 },
    ).lean(),
  ]);
  const employeeNames = new Map(employees.map((employee) => [employee.employeeNo, employee.name]));
  const unitNames = new Map(units.map((unit) => [unit.code, unit.name]));
  return grants.map((grant) => ({
    employeeNo: grant.employeeNo,
    employeeName: employeeNames.get(grant.employeeNo) ?? null,
    orgUnitCode: grant.orgUnitCode,
    orgUnitName: unitNames.get(grant.orgUnitCode) ?? null,
    role: grant.role as AdminRole,
    createdAt: grant.createdAt,
  }));
}
