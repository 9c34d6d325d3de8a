import type { Types } from 'mongoose';
import { EnrolmentModel } from '../catalog/enrolment.model.js';
import { CourseCompletionModel } from '../learning/course-completion.model.js';
import { LessonProgressModel } from '../learning/lesson-progress.model.js';
import { BindingModel } from '../learners/binding.model.js';
import { EmployeeModel } from '../org/employee.model.js';
import { historyItems, inProgressCourses } from './learner-records.js';
import { groupKey, type RecommendationModel } from './recommendation-model.js';
import type { LearnerContext } from './recommender.js';

/**
 * Reads one learner's binding, roster entry, enrolments, completions and lesson progress, so a
 * course enrolled in a minute ago is already excluded even when the shared model is an hour old.
 */
export async function readLearnerContext(
  model: RecommendationModel,
  learnerId: Types.ObjectId,
): Promise<LearnerContext> {
  const [binding, enrolments, completions, progress] = await Promise.all([
    BindingModel.findOne({ learnerId }, { employeeNo: 1, orgUnitCode: 1 }).lean(),
    EnrolmentModel.find({ learnerId }, { courseId: 1, enrolledAt: 1 }).lean(),
    CourseCompletionModel.find({ learnerId }, { courseId: 1, completedAt: 1 }).lean(),
    LessonProgressModel.find(
      { learnerId },
      { courseId: 1, lessonId: 1, complete: 1, creditedMs: 1, computedAt: 1 },
    ).lean(),
  ]);
  const employee = binding
    ? await EmployeeModel.findOne(
        { employeeNo: binding.employeeNo },
        { orgUnitCode: 1, post: 1 },
      ).lean()
    : null;

  const history = historyItems(
    model.courseIndex,
    enrolments.map((row) => ({ courseId: row.courseId.toHexString(), enrolledAt: row.enrolledAt })),
    completions.map((row) => ({
      courseId: row.courseId.toHexString(),
      completedAt: row.completedAt,
    })),
  );
  const inProgress = inProgressCourses(
    model,
    history,
    progress.map((row) => ({
      courseId: row.courseId.toHexString(),
      lessonId: row.lessonId.toHexString(),
      complete: row.complete,
      creditedMs: row.creditedMs,
      computedAt: row.computedAt,
    })),
  );

  const unitCode = employee?.orgUnitCode ?? binding?.orgUnitCode;
  const post = employee?.post ?? null;
  const unit = unitCode === undefined ? -1 : (model.unitIndex.get(unitCode) ?? -1);
  const group = unit < 0 ? -1 : (model.groupIndex.get(groupKey(unit, post ?? '')) ?? -1);
  return { group, unit, post, history, inProgress };
}
