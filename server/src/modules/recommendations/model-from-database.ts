// Reads the collections once, each with one unsorted cursor, and feeds them to
// RecommendationModelBuilder. Learner-side rows are grouped by learner in memory
// (learner-tables.ts) rather than by sorted cursors or `$in` queries, because FerretDB v1 sorts a
// whole collection in memory before the first batch (minutes for 1.8 million enrolments, past the
// driver's socket timeout) and runs `$in` by reading the whole collection each time.
//   - employees, then bindings: every bound learner's (unit, post) group;
//   - at the same time, enrolments and completions: every learner's history;
//   - then each history is counted into its learner's group.
import type { Types } from 'mongoose';
import type { Logger } from '../../logger.js';
import { orderLessons } from '../catalog/catalog.service.js';
import { CourseModel } from '../catalog/course.model.js';
import { EnrolmentModel } from '../catalog/enrolment.model.js';
import { LessonModel } from '../catalog/lesson.model.js';
import { CourseCompletionModel } from '../learning/course-completion.model.js';
import { BindingModel } from '../learners/binding.model.js';
import { EmployeeModel } from '../org/employee.model.js';
import { OrgUnitModel } from '../org/org-unit.model.js';
import { CourseAssignmentModel } from './course-assignment.model.js';
import {
  BoundLearnerRows,
  LearnerHistoryRows,
  type BoundLearnerTable,
  type LearnerHistoryTable,
} from './learner-tables.js';
import { NO_GROUP, RecommendationModelBuilder, type GroupRef } from './model-builder.js';
import type { ModelLesson, ModelSettings, RecommendationModel } from './recommendation-model.js';
import { readAhead } from './read-ahead.js';

/** Documents per cursor batch: large batches save round trips on long reads. */
const CURSOR_BATCH_SIZE = 2000;
/** Documents read ahead of the join per cursor, so the database works while the join does. */
const READ_AHEAD = 2 * CURSOR_BATCH_SIZE;

export interface DatabaseBuildOptions {
  now: Date;
  logger: Logger;
  /** Keeps the per-learner tables that the batch needs. The API reads one learner at a time. */
  keepLearnerTables?: boolean;
  settings?: Partial<ModelSettings>;
}

export interface DatabaseBuildStats {
  courses: number;
  units: number;
  bindings: number;
  /** Bindings whose employee is no longer on the roster; their unit comes from the binding. */
  bindingsWithoutEmployee: number;
  enrolments: number;
  completions: number;
  learnersWithHistory: number;
  durationMs: number;
}

export interface DatabaseBuild {
  model: RecommendationModel;
  /** Set with keepLearnerTables. */
  boundLearners?: BoundLearnerTable;
  /** Set with keepLearnerTables. */
  histories?: LearnerHistoryTable;
  stats: DatabaseBuildStats;
}

/** Reads published courses with their lessons in study order into the builder. */
async function addCourses(builder: RecommendationModelBuilder): Promise<void> {
  const courses = await CourseModel.find(
    { published: true },
    { code: 1, title: 1, category: 1, description: 1, createdAt: 1, chapters: 1 },
  )
    .sort({ code: 1 })
    .lean();
  const published = new Set(courses.map((course) => course._id.toHexString()));

  type LessonRow = {
    _id: Types.ObjectId;
    courseId: Types.ObjectId;
    chapterId: Types.ObjectId;
    position: number;
    title: string;
    optional?: boolean | null;
  };
  const lessonsByCourse = new Map<string, LessonRow[]>();
  const lessonCursor = LessonModel.find(
    {},
    { courseId: 1, chapterId: 1, position: 1, title: 1, optional: 1 },
  )
    .lean<LessonRow[]>()
    .cursor({ batchSize: CURSOR_BATCH_SIZE });
  for await (const lesson of lessonCursor) {
    const courseId = lesson.courseId.toHexString();
    if (!published.has(courseId)) continue;
    const list = lessonsByCourse.get(courseId) ?? [];
    list.push(lesson);
    lessonsByCourse.set(courseId, list);
  }

  for (const course of courses) {
    const id = course._id.toHexString();
    const lessons: ModelLesson[] = orderLessons(course.chapters, lessonsByCourse.get(id) ?? []).map(
      (lesson) => ({
        id: lesson._id.toHexString(),
        title: lesson.title,
        optional: lesson.optional === true,
      }),
    );
    builder.addCourse({
      id,
      code: course.code,
      title: course.title,
      category: course.category,
      createdAt: (course as { createdAt?: Date }).createdAt ?? new Date(0),
      description: course.description ?? '',
      lessons,
    });
  }
}

async function addUnitsAndAssignments(builder: RecommendationModelBuilder): Promise<number> {
  let units = 0;
  const unitCursor = OrgUnitModel.find({}, { code: 1, parentCode: 1 })
    .lean()
    .cursor({ batchSize: CURSOR_BATCH_SIZE });
  for await (const unit of unitCursor) {
    builder.addUnit(unit.code, unit.parentCode ?? null);
    units++;
  }
  for (const assignment of await CourseAssignmentModel.find({}).lean()) {
    builder.addAssignment({
      orgUnitCode: assignment.orgUnitCode,
      post: assignment.post ?? null,
      courseId: assignment.courseId.toHexString(),
      dueOn: assignment.dueOn,
    });
  }
  return units;
}

/** Iterates a query's documents in storage order with read-ahead. */
function stream<T>(query: { cursor(options: { batchSize: number }): AsyncIterable<T> }) {
  return readAhead(query.cursor({ batchSize: CURSOR_BATCH_SIZE }), READ_AHEAD);
}

/**
 * Counts each bound learner into its (unit, post) group: the employee's current unit and post, or
 * for a binding whose employee left the roster the unit stored on the binding, with no post.
 * Holds a Map of employee numbers to groups while it runs (about 50 MB at 600,000 employees).
 */
async function readBoundLearners(builder: RecommendationModelBuilder) {
  const groupOfEmployee = new Map<string, number>();
  for await (const employee of stream(
    EmployeeModel.find({}, { _id: 0, employeeNo: 1, orgUnitCode: 1, post: 1 }).lean(),
  )) {
    groupOfEmployee.set(
      employee.employeeNo,
      builder.groupOf(employee.orgUnitCode, employee.post).group,
    );
  }

  const rows = new BoundLearnerRows();
  let bindings = 0;
  let withoutEmployee = 0;
  for await (const binding of stream(
    BindingModel.find({}, { _id: 0, learnerId: 1, employeeNo: 1, orgUnitCode: 1 }).lean(),
  )) {
    let group = groupOfEmployee.get(binding.employeeNo);
    if (group === undefined) {
      withoutEmployee++;
      group = builder.groupOf(binding.orgUnitCode, null).group;
    }
    builder.addMember({ group, unit: builder.unitOfGroup(group) });
    rows.add(binding.learnerId.toHexString(), group);
    bindings++;
  }
  return { table: rows.toTable(), bindings, withoutEmployee };
}

/** Reads every enrolment and completion of a published course into one history per learner. */
async function readHistories(courseIndexOf: (courseId: string) => number | undefined) {
  const rows = new LearnerHistoryRows();
  let enrolments = 0;
  let completions = 0;
  const readEnrolments = async () => {
    for await (const enrolment of stream(
      EnrolmentModel.find({}, { _id: 0, learnerId: 1, courseId: 1, enrolledAt: 1 }).lean(),
    )) {
      enrolments++;
      const course = courseIndexOf(enrolment.courseId.toHexString());
      if (course !== undefined) {
        rows.add(enrolment.learnerId.toHexString(), course, false, enrolment.enrolledAt);
      }
    }
  };
  const readCompletions = async () => {
    for await (const completion of stream(
      CourseCompletionModel.find({}, { _id: 0, learnerId: 1, courseId: 1, completedAt: 1 }).lean(),
    )) {
      completions++;
      const course = courseIndexOf(completion.courseId.toHexString());
      if (course !== undefined) {
        rows.add(completion.learnerId.toHexString(), course, true, completion.completedAt);
      }
    }
  };
  await Promise.all([readEnrolments(), readCompletions()]);
  return { table: rows.toTable(), enrolments, completions };
}

/**
 * Builds the recommendation model from the database as of `now`. Reads each collection once; see
 * the file comment for the joins. Memory: the model plus, during the build, about 24 bytes per
 * enrolment and 8 per pair of one learner's courses (model-builder.ts).
 */
export async function buildModelFromDatabase(
  options: DatabaseBuildOptions,
): Promise<DatabaseBuild> {
  const started = performance.now();
  const { logger } = options;
  const builder = new RecommendationModelBuilder(options.now, options.settings);

  await addCourses(builder);
  const units = await addUnitsAndAssignments(builder);
  logger.info(
    { courses: builder.courseCount, units, ms: Math.round(performance.now() - started) },
    'recommendation model: catalog and org read',
  );

  const [bound, history] = await Promise.all([
    readBoundLearners(builder).then((result) => {
      logger.info(
        {
          bindings: result.bindings,
          bindingsWithoutEmployee: result.withoutEmployee,
          ms: Math.round(performance.now() - started),
        },
        'recommendation model: bound learners read',
      );
      return result;
    }),
    readHistories((courseId) => builder.courseIndexOf(courseId)).then((result) => {
      logger.info(
        {
          enrolments: result.enrolments,
          completions: result.completions,
          learners: result.table.size,
          ms: Math.round(performance.now() - started),
        },
        'recommendation model: histories read',
      );
      return result;
    }),
  ]);

  const histories = history.table;
  histories.forEach((learnerHex, items) => {
    const group = bound.table.groupOf(learnerHex);
    const ref: GroupRef = group < 0 ? NO_GROUP : { group, unit: builder.unitOfGroup(group) };
    builder.addHistory(ref, items);
  });

  const model = builder.finish();
  const stats: DatabaseBuildStats = {
    courses: model.courses.length,
    units,
    bindings: bound.bindings,
    bindingsWithoutEmployee: bound.withoutEmployee,
    enrolments: history.enrolments,
    completions: history.completions,
    learnersWithHistory: histories.size,
    durationMs: Math.round(performance.now() - started),
  };
  logger.info(stats, 'recommendation model built');
  return {
    model,
    // Without keepLearnerTables the tables are dropped here; the API reads one learner at a time.
    ...(options.keepLearnerTables ? { boundLearners: bound.table, histories } : {}),
    stats,
  };
}
