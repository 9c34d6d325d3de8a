// Turns a learner's stored records (enrolments, completions, lesson progress) into the model's
// indices. Shared by the batch, which reads the records of all learners in cursors, and by the
// API, which reads one learner's records.
import type { HistoryItem } from './model-builder.js';
import type { RecommendationModel } from './recommendation-model.js';
import type { InProgressCourse } from './recommender.js';

export interface EnrolmentRecord {
  courseId: string;
  enrolledAt: Date;
}

export interface CompletionRecord {
  courseId: string;
  completedAt: Date;
}

export interface ProgressRecord {
  courseId: string;
  lessonId: string;
  complete: boolean;
  creditedMs: number;
  computedAt: Date;
}

/**
 * Merges enrolments and completions into one item per course of the model. Courses the model
 * does not know (unpublished or deleted) are left out.
 */
export function historyItems(
  courseIndex: { get(courseId: string): number | undefined },
  enrolments: readonly EnrolmentRecord[],
  completions: readonly CompletionRecord[],
): HistoryItem[] {
  const byCourse = new Map<number, HistoryItem>();
  for (const enrolment of enrolments) {
    const course = courseIndex.get(enrolment.courseId);
    if (course === undefined) continue;
    const atMs = enrolment.enrolledAt.getTime();
    const existing = byCourse.get(course);
    if (!existing) byCourse.set(course, { course, completed: false, atMs });
    else existing.atMs = Math.min(existing.atMs, atMs);
  }
  for (const completion of completions) {
    const course = courseIndex.get(completion.courseId);
    if (course === undefined) continue;
    const existing = byCourse.get(course);
    if (existing) existing.completed = true;
    else byCourse.set(course, { course, completed: true, atMs: completion.completedAt.getTime() });
  }
  return [...byCourse.values()];
}

/**
 * Finds the courses a learner has studied in (credited time or a completed lesson) but not
 * completed, each with its next lesson. The next lesson is the first required lesson in study
 * order that is not complete, else the first optional one that is not. A course whose lessons are
 * all complete is left out, because only its completion record is missing.
 */
export function inProgressCourses(
  model: RecommendationModel,
  history: readonly HistoryItem[],
  progress: readonly ProgressRecord[],
): InProgressCourse[] {
  const completed = new Set(history.filter((item) => item.completed).map((item) => item.course));
  const byCourse = new Map<number, { completeLessons: Set<string>; lastStudiedAtMs: number }>();
  for (const record of progress) {
    if (record.creditedMs <= 0 && !record.complete) continue;
    const course = model.courseIndex.get(record.courseId);
    if (course === undefined || completed.has(course)) continue;
    let entry = byCourse.get(course);
    if (!entry) {
      entry = { completeLessons: new Set(), lastStudiedAtMs: 0 };
      byCourse.set(course, entry);
    }
    if (record.complete) entry.completeLessons.add(record.lessonId);
    entry.lastStudiedAtMs = Math.max(entry.lastStudiedAtMs, record.computedAt.getTime());
  }

  const result: InProgressCourse[] = [];
  for (const [course, entry] of byCourse) {
    const lessons = model.courses[course]!.lessons;
    const open = (lesson: { id: string }) => !entry.completeLessons.has(lesson.id);
    let nextLesson = lessons.findIndex((lesson) => !lesson.optional && open(lesson));
    if (nextLesson < 0) nextLesson = lessons.findIndex(open);
    if (nextLesson >= 0)
      result.push({ course, nextLesson, lastStudiedAtMs: entry.lastStudiedAtMs });
  }
  return result;
}
