// A learner's hours for a calendar year: official hours from completed courses and legacy records,
// the requirement of their org unit, and raw learning time, each from its own records.
import type { Types } from 'mongoose';
import { trusted } from '../../db/trusted.js';
import { validationFailed } from '../../errors.js';
import { CourseModel } from '../catalog/course.model.js';
import { BindingModel } from '../learners/binding.model.js';
import { DEFAULT_CREDIT_RULES, type CreditRules } from '../learning/credit-rules.js';
import { CourseCompletionModel } from '../learning/course-completion.model.js';
import { LessonProgressModel } from '../learning/lesson-progress.model.js';
import { settleRecentSessions } from '../learning/learning.service.js';
import { EmployeeModel } from '../org/employee.model.js';
import { shanghaiDate, shanghaiYear } from './calendar.js';
import { LegacyRecordModel } from './legacy-record.model.js';
import { MIN_REQUIREMENT_YEAR, requiredHoursFor } from './requirements.js';

/** Source shown for records of courses completed on this platform. */
export const PLATFORM_SOURCE = '平台学习';

/** Title shown for a course that no longer exists in the catalog. */
export const REMOVED_COURSE_TITLE = '（已下架课程）';

export interface CourseHours {
  courseId: string;
  title: string;
  learningMs: number;
  complete: boolean;
  completedAt: Date | null;
  creditHours: number | null;
  earnedHours: number;
}

export interface HourRecord {
  kind: 'course' | 'legacy';
  title: string;
  hours: number;
  completedOn: string;
  source: string;
  courseId: string | null;
}

export interface MyHours {
  year: number;
  bound: boolean;
  earnedHours: number;
  requiredHours: number | null;
  missingHours: number | null;
  learningMs: number;
  courses: CourseHours[];
  records: HourRecord[];
}

/** Rounds a sum of one-decimal hours back to one decimal. */
export const roundHours = (hours: number): number => Math.round(hours * 10) / 10;

/** Checks a year asked for: from 2000 up to the current year in Asia/Shanghai. */
export function checkReportYear(year: number, now: Date): void {
  const current = shanghaiYear(now.getTime());
  if (!Number.isInteger(year) || year < MIN_REQUIREMENT_YEAR || year > current) {
    throw validationFailed(
      `year must be an integer from ${MIN_REQUIREMENT_YEAR} to ${current}, got ${year}`,
    );
  }
}

/**
 * Returns the learner's hours for a year. Sessions that can still earn credit are settled first,
 * so time of a session whose end call never arrived is counted.
 */
export async function myHours(
  learnerId: Types.ObjectId,
  year: number | undefined,
  now: Date,
  rules: CreditRules = DEFAULT_CREDIT_RULES,
): Promise<MyHours> {
  const reportYear = year ?? shanghaiYear(now.getTime());
  checkReportYear(reportYear, now);
  await settleRecentSessions(learnerId, now, rules);

  const [progress, completions, binding] = await Promise.all([
    LessonProgressModel.find({ learnerId }).lean(),
    CourseCompletionModel.find({ learnerId }).lean(),
    BindingModel.findOne({ learnerId }).lean(),
  ]);

  const learningByCourse = new Map<string, number>();
  for (const item of progress) {
    const ms = item.creditedByYear.find((entry) => entry.year === reportYear)?.creditedMs ?? 0;
    const key = item.courseId.toHexString();
    learningByCourse.set(key, (learningByCourse.get(key) ?? 0) + ms);
  }
  const completionOf = new Map(completions.map((item) => [item.courseId.toHexString(), item]));
  const courseIds = new Set<string>();
  for (const [key, ms] of learningByCourse) if (ms > 0) courseIds.add(key);
  for (const item of completions)
    if (item.year === reportYear) courseIds.add(item.courseId.toHexString());

  const courses = await CourseModel.find(
    { _id: trusted({ $in: [...courseIds] }) },
    { title: 1, creditHours: 1 },
  ).lean();
  const titleOf = new Map(courses.map((course) => [course._id.toHexString(), course]));

  const courseRows: CourseHours[] = [...courseIds].map((key) => {
    const completion = completionOf.get(key);
    const course = titleOf.get(key);
    const completedInYear = completion?.year === reportYear;
    return {
      courseId: key,
      title: course?.title ?? REMOVED_COURSE_TITLE,
      learningMs: learningByCourse.get(key) ?? 0,
      complete: completion !== undefined,
      completedAt: completion?.completedAt ?? null,
      creditHours: completion
        ? completion.hoursSet
          ? completion.creditHours
          : null
        : (course?.creditHours ?? null),
      earnedHours: completedInYear ? completion.creditHours : 0,
    };
  });
  courseRows.sort((a, b) => b.learningMs - a.learningMs || a.title.localeCompare(b.title, 'zh'));

  const records: HourRecord[] = courseRows
    .filter(
      (row) => row.completedAt !== null && completionOf.get(row.courseId)?.year === reportYear,
    )
    .map((row) => ({
      kind: 'course',
      title: row.title,
      hours: row.earnedHours,
      completedOn: shanghaiDate(row.completedAt!.getTime()),
      source: PLATFORM_SOURCE,
      courseId: row.courseId,
    }));

  let requiredHours: number | null = null;
  if (binding) {
    const [employee, legacy] = await Promise.all([
      EmployeeModel.findOne({ employeeNo: binding.employeeNo }, { orgUnitCode: 1 }).lean(),
      LegacyRecordModel.find({ employeeNo: binding.employeeNo, year: reportYear }).lean(),
    ]);
    if (employee) requiredHours = await requiredHoursFor(employee.orgUnitCode, reportYear);
    for (const record of legacy) {
      records.push({
        kind: 'legacy',
        title: record.courseTitle,
        hours: record.hours,
        completedOn: record.completedOn,
        source: record.sourceSystem,
        courseId: null,
      });
    }
  }
  records.sort(
    (a, b) => b.completedOn.localeCompare(a.completedOn) || a.title.localeCompare(b.title, 'zh'),
  );

  const earnedHours = roundHours(records.reduce((sum, record) => sum + record.hours, 0));
  let learningMs = 0;
  for (const ms of learningByCourse.values()) learningMs += ms;
  return {
    year: reportYear,
    bound: binding !== null,
    earnedHours,
    requiredHours,
    missingHours:
      requiredHours === null ? null : roundHours(Math.max(0, requiredHours - earnedHours)),
    learningMs,
    courses: courseRows,
    records,
  };
}
