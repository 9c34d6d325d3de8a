// Required courses of org units ("本单位要求"): set, removed and listed by operators through the
// scripts CLI. Recommendations read them into the model (recommendation-model.ts).
import { isDuplicateKeyError } from '../../db/errors.js';
import { notFound, validationFailed } from '../../errors.js';
import { CourseModel } from '../catalog/course.model.js';
import { OrgUnitModel } from '../org/org-unit.model.js';
import { CourseAssignmentModel } from './course-assignment.model.js';

export interface AssignmentInput {
  orgUnitCode: string;
  /** Null or absent assigns the course to every post. */
  post?: string | null;
  courseCode: string;
  /** `YYYY-MM-DD`, the last day to complete the course in Asia/Shanghai. */
  dueOn: string;
}

export interface AssignmentView {
  orgUnitCode: string;
  post: string | null;
  courseCode: string;
  courseTitle: string;
  dueOn: string;
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Throws unless `value` is a real calendar date written `YYYY-MM-DD`. */
export function checkDueOn(value: string): void {
  const match = DATE_PATTERN.exec(value);
  const date = match ? new Date(Date.UTC(+match[1]!, +match[2]! - 1, +match[3]!)) : null;
  if (!date || date.toISOString().slice(0, 10) !== value) {
    throw validationFailed(`dueOn must be a calendar date written YYYY-MM-DD, got ${value}`);
  }
}

function normalisePost(post: string | null | undefined): string | null {
  const trimmed = post?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

async function findCourseByCode(courseCode: string) {
  const course = await CourseModel.findOne({ code: courseCode }, { code: 1, title: 1 }).lean();
  if (!course) throw notFound('Course', courseCode);
  return course;
}

/**
 * Assigns a course to an org unit's subtree (and optionally one post) with a due date, or moves
 * the due date of the same assignment. Rejects an unknown unit or course and an invalid date.
 */
export async function assignCourse(input: AssignmentInput): Promise<AssignmentView> {
  checkDueOn(input.dueOn);
  const unit = await OrgUnitModel.findOne({ code: input.orgUnitCode }, { code: 1 }).lean();
  if (!unit) throw notFound('Org unit', input.orgUnitCode);
  const course = await findCourseByCode(input.courseCode);
  const post = normalisePost(input.post);

  const filter = { orgUnitCode: input.orgUnitCode, post, courseId: course._id };
  const update = { $set: { dueOn: input.dueOn } };
  try {
    await CourseAssignmentModel.updateOne(filter, update, { upsert: true });
  } catch (error) {
    // Two first assignments of the same key race: the loser updates the winner's document.
    if (!isDuplicateKeyError(error)) throw error;
    await CourseAssignmentModel.updateOne(filter, update);
  }
  return {
    orgUnitCode: input.orgUnitCode,
    post,
    courseCode: course.code,
    courseTitle: course.title,
    dueOn: input.dueOn,
  };
}

/** Removes one assignment. Returns false when there was none with this unit, post and course. */
export async function removeAssignment(
  orgUnitCode: string,
  post: string | null | undefined,
  courseCode: string,
): Promise<boolean> {
  const course = await findCourseByCode(courseCode);
  const result = await CourseAssignmentModel.deleteOne({
    orgUnitCode,
    post: normalisePost(post),
    courseId: course._id,
  });
  return result.deletedCount > 0;
}

/** Lists every assignment, or those set on one unit, ordered by unit code, due date and course. */
export async function listAssignments(orgUnitCode?: string): Promise<AssignmentView[]> {
  const filter = orgUnitCode === undefined ? {} : { orgUnitCode };
  const assignments = await CourseAssignmentModel.find(filter).lean();
  const courses = new Map<string, { code: string; title: string }>();
  for await (const course of CourseModel.find({}, { code: 1, title: 1 }).lean().cursor()) {
    courses.set(course._id.toHexString(), { code: course.code, title: course.title });
  }
  return assignments
    .map((assignment) => {
      const course = courses.get(assignment.courseId.toHexString());
      return {
        orgUnitCode: assignment.orgUnitCode,
        post: assignment.post ?? null,
        courseCode: course?.code ?? `(deleted course ${assignment.courseId.toHexString()})`,
        courseTitle: course?.title ?? '',
        dueOn: assignment.dueOn,
      };
    })
    .sort(
      (a, b) =>
        a.orgUnitCode.localeCompare(b.orgUnitCode) ||
        a.dueOn.localeCompare(b.dueOn) ||
        a.courseCode.localeCompare(b.courseCode),
    );
}
