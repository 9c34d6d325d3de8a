// The org units a manager may read and change: the subtrees of the units they hold a manager grant
// on. Resolved from the database on every request, so a revoked grant or binding applies at once.
import type { Types } from 'mongoose';
import { trusted } from '../../db/trusted.js';
import { forbidden, notFound } from '../../errors.js';
import { BindingModel } from '../learners/binding.model.js';
import { OrgUnitModel } from '../org/org-unit.model.js';
import { AdminGrantModel } from './admin-grant.model.js';
import { comparePaths, isWithin } from './org-paths.js';

export interface ManagedUnit {
  code: string;
  name: string;
  /** Materialised path, such as `/00/03/0305/`. */
  path: string;
  /** Unit names from the head office down to this unit. */
  pathNames: string[];
}

export interface ManagerScope {
  /** The roster employee whose grants these are. */
  employeeNo: string;
  /** Roots of the managed subtrees, none inside another, in path order. */
  units: ManagedUnit[];
}

const UNIT_FIELDS = { _id: 0, code: 1, name: 1, path: 1, pathNames: 1 } as const;

/**
 * Returns the units the learner manages through the manager grants of the employee they are bound
 * to, or null when they are unbound or hold no grant on an existing unit.
 */
export async function resolveManagerScope(learnerId: Types.ObjectId): Promise<ManagerScope | null> {
  const binding = await BindingModel.findOne({ learnerId }, { employeeNo: 1 }).lean();
  if (!binding) return null;
  const grants = await AdminGrantModel.find(
    { employeeNo: binding.employeeNo, role: 'manager' },
    { orgUnitCode: 1 },
  ).lean();
  if (grants.length === 0) return null;

  const units = await OrgUnitModel.find(
    { code: trusted({ $in: grants.map((grant) => grant.orgUnitCode) }) },
    UNIT_FIELDS,
  ).lean<ManagedUnit[]>();
  // A grant on a unit inside another granted subtree adds nothing, so only the outermost count.
  const roots = units.filter(
    (unit) => !units.some((other) => other !== unit && isWithin(unit.path, other.path)),
  );
  if (roots.length === 0) return null;
  roots.sort((a, b) => comparePaths(a.path, b.path));
  return { employeeNo: binding.employeeNo, units: roots };
}

/** True when the unit at `path` lies in one of the manager's subtrees. */
export function isInScope(scope: ManagerScope, path: string): boolean {
  return scope.units.some((root) => isWithin(path, root.path));
}

/**
 * Loads a unit named in a manager's request. Throws 404 when it does not exist and 403 when it
 * lies outside the manager's subtrees.
 */
export async function unitInScope(scope: ManagerScope, orgUnitCode: string): Promise<ManagedUnit> {
  const unit = await OrgUnitModel.findOne({ code: orgUnitCode }, UNIT_FIELDS).lean<ManagedUnit>();
  if (!unit) throw notFound('Org unit', orgUnitCode);
  if (!isInScope(scope, unit.path)) {
    throw forbidden(`Org unit ${orgUnitCode} is outside the org units this account manages`);
  }
  return unit;
}
