// The in-memory recommendation model: every structure that does not depend on one learner, built
// once per batch (and once per cache period in each server copy) by RecommendationModelBuilder.
// Courses, units and (unit, post) groups are numbered by small integers, and counts and neighbour
// lists are typed arrays, so the model's size grows with courses × groups, not with learners.
import type { NeighbourLists } from './neighbour-lists.js';

export interface ModelLesson {
  id: string;
  title: string;
  /** An optional lesson does not count toward completing its course. */
  optional: boolean;
}

export interface ModelCourse {
  /** Course `_id` as a hex string, or any unique id outside the database (evaluation). */
  id: string;
  code: string;
  title: string;
  category: string;
  createdAtMs: number;
  /** Lessons in study order (chapter position, then position in the chapter). */
  lessons: ModelLesson[];
}

export interface ModelAssignment {
  course: number;
  /** Null when the course is required of every post. */
  post: string | null;
  /** `YYYY-MM-DD` in Asia/Shanghai. */
  dueOn: string;
}

/**
 * For each group (or unit), the courses its learners took and how many of them, most taken first,
 * cut to the top `ModelSettings.groupCourses`: the courses of group `g` are `courses[offsets[g]]` …
 * `courses[offsets[g + 1] - 1]`.
 */
export interface CountLists {
  offsets: Uint32Array;
  courses: Int32Array;
  counts: Int32Array;
}

export interface ModelSettings {
  /** Enrolments of this many days before the build count as recent for popularity. */
  recentDays: number;
  /** Courses created this many days before the build count as new. */
  freshDays: number;
  /** Courses kept per group and per unit, most taken first. */
  groupCourses: number;
  /** Co-occurrence neighbours kept per course. */
  alsoTakenNeighbours: number;
  /** Minimum number of learners who took both courses for two courses to become neighbours. */
  minCoOccurrence: number;
  /** Content neighbours kept per course. */
  similarNeighbours: number;
  /** Most recent history items per learner that count for co-occurrence. */
  maxHistoryForPairs: number;
  /** Length of the popular and of the new course lists that every learner's candidates include. */
  fallbackCourses: number;
}

export const DEFAULT_MODEL_SETTINGS: Readonly<ModelSettings> = {
  recentDays: 90,
  freshDays: 30,
  groupCourses: 200,
  alsoTakenNeighbours: 50,
  minCoOccurrence: 2,
  similarNeighbours: 20,
  maxHistoryForPairs: 50,
  fallbackCourses: 60,
};

export interface RecommendationModel {
  /** The time the model describes: recent popularity and new courses are counted back from it. */
  builtAt: Date;
  settings: ModelSettings;

  courses: ModelCourse[];
  courseIndex: Map<string, number>;
  courseCategory: Int32Array;
  categories: string[];

  unitCodes: string[];
  unitIndex: Map<string, number>;
  /** Parent unit of each unit, -1 for a root or a unit whose parent is unknown. */
  unitParent: Int32Array;
  /** Required courses set on each unit, post-specific ones first. */
  unitAssignments: (ModelAssignment[] | undefined)[];

  /** Groups are (unit, post) pairs of bound learners; `groupKey` gives the key of `groupIndex`. */
  groupIndex: Map<string, number>;
  groupUnit: Int32Array;
  groupPost: string[];
  /** Bound learners per group and per unit (the unit's own, not its subtree's). */
  groupSize: Int32Array;
  unitSize: Int32Array;
  groupCourses: CountLists;
  unitCourses: CountLists;

  /** Learners with at least one enrolment or completion. */
  learnersWithHistory: number;
  /** Learners who enrolled in or completed each course, ever and within `recentDays`. */
  takenCount: Int32Array;
  recentCount: Int32Array;
  /** Courses by recent popularity (then all-time), the first `fallbackCourses`. */
  popular: Int32Array;
  /** Courses created within `freshDays`, newest first, the first `fallbackCourses`. */
  fresh: Int32Array;

  /** Courses often taken by the same learners, by cosine similarity of their learner sets. */
  alsoTaken: NeighbourLists;
  /** Courses with similar titles and descriptions (TF-IDF cosine). */
  similar: NeighbourLists;
}

/** Key of a (unit, post) group in `RecommendationModel.groupIndex`. */
export function groupKey(unit: number, post: string): string {
  return `${unit}\t${post}`;
}

/**
 * Returns a rough size of the model's typed arrays and strings in bytes, for logs and benchmarks.
 * Maps and object headers are not counted, so the heap uses more than this.
 */
export function estimateModelBytes(model: RecommendationModel): number {
  const typed = [
    model.courseCategory,
    model.unitParent,
    model.groupUnit,
    model.groupSize,
    model.unitSize,
    model.takenCount,
    model.recentCount,
    model.popular,
    model.fresh,
    ...Object.values(model.groupCourses),
    ...Object.values(model.unitCourses),
    ...Object.values(model.alsoTaken),
    ...Object.values(model.similar),
  ].reduce((sum, array: { byteLength: number }) => sum + array.byteLength, 0);
  let strings = 0;
  for (const course of model.courses) {
    strings += course.id.length + course.code.length + course.title.length;
    for (const lesson of course.lessons) strings += lesson.id.length + lesson.title.length;
  }
  for (const code of model.unitCodes) strings += code.length;
  for (const post of model.groupPost) strings += post.length;
  // V8 stores one- or two-byte strings; 2 bytes per character is the upper bound.
  return typed + 2 * strings;
}
