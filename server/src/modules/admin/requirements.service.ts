// Hour requirements as managers see and change them: only on units of their own subtrees. The
// inheritance rule itself lives in the hours module.
import { trusted } from '../../db/trusted.js';
import { notFound } from '../../errors.js';
import { HourRequirementModel } from '../hours/hour-requirement.model.js';
import { removeRequirement, requirementOnPath, setRequirement } from '../hours/requirements.js';
import { roundHours } from '../hours/my-hours.service.js';
import { OrgUnitModel } from '../org/org-unit.model.js';
import { unitInScope, type ManagedUnit, type ManagerScope } from './manager-scope.js';
import { comparePaths, isWithin, pathCodes } from './org-paths.js';

export interface RequirementItem {
  orgUnitCode: string;
  orgUnitName: string;
  year: number;
  requiredHours: number;
  /** The ancestor that sets the requirement, for an item inherited at a scope root; else null. */
  inheritedFrom: { orgUnitCode: string; orgUnitName: string } | null;
}

/**
 * Lists the requirements of a year set on units of the manager's subtrees, or of one unit's
 * subtree when `orgUnitCode` is given. Each subtree root that sets none itself is preceded by the
 * requirement it inherits from above, if any. Throws 404 or 403 for an unknown or foreign unit.
 */
export async function listScopeRequirements(
  scope: ManagerScope,
  year: number,
  orgUnitCode?: string,
): Promise<RequirementItem[]> {
  const roots = orgUnitCode === undefined ? scope.units : [await unitInScope(scope, orgUnitCode)];

  // Requirements are set on few units, so all of the year are read and matched to the subtrees
  // here.
  const requirements = await HourRequirementModel.find(
    { year },
    { orgUnitCode: 1, requiredHours: 1 },
  ).lean();
  const hoursByCode = new Map(requirements.map((row) => [row.orgUnitCode, row.requiredHours]));
  const units =
    requirements.length === 0
      ? []
      : await OrgUnitModel.find(
          { code: trusted({ $in: [...hoursByCode.keys()] }) },
          { code: 1, name: 1, path: 1 },
        ).lean();
  units.sort((a, b) => comparePaths(a.path, b.path));
  const unitNames = new Map(units.map((unit) => [unit.code, unit.name]));

  const items: RequirementItem[] = [];
  for (const root of roots) {
    const inherited = inheritedRequirement(root, year, hoursByCode, unitNames);
    if (inherited) items.push(inherited);
    for (const unit of units) {
      if (!isWithin(unit.path, root.path)) continue;
      items.push({
        orgUnitCode: unit.code,
        orgUnitName: unit.name,
        year,
        requiredHours: hoursByCode.get(unit.code) as number,
        inheritedFrom: null,
      });
    }
  }
  return items;
}

/**
 * Returns the requirement a root inherits from an ancestor, or null when it sets its own or none
 * applies.
 */
function inheritedRequirement(
  root: ManagedUnit,
  year: number,
  hoursByCode: ReadonlyMap<string, number>,
  unitNames: ReadonlyMap<string, string>,
): RequirementItem | null {
  if (hoursByCode.has(root.code)) return null;
  const inForce = requirementOnPath(pathCodes(root.path), hoursByCode);
  if (!inForce) return null;
  const from = inForce.setOnOrgUnitCode;
  return {
    orgUnitCode: root.code,
    orgUnitName: root.name,
    year,
    requiredHours: inForce.requiredHours,
    inheritedFrom: { orgUnitCode: from, orgUnitName: unitNames.get(from) ?? from },
  };
}

/**
 * Sets a unit's own requirement for a year, overriding the one it inherits. Throws 404 or 403 for
 * an unknown or foreign unit, and 400 for hours outside 0–1000 or with more than one decimal.
 */
export async function setScopeRequirement(
  scope: ManagerScope,
  orgUnitCode: string,
  year: number,
  requiredHours: number,
): Promise<RequirementItem> {
  const unit = await unitInScope(scope, orgUnitCode);
  await setRequirement({ orgUnitCode, year, requiredHours });
  return {
    orgUnitCode,
    orgUnitName: unit.name,
    year,
    requiredHours: roundHours(requiredHours),
    inheritedFrom: null,
  };
}

/**
 * Removes a unit's own requirement for a year, so that it inherits again. Throws 404 for an
 * unknown unit or when the unit sets no requirement for the year, and 403 for a foreign unit.
 */
export async function removeScopeRequirement(
  scope: ManagerScope,
  orgUnitCode: string,
  year: number,
): Promise<void> {
  await unitInScope(scope, orgUnitCode);
  if (!(await removeRequirement(orgUnitCode, year))) {
    throw notFound('Hour requirement', `${orgUnitCode}/${year}`);
  }
}
