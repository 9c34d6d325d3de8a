import { Types, trusted } from 'mongoose';
import type { QuizSummary } from '@wxlearn/api-types';
import { isDuplicateKeyError } from '../../db/errors.js';
import { notFound } from '../../errors.js';
import { listCourseQuizzes } from '../quizzes/quizzes.service.js';
import { getCatalogSnapshot, type CategoryCount, type CourseListItem } from './catalog-snapshot.js';
import { categoryTokens, normaliseForPhrase, tokenizeQuery } from './catalog.search.js';
import {
  ACTIVE_ENROLMENT,
  assertLessonAccess,
  findActiveEnrolment,
  purchaseRequired,
} from './course-access.js';
import { CourseModel, type Course } from './course.model.js';
import { EnrolmentModel, type Enrolment } from './enrolment.model.js';
import { LessonModel, type Lesson } from './lesson.model.js';

/** Maximum number of enrolments that "my courses" lists, newest first. */
export const MY_COURSES_LIMIT = 200;

/** Course fields that ranking a search needs: those of a list plus the title tokens. */
const SEARCH_PROJECTION = {
  searchTokens: 0,
  description: 0,
  chapters: 0,
  source: 0,
} as const;

export interface CourseListQuery {
  q?: string;
  category?: string;
  subcategory?: string;
  page: number;
  pageSize: number;
}

export interface CourseDetailData {
  course: Course;
  lessons: Omit<Lesson, 'content'>[];
  quizzes: QuizSummary[];
  enrolment: Enrolment | null;
}

export interface LessonDetailData {
  lesson: Lesson;
  course: Pick<Course, '_id' | 'title'>;
  previousLessonId: Types.ObjectId | null;
  nextLessonId: Types.ObjectId | null;
}

/** Counts published courses per category and subcategory, sorted by name in pinyin order. */
export async function listCategories(): Promise<CategoryCount[]> {
  return (await getCatalogSnapshot()).categories;
}

/**
 * Lists published courses, filtered by category and subcategory, ordered by code, from the
 * catalog snapshot. With a query, searches the database instead and returns the courses that
 * contain every query term, best match first.
 */
export async function listCourses(
  query: CourseListQuery,
): Promise<{ items: CourseListItem[]; total: number }> {
  const skip = (query.page - 1) * query.pageSize;
  if (query.q !== undefined && query.q !== '') {
    const filter = {
      published: true,
      ...(query.category === undefined ? {} : { category: query.category }),
      ...(query.subcategory === undefined ? {} : { subcategory: query.subcategory }),
    };
    const ranked = await searchCourses(query.q, filter);
    return { items: ranked.slice(skip, skip + query.pageSize), total: ranked.length };
  }

  const { courses } = await getCatalogSnapshot();
  const matching = courses.filter(
    (course) =>
      (query.category === undefined || course.category === query.category) &&
      (query.subcategory === undefined || course.subcategory === query.subcategory),
  );
  return { items: matching.slice(skip, skip + query.pageSize), total: matching.length };
}

/**
 * Points a query term earns by where it occurs. With at most MAX_QUERY_TERMS (8) terms, one title
 * hit outranks any number of category or description hits.
 */
const TERM_WEIGHT = { title: 100, category: 10, description: 1 } as const;
/** Extra points when the whole query occurs, spaces ignored, in the title or the category names. */
const PHRASE_BONUS = { title: 1000, category: 50 } as const;

/**
 * Returns every course matching all terms of the query, ranked. The database selects courses
 * by the `searchTokens` index, and ranking happens here because it needs per-field hits.
 */
async function searchCourses(
  q: string,
  filter: Record<string, unknown>,
): Promise<CourseListItem[]> {
  const terms = tokenizeQuery(q);
  if (terms.length === 0) return [];

  // FerretDB pushes an `$eq` on an array field down to PostgreSQL but evaluates `$all` itself,
  // so the longest (usually rarest) term goes into `$eq` to narrow the rows read.
  const anchor = terms.reduce((longest, term) => (term.length > longest.length ? term : longest));
  const candidates = await CourseModel.find(
    { ...filter, searchTokens: trusted({ $eq: anchor, $all: terms }) },
    SEARCH_PROJECTION,
  ).lean<(CourseListItem & { titleTokens: string[] })[]>();

  const phrase = normaliseForPhrase(q);
  const scored = candidates.map(({ titleTokens, ...course }) => {
    const inTitle = new Set(titleTokens);
    const inCategory = categoryTokens(course.category, course.subcategory);
    let score = 0;
    if (normaliseForPhrase(course.title).includes(phrase)) score += PHRASE_BONUS.title;
    if (normaliseForPhrase(`${course.category}${course.subcategory ?? ''}`).includes(phrase)) {
      score += PHRASE_BONUS.category;
    }
    for (const term of terms) {
      if (inTitle.has(term)) score += TERM_WEIGHT.title;
      else if (inCategory.has(term)) score += TERM_WEIGHT.category;
      else score += TERM_WEIGHT.description;
    }
    return { course, score };
  });
  scored.sort((a, b) => b.score - a.score || (a.course.code < b.course.code ? -1 : 1));
  return scored.map(({ course }) => course);
}

async function findPublishedCourse(courseId: string): Promise<Course> {
  const course = await CourseModel.findOne(
    { _id: courseId, published: true },
    { searchTokens: 0, titleTokens: 0 },
  ).lean<Course>();
  if (!course) throw notFound('Course', courseId);
  return course;
}

/**
 * Returns a published course with its lessons (without content), quizzes and the learner's active
 * enrolment.
 */
export async function getCourseDetail(
  courseId: string,
  learnerId: Types.ObjectId,
): Promise<CourseDetailData> {
  const course = await findPublishedCourse(courseId);
  const [lessons, quizzes, enrolment] = await Promise.all([
    LessonModel.find({ courseId: course._id }, { content: 0 }).lean<Omit<Lesson, 'content'>[]>(),
    listCourseQuizzes(course._id),
    findActiveEnrolment(learnerId, course._id),
  ]);
  return { course, lessons, quizzes, enrolment };
}

/**
 * Enrols a learner in a published free course; a paid course gives 403 `purchase_required`.
 * Idempotent: a repeated or concurrent call returns the existing enrolment with `created: false`,
 * because the unique (learnerId, courseId) index lets only one insert in.
 */
export async function enrol(
  courseId: string,
  learnerId: Types.ObjectId,
  now: Date,
): Promise<{ enrolment: Enrolment; created: boolean }> {
  const course = await findPublishedCourse(courseId);
  if (course.priceFen !== null && course.priceFen !== undefined) throw purchaseRequired(courseId);
  try {
    const created = await EnrolmentModel.create({
      learnerId,
      courseId: course._id,
      source: 'self',
      enrolledAt: now,
    });
    return { enrolment: created.toObject<Enrolment>(), created: true };
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  const existing = await EnrolmentModel.findOne({ learnerId, courseId: course._id })
    .orFail()
    .lean<Enrolment>();
  if (!existing.revokedAt) return { enrolment: existing, created: false };

  // A refunded purchase of a course that is free now: enrolling opens it again.
  const reactivated = { source: 'self' as const, enrolledAt: now, revokedAt: null, orderId: null };
  await EnrolmentModel.updateOne({ _id: existing._id }, { $set: reactivated });
  return { enrolment: { ...existing, ...reactivated }, created: true };
}

/**
 * Returns the learner's enrolled courses, most recent enrolment first, up to MY_COURSES_LIMIT.
 * Courses that are no longer published and enrolments revoked by a refund are left out. The courses come from the catalog
 * snapshot, because looking up a list of ids is a full collection read on FerretDB.
 */
export async function listMyCourses(
  learnerId: Types.ObjectId,
): Promise<{ course: CourseListItem; enrolment: Enrolment }[]> {
  const enrolments = await EnrolmentModel.find({ learnerId, ...ACTIVE_ENROLMENT })
    .sort({ enrolledAt: -1, _id: -1 })
    .limit(MY_COURSES_LIMIT)
    .lean<Enrolment[]>();
  if (enrolments.length === 0) return [];

  const { byId } = await getCatalogSnapshot();
  return enrolments.flatMap((enrolment) => {
    const course = byId.get(enrolment.courseId.toString());
    return course ? [{ course, enrolment }] : [];
  });
}

/**
 * Returns a lesson of a published course with the ids of the lessons before and after it. A
 * lesson of a paid course needs the learner's active purchase: 403 `purchase_required` otherwise.
 */
export async function getLessonDetail(
  lessonId: string,
  learnerId: Types.ObjectId,
): Promise<LessonDetailData> {
  const lesson = await LessonModel.findById(lessonId).lean<Lesson>();
  if (!lesson) throw notFound('Lesson', lessonId);

  const course = await CourseModel.findOne(
    { _id: lesson.courseId, published: true },
    { title: 1, chapters: 1, priceFen: 1 },
  ).lean<Pick<Course, '_id' | 'title' | 'chapters' | 'priceFen'>>();
  if (!course) throw notFound('Lesson', lessonId);
  await assertLessonAccess(course, learnerId);

  const siblings = await LessonModel.find(
    { courseId: lesson.courseId },
    { chapterId: 1, position: 1 },
  ).lean<Pick<Lesson, '_id' | 'chapterId' | 'position'>[]>();
  const ordered = orderLessons(course.chapters, siblings);
  const index = ordered.findIndex((sibling) => sibling._id.equals(lesson._id));

  return {
    lesson,
    course: { _id: course._id, title: course.title },
    previousLessonId: index > 0 ? (ordered[index - 1]?._id ?? null) : null,
    nextLessonId: index >= 0 ? (ordered[index + 1]?._id ?? null) : null,
  };
}

/**
 * Orders lessons by chapter position, then by position within the chapter. Lessons whose
 * chapter no longer exists are left out.
 */
export function orderLessons<T extends Pick<Lesson, 'chapterId' | 'position'>>(
  chapters: readonly { _id: Types.ObjectId; position: number }[],
  lessons: readonly T[],
): T[] {
  const chapterPosition = new Map(
    chapters.map((chapter) => [chapter._id.toString(), chapter.position]),
  );
  return lessons
    .filter((lesson) => chapterPosition.has(lesson.chapterId.toString()))
    .sort(
      (a, b) =>
        (chapterPosition.get(a.chapterId.toString()) ?? 0) -
          (chapterPosition.get(b.chapterId.toString()) ?? 0) || a.position - b.position,
    );
}

export type { CategoryCount, CourseListItem } from './catalog-snapshot.js';
