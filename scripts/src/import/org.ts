// Import step for the organisation tree and the employee roster. Units and employees are
// upserted by code and employee number with `$set` of the same values, so running it again
// changes nothing. A roster file with any error-level problem imports nothing.
import { EmployeeModel } from '@wxlearn/server/modules/org/employee.model.js';
import { OrgUnitModel } from '@wxlearn/server/modules/org/org-unit.model.js';
import { Types, type AnyBulkWriteOperation, type Model } from 'mongoose';
import { readRoster } from './parse/roster.js';
import type { EmployeeRecord, OrgUnitRecord, ParseProblem } from './parse/types.js';

const BATCH_SIZE = 1000;
// FerretDB v1.24 on PostgreSQL stops responding when one update command modifies 60 existing
// documents. 10 worked, with both _id and unique-field filters, so updates go in bulks of 8.
// Inserts are not affected.
const UPDATE_BATCH_SIZE = 8;

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
 * Writes org units with their materialised path (`/00/03/0305/`) and the names along it. Units
 * must come parents first, as `generateOrg` returns them.
 */
export async function importOrgUnits(units: readonly OrgUnitRecord[]): Promise<UpsertCounts> {
  const byCode = new Map<string, { path: string; pathNames: string[] }>();
  const wanted: Record<string, unknown>[] = [];
  for (const unit of units) {
    const parent = unit.parentCode === null ? null : byCode.get(unit.parentCode);
    if (unit.parentCode !== null && !parent) {
      throw new OrgImportError(`unit ${unit.code} comes before its parent ${unit.parentCode}`);
    }
    const path = `${parent?.path ?? '/'}${unit.code}/`;
    const pathNames = [...(parent?.pathNames ?? []), unit.name];
    byCode.set(unit.code, { path, pathNames });
    wanted.push({
      code: unit.code,
      name: unit.name,
      parentCode: unit.parentCode,
      path,
      pathNames,
      level: unit.level,
      kind: unit.kind,
    });
  }
  return writeChanged(OrgUnitModel, 'code', wanted, ORG_UNIT_FIELDS);
}

/** Writes employees by employee number in batches, so a 600,000-row roster streams through. */
export async function importEmployees(
  employees: Iterable<EmployeeRecord> | AsyncIterable<EmployeeRecord>,
): Promise<UpsertCounts> {
  const existing = await loadExisting(EmployeeModel, 'employeeNo', EMPLOYEE_FIELDS);
  const total: UpsertCounts = { created: 0, updated: 0, unchanged: 0 };
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    const counts = await writeBatch(EmployeeModel, 'employeeNo', batch, EMPLOYEE_FIELDS, existing);
    total.created += counts.created;
    total.updated += counts.updated;
    total.unchanged += counts.unchanged;
    batch = [];
  };

  for await (const employee of employees) {
    batch.push({
      employeeNo: employee.employeeNo,
      name: employee.name,
      orgUnitCode: employee.orgUnitCode,
      post: employee.post,
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

const ORG_UNIT_FIELDS = ['name', 'parentCode', 'path', 'pathNames', 'level', 'kind'];
const EMPLOYEE_FIELDS = ['name', 'orgUnitCode', 'post'];

type Existing = Map<string, { id: Types.ObjectId; fingerprint: string }>;

function fingerprint(document: Record<string, unknown>, fields: readonly string[]): string {
  return JSON.stringify(fields.map((field) => document[field] ?? null));
}

/**
 * Reads the key and compared fields of every stored document once, so that a re-import writes
 * nothing for identical rows and updates changed rows by `_id` instead of one upsert per row.
 */
async function loadExisting<Doc>(model: Model<Doc>, key: string, fields: readonly string[]) {
  const existing: Existing = new Map();
  const projection = Object.fromEntries([key, ...fields].map((field) => [field, 1]));
  for await (const document of model.find({}, projection).lean().cursor()) {
    const record = document as unknown as Record<string, unknown> & { _id: Types.ObjectId };
    existing.set(String(record[key]), { id: record._id, fingerprint: fingerprint(record, fields) });
  }
  return existing;
}

async function writeChanged<Doc>(
  model: Model<Doc>,
  key: string,
  wanted: Record<string, unknown>[],
  fields: readonly string[],
): Promise<UpsertCounts> {
  const existing = await loadExisting(model, key, fields);
  const total: UpsertCounts = { created: 0, updated: 0, unchanged: 0 };
  for (let start = 0; start < wanted.length; start += BATCH_SIZE) {
    const counts = await writeBatch(
      model,
      key,
      wanted.slice(start, start + BATCH_SIZE),
      fields,
      existing,
    );
    total.created += counts.created;
    total.updated += counts.updated;
    total.unchanged += counts.unchanged;
  }
  return total;
}

/** Inserts new documents and updates changed ones by `_id`; identical ones are not written. */
async function writeBatch<Doc>(
  model: Model<Doc>,
  key: string,
  batch: Record<string, unknown>[],
  fields: readonly string[],
  existing: Existing,
): Promise<UpsertCounts> {
  const toInsert: Record<string, unknown>[] = [];
  const toUpdate: AnyBulkWriteOperation[] = [];
  for (const document of batch) {
    const stored = existing.get(String(document[key]));
    const print = fingerprint(document, fields);
    if (!stored) {
      toInsert.push(document);
      existing.set(String(document[key]), { id: new Types.ObjectId(), fingerprint: print });
    } else if (stored.fingerprint !== print) {
      toUpdate.push({ updateOne: { filter: { _id: stored.id }, update: { $set: document } } });
      stored.fingerprint = print;
    }
  }
  if (toInsert.length > 0) await model.insertMany(toInsert, { ordered: false, lean: true });
  for (let start = 0; start < toUpdate.length; start += UPDATE_BATCH_SIZE) {
    await model.bulkWrite(toUpdate.slice(start, start + UPDATE_BATCH_SIZE), { ordered: false });
  }
  return {
    created: toInsert.length,
    updated: toUpdate.length,
    unchanged: batch.length - toInsert.length - toUpdate.length,
  };
}
