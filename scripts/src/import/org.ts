// Import step for the organisation tree and the employee roster. Units and employees are
// upserted by code and employee number with `$set` of the same values, so running it again
// changes nothing. A roster file with any error-level problem imports nothing.
import { EmployeeModel } from '@wxlearn/server/modules/org/employee.model.js';
import { OrgUnitModel } from '@wxlearn/server/modules/org/org-unit.model.js';
import type { AnyBulkWriteOperation, Model } from 'mongoose';
import { readRoster } from './parse/roster.js';
import type { EmployeeRecord, OrgUnitRecord, ParseProblem } from './parse/types.js';

const BATCH_SIZE = 1000;

export interface UpsertCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface RosterImportReport extends UpsertCounts {
  file: string;
  problems: ParseProblem[];
  imported: boolean;
}

/** Thrown when the units are not ordered parents first or a parent code is unknown. */
export class OrgImportError extends Error {}

/**
 * Upserts org units with their materialised path (`/00/03/0305/`) and the names along it. Units
 * must come parents first, as `generateOrg` returns them.
 */
export async function importOrgUnits(units: readonly OrgUnitRecord[]): Promise<UpsertCounts> {
  const byCode = new Map<string, { path: string; pathNames: string[] }>();
  const operations: AnyBulkWriteOperation[] = [];
  for (const unit of units) {
    const parent = unit.parentCode === null ? null : byCode.get(unit.parentCode);
    if (unit.parentCode !== null && !parent) {
      throw new OrgImportError(`unit ${unit.code} comes before its parent ${unit.parentCode}`);
    }
    const path = `${parent?.path ?? '/'}${unit.code}/`;
    const pathNames = [...(parent?.pathNames ?? []), unit.name];
    byCode.set(unit.code, { path, pathNames });
    operations.push({
      updateOne: {
        filter: { code: unit.code },
        update: {
          $set: {
            name: unit.name,
            parentCode: unit.parentCode,
            path,
            pathNames,
            level: unit.level,
            kind: unit.kind,
          },
        },
        upsert: true,
      },
    });
  }
  return bulkUpsert(OrgUnitModel, operations);
}

/** Upserts employees by employee number in batches, so 600,000 rows never sit in memory at once. */
export async function importEmployees(
  employees: Iterable<EmployeeRecord> | AsyncIterable<EmployeeRecord>,
): Promise<UpsertCounts> {
  const total: UpsertCounts = { created: 0, updated: 0, unchanged: 0 };
  let batch: AnyBulkWriteOperation[] = [];
  const flush = async () => {
    const counts = await bulkUpsert(EmployeeModel, batch);
    total.created += counts.created;
    total.updated += counts.updated;
    total.unchanged += counts.unchanged;
    batch = [];
  };

  for await (const employee of employees) {
    batch.push({
      updateOne: {
        filter: { employeeNo: employee.employeeNo },
        update: {
          $set: { name: employee.name, orgUnitCode: employee.orgUnitCode, post: employee.post },
        },
        upsert: true,
      },
    });
    if (batch.length >= BATCH_SIZE) await flush();
  }
  if (batch.length > 0) await flush();
  return total;
}

/**
 * Imports a customer's roster file (CSV or xlsx). Rows must name units that exist; if any row has
 * an error, nothing is written and the report lists every problem with its line.
 */
export async function importRosterFile(file: string): Promise<RosterImportReport> {
  const orgUnitCodes = new Set<string>(await OrgUnitModel.distinct('code'));
  const parsed = await readRoster(file, { orgUnitCodes });
  const errors = parsed.problems.filter((problem) => problem.severity !== 'warning');
  if (errors.length > 0) {
    return {
      file,
      problems: parsed.problems,
      imported: false,
      created: 0,
      updated: 0,
      unchanged: 0,
    };
  }
  const counts = await importEmployees(parsed.records);
  return { file, problems: parsed.problems, imported: true, ...counts };
}

async function bulkUpsert<Doc>(
  model: Model<Doc>,
  operations: AnyBulkWriteOperation[],
): Promise<UpsertCounts> {
  if (operations.length === 0) return { created: 0, updated: 0, unchanged: 0 };
  const result = await model.bulkWrite(operations, { ordered: false });
  const created = result.upsertedCount;
  const updated = result.modifiedCount;
  return { created, updated, unchanged: operations.length - created - updated };
}
