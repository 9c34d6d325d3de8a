// Yearly hour requirements per org unit, inherited down the org tree.
import { isDuplicateKeyError } from '../../db/errors.js';
import { trusted } from '../../db/trusted.js';
import { notFound, validationFailed } from '../../errors.js';
import { OrgUnitModel } from '../org/org-unit.model.js';
import { HourRequirementModel } from './hour-requirement.model.js';

export const MIN_REQUIREMENT_YEAR = 2000;
export const MAX_REQUIREMENT_YEAR = 2100;
export const MAX_REQUIRED_HOURS = 1000;

export interface RequirementInput {
  orgUnitCode: string;
  year: number;
  requiredHours: number;
}

/** The requirement in force for a unit and the unit whose setting it is. */
export interface EffectiveRequirement {
  requiredHours: number;
  /** The unit itself or the nearest ancestor that sets a requirement for the year. */
  setOnOrgUnitCode: string;
}

function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < MIN_REQUIREMENT_YEAR || year > MAX_REQUIREMENT_YEAR) {
    throw validationFailed(
      `year must be an integer from ${MIN_REQUIREMENT_YEAR} to ${MAX_REQUIREMENT_YEAR}, got ${year}`,
    );
  }
}

function checkRequiredHours(hours: number): void {
  if (!Number.isFinite(hours) || hours < 0 || hours > MAX_REQUIRED_HOURS) {
    throw validationFailed(
      `requiredHours must be a number from 0 to ${MAX_REQUIRED_HOURS}, got ${hours}`,
    );
  }
  // Hours are kept with one decimal, as learners see them.
  if (Math.abs(Math.round(hours * 10) - hours * 10) > 1e-9) {
    throw validationFailed(`requiredHours must have at most one decimal, got ${hours}`);
  }
}

/** Returns the unit codes on the path from the head office down to the unit (`/00/03/0305/`). */
async function pathCodesOf(orgUnitCode: string): Promise<string[]> {
  const unit = await OrgUnitModel.findOne({ code: orgUnitCode }, { path: 1 }).lean();
  if (!unit) throw notFound('Org unit', orgUnitCode);
  return unit.path.split('/').filter((code) => code !== '');
}

/**
 * Sets the requirement of a unit for a year, replacing the one it had. Rejects a year outside
 * 2000–2100, hours outside 0–1000 or with more than one decimal, and an unknown unit.
 */
export async function setRequirement(input: RequirementInput): Promise<void> {
  checkYear(input.year);
  checkRequiredHours(input.requiredHours);
  await pathCodesOf(input.orgUnitCode);
  const filter = { orgUnitCode: input.orgUnitCode, year: input.year };
  const update = { $set: { requiredHours: Math.round(input.requiredHours * 10) / 10 } };
  try {
    await HourRequirementModel.updateOne(filter, update, { upsert: true });
  } catch (error) {
    // Two first settings of the same unit and year race: the loser updates the winner's row.
    if (!isDuplicateKeyError(error)) throw error;
    await HourRequirementModel.updateOne(filter, update);
  }
}

/** Removes a unit's own requirement for a year, so that its parent's applies again. */
export async function removeRequirement(orgUnitCode: string, year: number): Promise<boolean> {
  checkYear(year);
  const result = await HourRequirementModel.deleteOne({ orgUnitCode, year });
  return result.deletedCount > 0;
}

/**
 * Finds the requirement in force for a unit: its own for the year, else its parent's, and so on
 * up to the head office. Returns null when no unit on the path sets one.
 */
export async function effectiveRequirement(
  orgUnitCode: string,
  year: number,
): Promise<EffectiveRequirement | null> {
  checkYear(year);
  const codes = await pathCodesOf(orgUnitCode);
  const requirements = await HourRequirementModel.find(
    { orgUnitCode: trusted({ $in: codes }), year },
    { orgUnitCode: 1, requiredHours: 1 },
  ).lean();
  const byCode = new Map(requirements.map((row) => [row.orgUnitCode, row.requiredHours]));
  return requirementOnPath(codes, byCode);
}

/**
 * Picks the requirement in force at the end of a path of unit codes (head office first): the one
 * set on the deepest unit that has one. `hoursByCode` maps unit codes to their own requirement of
 * one year. Returns null when no unit on the path has one.
 */
export function requirementOnPath(
  pathCodes: readonly string[],
  hoursByCode: ReadonlyMap<string, number>,
): EffectiveRequirement | null {
  for (let depth = pathCodes.length - 1; depth >= 0; depth--) {
    const code = pathCodes[depth] as string;
    const hours = hoursByCode.get(code);
    if (hours !== undefined) return { requiredHours: hours, setOnOrgUnitCode: code };
  }
  return null;
}

/** Returns the hours a unit's employees must complete in the year, or null when none is set. */
export async function requiredHoursFor(orgUnitCode: string, year: number): Promise<number | null> {
  return (await effectiveRequirement(orgUnitCode, year))?.requiredHours ?? null;
}
