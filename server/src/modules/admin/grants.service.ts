// Manager grants, written by the admin CLI: which roster employee manages which org unit's subtree.
import { isDuplicateKeyError } from '../../db/errors.js';
import { trusted } from '../../db/trusted.js';
import { notFound } from '../../errors.js';
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
export async function grantManager(
  employeeNo: string,
  orgUnitCode: string,
  now: Date,
): Promise<boolean> {
  const [employee, unit] = await Promise.all([
    EmployeeModel.exists({ employeeNo }),
    OrgUnitModel.exists({ code: orgUnitCode }),
  ]);
  if (!employee) throw notFound('Employee', employeeNo);
  if (!unit) throw notFound('Org unit', orgUnitCode);
  try {
    await AdminGrantModel.create({ employeeNo, orgUnitCode, role: 'manager', createdAt: now });
    return true;
  } catch (error) {
    // The unique (employeeNo, orgUnitCode) index makes a repeated or concurrent grant a no-op.
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}

/**
 * Removes an employee's manager grant on a unit. Works for units and employees that no longer
 * exist. Returns false when there was no such grant.
 */
export async function revokeManager(employeeNo: string, orgUnitCode: string): Promise<boolean> {
  const result = await AdminGrantModel.deleteOne({ employeeNo, orgUnitCode, role: 'manager' });
  return result.deletedCount > 0;
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
