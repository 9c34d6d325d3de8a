// The manager's export of official hours: for a unit's subtree and a calendar year, one summary
// row per roster employee and one row per hour record, as an xlsx file.
import type { Types } from 'mongoose';
import { trusted } from '../../db/trusted.js';
import { CourseModel } from '../catalog/course.model.js';
import { shanghaiDate } from '../hours/calendar.js';
import { HourRequirementModel } from '../hours/hour-requirement.model.js';
import { LegacyRecordModel } from '../hours/legacy-record.model.js';
import {
  checkReportYear,
  PLATFORM_SOURCE,
  REMOVED_COURSE_TITLE,
  roundHours,
} from '../hours/my-hours.service.js';
import { requirementOnPath } from '../hours/requirements.js';
import { BindingModel } from '../learners/binding.model.js';
import { CourseCompletionModel } from '../learning/course-completion.model.js';
import { LessonProgressModel } from '../learning/lesson-progress.model.js';
import { EmployeeModel } from '../org/employee.model.js';
import { OrgUnitModel } from '../org/org-unit.model.js';
import { HoursWorkbook, type RecordRow, type SummaryRow } from './hours-export.workbook.js';
import { unitInScope, type ManagerScope } from './manager-scope.js';
import { comparePaths, escapeRegExp, pathCodes } from './org-paths.js';

/**
 * Employees whose records are read together: one query per collection and chunk (bindings, course
 * completions, lesson progress, legacy records, and the courses not seen before).
 *
 * For a province of 10,000 employees that is 5 chunks and up to 25 queries. On MongoDB each is
 * an index lookup of the chunk's keys. FerretDB v1 pushes equality filters down to PostgreSQL but
 * evaluates `$in` itself (see "Query pushdown" in FerretDB's documentation). So locally each of
 * these queries reads its whole collection, or all rows of the year when it also filters on
 * `year`, and the export's time grows with chunks times collection size. Per-employee equality
 * queries would use the indexes instead, but make 40,000 round trips.
 */
export const EXPORT_CHUNK_SIZE = 2_000;

const MS_PER_HOUR = 3_600_000;
const UNIT_PATH_SEPARATOR = ' / ';

export interface HoursExportFile {
  /** Chinese file name, such as `学时记录-广州市分公司-2025.xlsx`. */
  fileName: string;
  /** ASCII file name for clients that cannot decode the Chinese one. */
  fallbackFileName: string;
  content: Buffer;
  employees: number;
  records: number;
}

interface ExportUnit {
  code: string;
  name: string;
  path: string;
  pathNames: string[];
}

interface ExportEmployee {
  employeeNo: string;
  name: string;
  orgUnitCode: string;
}

/** An employee's official hours and learning time of the year, before rounding. */
interface EmployeeYear {
  platformHours: number;
  legacyHours: number;
  learningMs: number;
  records: { courseTitle: string; hours: number; completedOn: string; source: string }[];
}

/**
 * Builds the hours export of a unit's subtree for a calendar year. Throws 400 for a year outside
 * 2000 to the current year, 404 for an unknown unit and 403 for a unit outside the manager's
 * scope. Employees never bound to a learner appear with no platform hours.
 *
 * NOTE: platform hours and learning time come from the derived lesson-progress and completion
 * records. Sessions whose end call never arrived are settled into them by the `learning-settle`
 * job every 10 minutes, so the export can miss the last minutes of such sessions.
 */
export async function buildHoursExport(
  scope: ManagerScope,
  orgUnitCode: string,
  year: number,
  now: Date,
  chunkSize = EXPORT_CHUNK_SIZE,
): Promise<HoursExportFile> {
  checkReportYear(year, now);
  const root = await unitInScope(scope, orgUnitCode);

  // An anchored prefix match on the materialised path selects the subtree.
  const units = await OrgUnitModel.find(
    { path: new RegExp(`^${escapeRegExp(root.path)}`) },
    { _id: 0, code: 1, name: 1, path: 1, pathNames: 1 },
  ).lean<ExportUnit[]>();
  const unitsByCode = new Map(units.map((unit) => [unit.code, unit]));
  const requiredByUnit = await requiredHoursByUnit(units, year);
  const employees = await EmployeeModel.find(
    { orgUnitCode: trusted({ $in: [...unitsByCode.keys()] }) },
    { _id: 0, employeeNo: 1, name: 1, orgUnitCode: 1 },
  ).lean<ExportEmployee[]>();
  // Employees by unit, parents before children, then by employee number.
  employees.sort((a, b) => {
    const byUnit = comparePaths(
      unitsByCode.get(a.orgUnitCode)!.path,
      unitsByCode.get(b.orgUnitCode)!.path,
    );
    if (byUnit !== 0) return byUnit;
    if (a.employeeNo === b.employeeNo) return 0;
    return a.employeeNo < b.employeeNo ? -1 : 1;
  });

  const workbook = new HoursWorkbook();
  const courseTitles = new Map<string, string>();
  let recordCount = 0;
  for (let start = 0; start < employees.length; start += chunkSize) {
    const chunk = employees.slice(start, start + chunkSize);
    const years = await readEmployeeYears(
      chunk.map((employee) => employee.employeeNo),
      year,
      courseTitles,
    );
    const summaryRows: SummaryRow[] = [];
    const recordRows: RecordRow[] = [];
    for (const employee of chunk) {
      const unitPath = unitsByCode.get(employee.orgUnitCode)!.pathNames.join(UNIT_PATH_SEPARATOR);
      const employeeYear = years.get(employee.employeeNo)!;
      const requiredHours = requiredByUnit.get(employee.orgUnitCode) ?? null;
      summaryRows.push(summarize(employee, unitPath, requiredHours, employeeYear));
      for (const record of employeeYear.records) {
        recordRows.push({
          employeeNo: employee.employeeNo,
          name: employee.name,
          unitPath,
          ...record,
        });
      }
    }
    workbook.addSummaryRows(summaryRows);
    workbook.addRecordRows(recordRows);
    recordCount += recordRows.length;
  }

  return {
    fileName: `学时记录-${root.name}-${year}.xlsx`,
    fallbackFileName: `hours-${root.code.replace(/[^A-Za-z0-9_-]/g, '_')}-${year}.xlsx`,
    content: await workbook.finish(),
    employees: employees.length,
    records: recordCount,
  };
}

/** Resolves the requirement in force for every unit from one read of the year's requirements. */
async function requiredHoursByUnit(
  units: readonly ExportUnit[],
  year: number,
): Promise<Map<string, number | null>> {
  const requirements = await HourRequirementModel.find(
    { year },
    { orgUnitCode: 1, requiredHours: 1 },
  ).lean();
  const hoursByCode = new Map(requirements.map((row) => [row.orgUnitCode, row.requiredHours]));
  return new Map(
    units.map((unit) => [
      unit.code,
      requirementOnPath(pathCodes(unit.path), hoursByCode)?.requiredHours ?? null,
    ]),
  );
}

function summarize(
  employee: ExportEmployee,
  unitPath: string,
  requiredHours: number | null,
  employeeYear: EmployeeYear,
): SummaryRow {
  const earnedHours = roundHours(employeeYear.platformHours + employeeYear.legacyHours);
  return {
    employeeNo: employee.employeeNo,
    name: employee.name,
    unitPath,
    requiredHours,
    earnedHours,
    platformHours: roundHours(employeeYear.platformHours),
    legacyHours: roundHours(employeeYear.legacyHours),
    missingHours:
      requiredHours === null ? null : roundHours(Math.max(0, requiredHours - earnedHours)),
    learningHours: roundHours(employeeYear.learningMs / MS_PER_HOUR),
    met: requiredHours === null ? null : earnedHours >= requiredHours,
  };
}

/**
 * Reads the year of a chunk of employees with one query per collection. `courseTitles` caches
 * course titles across chunks and is filled with the courses this chunk needs.
 */
async function readEmployeeYears(
  employeeNos: string[],
  year: number,
  courseTitles: Map<string, string>,
): Promise<Map<string, EmployeeYear>> {
  const years = new Map<string, EmployeeYear>(
    employeeNos.map((employeeNo) => [
      employeeNo,
      { platformHours: 0, legacyHours: 0, learningMs: 0, records: [] },
    ]),
  );
  const bindings = await BindingModel.find(
    { employeeNo: trusted({ $in: employeeNos }) },
    { learnerId: 1, employeeNo: 1 },
  ).lean();
  const learnerIds: Types.ObjectId[] = bindings.map((binding) => binding.learnerId);
  const yearOfLearner = new Map(
    bindings.map((binding) => [binding.learnerId.toHexString(), years.get(binding.employeeNo)!]),
  );

  const [completions, progress, legacy] = await Promise.all([
    learnerIds.length === 0
      ? []
      : CourseCompletionModel.find(
          { learnerId: trusted({ $in: learnerIds }), year },
          { learnerId: 1, courseId: 1, completedAt: 1, creditHours: 1 },
        ).lean(),
    learnerIds.length === 0
      ? []
      : LessonProgressModel.find(
          { learnerId: trusted({ $in: learnerIds }), 'creditedByYear.year': year },
          { learnerId: 1, creditedByYear: 1 },
        ).lean(),
    LegacyRecordModel.find(
      { employeeNo: trusted({ $in: employeeNos }), year },
      { employeeNo: 1, courseTitle: 1, hours: 1, completedOn: 1, sourceSystem: 1 },
    ).lean(),
  ]);
  await loadCourseTitles(
    completions.map((completion) => completion.courseId),
    courseTitles,
  );

  for (const completion of completions) {
    const employeeYear = yearOfLearner.get(completion.learnerId.toHexString())!;
    employeeYear.platformHours += completion.creditHours;
    employeeYear.records.push({
      courseTitle: courseTitles.get(completion.courseId.toHexString())!,
      hours: completion.creditHours,
      completedOn: shanghaiDate(completion.completedAt.getTime()),
      source: PLATFORM_SOURCE,
    });
  }
  for (const lesson of progress) {
    const credited = lesson.creditedByYear.find((entry) => entry.year === year)?.creditedMs ?? 0;
    yearOfLearner.get(lesson.learnerId.toHexString())!.learningMs += credited;
  }
  for (const record of legacy) {
    const employeeYear = years.get(record.employeeNo)!;
    employeeYear.legacyHours += record.hours;
    employeeYear.records.push({
      courseTitle: record.courseTitle,
      hours: record.hours,
      completedOn: record.completedOn,
      source: record.sourceSystem,
    });
  }
  for (const employeeYear of years.values()) {
    employeeYear.records.sort(
      (a, b) =>
        a.completedOn.localeCompare(b.completedOn) ||
        a.courseTitle.localeCompare(b.courseTitle, 'zh'),
    );
  }
  return years;
}

/**
 * Adds the titles of the courses not yet in `courseTitles`, keyed by hex id. A course no longer in
 * the catalog gets `REMOVED_COURSE_TITLE`, so it is not looked up again.
 */
async function loadCourseTitles(
  courseIds: readonly Types.ObjectId[],
  courseTitles: Map<string, string>,
): Promise<void> {
  const missing = [...new Set(courseIds.map((id) => id.toHexString()))].filter(
    (id) => !courseTitles.has(id),
  );
  if (missing.length === 0) return;
  const courses = await CourseModel.find({ _id: trusted({ $in: missing }) }, { title: 1 }).lean();
  for (const id of missing) courseTitles.set(id, REMOVED_COURSE_TITLE);
  for (const course of courses) courseTitles.set(course._id.toHexString(), course.title);
}
