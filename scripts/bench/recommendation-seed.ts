// Seeds a throwaway database with the generated organisation for the recommendation benchmark:
// org units, courses with three lessons each, assignments, and per learner an employee, a
// learner, a binding, enrolments, completions and (for some) lesson progress. Writes go through
// the driver's insertMany in chunks of 1,000, several collections at once, because FerretDB v1
// inserts one chunk at a time slowly.
import { Types } from 'mongoose';
import { prepareCourseFields } from '@wxlearn/server/modules/catalog/course-fields.js';
import { CourseModel } from '@wxlearn/server/modules/catalog/course.model.js';
import { EnrolmentModel } from '@wxlearn/server/modules/catalog/enrolment.model.js';
import { LessonModel } from '@wxlearn/server/modules/catalog/lesson.model.js';
import { CourseCompletionModel } from '@wxlearn/server/modules/learning/course-completion.model.js';
import { LessonProgressModel } from '@wxlearn/server/modules/learning/lesson-progress.model.js';
import { BindingModel } from '@wxlearn/server/modules/learners/binding.model.js';
import { LearnerModel } from '@wxlearn/server/modules/learners/learner.model.js';
import { EmployeeModel } from '@wxlearn/server/modules/org/employee.model.js';
import { CourseAssignmentModel } from '@wxlearn/server/modules/recommendations/course-assignment.model.js';
import type { Logger } from 'pino';
import { importOrgUnits } from '../src/import/org.js';
import { worldLearners, type GeneratedWorld } from '../src/recommendations/generated-dataset.js';
import { seededRandom } from '../src/recommendations/generated-learning.js';

const CHUNK = 1000;
const DAY_MS = 86_400_000;
export const LESSONS_PER_COURSE = 3;
/** Share of learners given lesson progress in one of their uncompleted courses. */
const PROGRESS_SHARE = 0.05;

export interface SeedCounts {
  units: number;
  courses: number;
  lessons: number;
  assignments: number;
  learners: number;
  employees: number;
  bindings: number;
  enrolments: number;
  completions: number;
  lessonProgress: number;
}

export interface SeedTiming {
  counts: SeedCounts;
  /** Seconds per step. */
  seconds: Record<'org' | 'courses' | 'learners', number>;
}

interface Collection {
  insertMany(documents: object[], options: { ordered: boolean }): Promise<unknown>;
}

/** Buffers documents per collection and writes every full buffer in one insertMany. */
class ChunkedWriter {
  private readonly buffers = new Map<Collection, object[]>();
  private pending: Promise<unknown>[] = [];

  add(collection: Collection, document: object): void {
    let buffer = this.buffers.get(collection);
    if (!buffer) {
      buffer = [];
      this.buffers.set(collection, buffer);
    }
    buffer.push(document);
    if (buffer.length >= CHUNK) {
      this.pending.push(collection.insertMany(buffer.splice(0), { ordered: false }));
    }
  }

  /** Waits for the writes started so far once a few are running, bounding memory. */
  async throttle(): Promise<void> {
    if (this.pending.length < 6) return;
    await Promise.all(this.pending);
    this.pending = [];
  }

  async flush(): Promise<void> {
    for (const [collection, buffer] of this.buffers) {
      if (buffer.length > 0)
        this.pending.push(collection.insertMany(buffer.splice(0), { ordered: false }));
    }
    await Promise.all(this.pending);
    this.pending = [];
  }
}

/** Inserts the courses with one chapter of three article lessons; returns their ids in order. */
async function seedCourses(world: GeneratedWorld, counts: SeedCounts) {
  const courseIds: Types.ObjectId[] = [];
  const lessonIds: Types.ObjectId[][] = [];
  const writer = new ChunkedWriter();
  for (const course of world.catalog.courses) {
    const id = new Types.ObjectId();
    const chapterId = new Types.ObjectId();
    courseIds.push(id);
    const fields = prepareCourseFields({
      code: course.code,
      title: course.title,
      category: course.category,
      subcategory: null,
      description: course.description ?? '',
      university: null,
      instructor: null,
      prerequisites: null,
      website: null,
      difficulty: null,
      studyTimeText: null,
      studyHoursMin: null,
      studyHoursMax: null,
    });
    writer.add(CourseModel.collection, {
      _id: id,
      ...fields,
      creditHours: 1,
      published: true,
      chapters: [{ _id: chapterId, title: '第一章', position: 1 }],
      lessonCount: LESSONS_PER_COURSE,
      source: null,
      createdAt: course.createdAt,
      updatedAt: course.createdAt,
    });
    const lessons: Types.ObjectId[] = [];
    for (let position = 1; position <= LESSONS_PER_COURSE; position++) {
      const lessonId = new Types.ObjectId();
      lessons.push(lessonId);
      writer.add(LessonModel.collection, {
        _id: lessonId,
        courseId: id,
        chapterId,
        position,
        title: `${course.title} 第${position}课`,
        type: 'article',
        content: { markdown: course.description ?? '', wordCount: 300 },
        optional: false,
        createdAt: course.createdAt,
        updatedAt: course.createdAt,
      });
      counts.lessons++;
    }
    lessonIds.push(lessons);
    counts.courses++;
    await writer.throttle();
  }
  await writer.flush();
  return { courseIds, lessonIds };
}

/**
 * Assigns a few courses: each of the first ten provincial units requires a course of topic 安全
 * of all posts, and its 客户经理 a course of topic 营销.
 */
async function seedAssignments(world: GeneratedWorld, courseIds: Types.ObjectId[]) {
  const random = seededRandom(world.seed + 11);
  const topicCourses = (name: string) =>
    world.catalog.topicCourses[world.catalog.topics.indexOf(name)] ?? [];
  const provinces = world.units.filter((unit) => unit.kind === 'province').slice(0, 10);
  const documents = provinces.flatMap((unit, index) => {
    const safety = topicCourses('安全');
    const sales = topicCourses('营销');
    const dueOn = new Date(world.now.getTime() + (10 + index * 9) * DAY_MS)
      .toISOString()
      .slice(0, 10);
    return [
      {
        orgUnitCode: unit.code,
        post: null,
        courseId: courseIds[safety[Math.floor(random() * safety.length)]!],
        dueOn,
      },
      {
        orgUnitCode: unit.code,
        post: '客户经理',
        courseId: courseIds[sales[Math.floor(random() * sales.length)]!],
        dueOn,
      },
    ];
  });
  if (documents.length > 0) await CourseAssignmentModel.collection.insertMany(documents);
  return documents.length;
}

/** Seeds the world into the connected database and returns counts and timings. */
export async function seedWorld(
  world: GeneratedWorld,
  logger: Logger,
  /** Called with each learner as it is queued for insertion, in generation order. */
  onLearner?: (learner: { learnerId: Types.ObjectId; openid: string }) => void,
): Promise<SeedTiming> {
  const counts: SeedCounts = {
    units: 0,
    courses: 0,
    lessons: 0,
    assignments: 0,
    learners: 0,
    employees: 0,
    bindings: 0,
    enrolments: 0,
    completions: 0,
    lessonProgress: 0,
  };
  let started = performance.now();
  const org = await importOrgUnits(world.units);
  counts.units = org.created + org.updated + org.unchanged;
  const orgSeconds = (performance.now() - started) / 1000;

  started = performance.now();
  const { courseIds, lessonIds } = await seedCourses(world, counts);
  counts.assignments = await seedAssignments(world, courseIds);
  const coursesSeconds = (performance.now() - started) / 1000;
  logger.info({ ...counts, coursesSeconds }, 'courses seeded');

  started = performance.now();
  const writer = new ChunkedWriter();
  const random = seededRandom(world.seed + 13);
  const boundAt = new Date(world.now.getTime() - 400 * DAY_MS);
  for (const { employee, enrolments } of worldLearners(world)) {
    const learnerId = new Types.ObjectId();
    writer.add(EmployeeModel.collection, {
      employeeNo: employee.employeeNo,
      name: employee.name,
      orgUnitCode: employee.orgUnitCode,
      post: employee.post,
      createdAt: boundAt,
      updatedAt: boundAt,
    });
    const openid = `bench-${employee.employeeNo}`;
    onLearner?.({ learnerId, openid });
    writer.add(LearnerModel.collection, {
      _id: learnerId,
      openid,
      unionid: null,
      nickname: null,
      lastLoginAt: world.now,
      createdAt: boundAt,
      updatedAt: boundAt,
    });
    writer.add(BindingModel.collection, {
      learnerId,
      employeeNo: employee.employeeNo,
      orgUnitCode: employee.orgUnitCode,
      boundAt,
    });
    counts.learners++;
    counts.employees++;
    counts.bindings++;

    let progressGiven = random() >= PROGRESS_SHARE;
    enrolments.courses.forEach((course, k) => {
      const enrolledAt = new Date(enrolments.atMs[k]!);
      writer.add(EnrolmentModel.collection, {
        learnerId,
        courseId: courseIds[course],
        source: 'self',
        enrolledAt,
      });
      counts.enrolments++;
      if (enrolments.completed[k]) {
        const completedAt = new Date(
          Math.min(world.now.getTime(), enrolledAt.getTime() + 7 * DAY_MS),
        );
        writer.add(CourseCompletionModel.collection, {
          learnerId,
          courseId: courseIds[course],
          completedAt,
          year: completedAt.getUTCFullYear(),
          creditHours: 1,
          hoursSet: true,
        });
        counts.completions++;
      } else if (!progressGiven) {
        progressGiven = true;
        writer.add(LessonProgressModel.collection, {
          learnerId,
          lessonId: lessonIds[course]![0],
          courseId: courseIds[course],
          creditedMs: 900_000,
          creditedByYear: [],
          complete: true,
          completedAt: enrolledAt,
          lastPosition: null,
          computedAt: enrolledAt,
        });
        counts.lessonProgress++;
      }
    });
    await writer.throttle();
    if (counts.learners % 50_000 === 0) {
      logger.info(
        { learners: counts.learners, seconds: Math.round((performance.now() - started) / 1000) },
        'learners seeded',
      );
    }
  }
  await writer.flush();
  return {
    counts,
    seconds: {
      org: orgSeconds,
      courses: coursesSeconds,
      learners: (performance.now() - started) / 1000,
    },
  };
}
