import { coOccurrenceNeighbours, countPerOwner } from './co-occurrence.js';
import { growableFloat64, type GrowableArray } from './growable-array.js';
import { EMPTY_NEIGHBOURS } from './neighbour-lists.js';
import {
  DEFAULT_MODEL_SETTINGS,
  groupKey,
  type ModelAssignment,
  type ModelCourse,
  type ModelLesson,
  type ModelSettings,
  type RecommendationModel,
} from './recommendation-model.js';
import { buildContentNeighbours, type CourseText } from './text-similarity.js';

const DAY_MS = 86_400_000;

export interface CourseInput {
  id: string;
  code: string;
  title: string;
  category: string;
  createdAt: Date;
  /** Markdown; left out when the course has no text, such as evaluation data without any. */
  description?: string;
  lessons?: ModelLesson[];
}

export interface AssignmentInput {
  orgUnitCode: string;
  post: string | null;
  courseId: string;
  dueOn: string;
}

/** A course in a learner's history. */
export interface HistoryItem {
  course: number;
  completed: boolean;
  /** Enrolment time, or completion time for a completion without an enrolment, in epoch ms. */
  atMs: number;
}

/** Membership of a learner: the group and unit indices, -1 for a learner bound to no employee. */
export interface GroupRef {
  group: number;
  unit: number;
}

export const NO_GROUP: Readonly<GroupRef> = { group: -1, unit: -1 };

/**
 * Builds a RecommendationModel from streamed input: first every course, unit and assignment, then
 * group members and learner histories one learner at a time, then `finish()`. Memory during the
 * build grows with the number of (learner, course) pairs: about 24 bytes per history item plus
 * 8 bytes per co-occurring pair of one learner's courses.
 */
export class RecommendationModelBuilder {
  private readonly settings: ModelSettings;
  private readonly courses: ModelCourse[] = [];
  private readonly courseIndex = new Map<string, number>();
  private readonly texts: CourseText[] = [];
  private hasText = false;
  private readonly unitCodes: string[] = [];
  private readonly unitIndex = new Map<string, number>();
  private readonly unitParentCodes: (string | null)[] = [];
  private readonly assignments: AssignmentInput[] = [];
  private readonly groupIndex = new Map<string, number>();
  private readonly groupUnit: number[] = [];
  private readonly groupPost: string[] = [];
  private readonly groupSize: number[] = [];
  private historyStarted = false;

  private readonly groupKeys = growableFloat64();
  private readonly unitKeys = growableFloat64();
  private readonly pairKeys = growableFloat64();
  private takenCount = new Int32Array(0);
  private recentCount = new Int32Array(0);
  private learnersWithHistory = 0;
  private readonly sorted: HistoryItem[] = [];

  constructor(
    private readonly builtAt: Date,
    settings: Partial<ModelSettings> = {},
  ) {
    this.settings = { ...DEFAULT_MODEL_SETTINGS, ...settings };
  }

  /** Adds a course and returns its index. A repeated id is rejected. */
  addCourse(input: CourseInput): number {
    if (this.historyStarted) throw new Error('add every course before the first history');
    if (this.courseIndex.has(input.id)) throw new Error(`course ${input.id} was added twice`);
    const index = this.courses.length;
    this.courses.push({
      id: input.id,
      code: input.code,
      title: input.title,
      category: input.category,
      createdAtMs: input.createdAt.getTime(),
      lessons: input.lessons ?? [],
    });
    this.courseIndex.set(input.id, index);
    this.texts.push({ title: input.title, description: input.description ?? '' });
    if (input.description !== undefined) this.hasText = true;
    return index;
  }

  courseIndexOf(id: string): number | undefined {
    return this.courseIndex.get(id);
  }

  get courseCount(): number {
    return this.courses.length;
  }

  /** Adds an org unit; parents may come after their children. */
  addUnit(code: string, parentCode: string | null): void {
    const index = this.unitOf(code);
    this.unitParentCodes[index] = parentCode;
  }

  addAssignment(assignment: AssignmentInput): void {
    this.assignments.push(assignment);
  }

  /** Returns the group of a unit and post, creating both when new. Unknown units become roots. */
  groupOf(unitCode: string, post: string | null): GroupRef {
    const unit = this.unitOf(unitCode);
    const key = groupKey(unit, post ?? '');
    let group = this.groupIndex.get(key);
    if (group === undefined) {
      group = this.groupUnit.length;
      this.groupIndex.set(key, group);
      this.groupUnit.push(unit);
      this.groupPost.push(post ?? '');
      this.groupSize.push(0);
    }
    return { group, unit };
  }

  /** Unit index of a group returned by groupOf. */
  unitOfGroup(group: number): number {
    return this.groupUnit[group] ?? -1;
  }

  /** Counts a bound learner into the size of its group. Call once per bound learner. */
  addMember(ref: GroupRef): void {
    if (ref.group >= 0) this.groupSize[ref.group]!++;
  }

  /**
   * Adds one learner's history: the distinct courses they enrolled in or completed (indices from
   * addCourse). Call once per learner, with NO_GROUP for a learner bound to no employee.
   */
  addHistory(ref: GroupRef, items: readonly HistoryItem[]): void {
    if (!this.historyStarted) this.startHistory();
    if (items.length === 0) return;
    const courseCount = this.courses.length;
    const recentSince = this.builtAt.getTime() - this.settings.recentDays * DAY_MS;
    this.learnersWithHistory++;
    for (const item of items) {
      this.takenCount[item.course]!++;
      if (item.atMs >= recentSince) this.recentCount[item.course]!++;
      if (ref.group >= 0) this.groupKeys.push(ref.group * courseCount + item.course);
      if (ref.unit >= 0) this.unitKeys.push(ref.unit * courseCount + item.course);
    }
    this.pushPairs(items, this.pairKeys, courseCount);
  }

  private pushPairs(
    items: readonly HistoryItem[],
    pairs: GrowableArray<Float64Array>,
    courseCount: number,
  ): void {
    const sorted = this.sorted;
    sorted.length = 0;
    sorted.push(...items);
    if (sorted.length > this.settings.maxHistoryForPairs) {
      sorted.sort((a, b) => b.atMs - a.atMs);
      sorted.length = this.settings.maxHistoryForPairs;
    }
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        const a = sorted[i]!.course;
        const b = sorted[j]!.course;
        if (a === b) continue;
        pairs.push(a < b ? a * courseCount + b : b * courseCount + a);
      }
    }
  }

  private startHistory(): void {
    this.historyStarted = true;
    this.takenCount = new Int32Array(this.courses.length);
    this.recentCount = new Int32Array(this.courses.length);
  }

  private unitOf(code: string): number {
    let index = this.unitIndex.get(code);
    if (index === undefined) {
      index = this.unitCodes.length;
      this.unitCodes.push(code);
      this.unitIndex.set(code, index);
      this.unitParentCodes.push(null);
    }
    return index;
  }

  /** Computes the counts and neighbour lists and returns the model. The builder is spent after. */
  finish(): RecommendationModel {
    if (!this.historyStarted) this.startHistory();
    const settings = this.settings;
    const courseCount = this.courses.length;

    const categories: string[] = [];
    const categoryIndex = new Map<string, number>();
    const courseCategory = Int32Array.from(this.courses, (course) => {
      let index = categoryIndex.get(course.category);
      if (index === undefined) {
        index = categories.length;
        categories.push(course.category);
        categoryIndex.set(course.category, index);
      }
      return index;
    });

    const unitParent = Int32Array.from(this.unitParentCodes, (code) =>
      code === null ? -1 : (this.unitIndex.get(code) ?? -1),
    );
    const groupSize = Int32Array.from(this.groupSize);
    const groupUnit = Int32Array.from(this.groupUnit);
    const unitSize = new Int32Array(this.unitCodes.length);
    groupUnit.forEach((unit, group) => (unitSize[unit]! += groupSize[group]!));

    return {
      builtAt: this.builtAt,
      settings,
      courses: this.courses,
      courseIndex: this.courseIndex,
      courseCategory,
      categories,
      unitCodes: this.unitCodes,
      unitIndex: this.unitIndex,
      unitParent,
      unitAssignments: this.resolveAssignments(),
      groupIndex: this.groupIndex,
      groupUnit,
      groupPost: this.groupPost,
      groupSize,
      unitSize,
      groupCourses: countPerOwner(
        this.groupKeys.view(),
        this.groupUnit.length,
        courseCount,
        settings.groupCourses,
      ),
      unitCourses: countPerOwner(
        this.unitKeys.view(),
        this.unitCodes.length,
        courseCount,
        settings.groupCourses,
      ),
      learnersWithHistory: this.learnersWithHistory,
      takenCount: this.takenCount,
      recentCount: this.recentCount,
      popular: this.popularCourses(),
      fresh: this.freshCourses(),
      alsoTaken: coOccurrenceNeighbours(
        this.pairKeys.view(),
        this.takenCount,
        settings.alsoTakenNeighbours,
        settings.minCoOccurrence,
      ),
      similar: this.hasText
        ? buildContentNeighbours(this.texts, { neighbours: settings.similarNeighbours })
        : EMPTY_NEIGHBOURS,
    };
  }

  /** Groups assignments by unit index, post-specific ones first, dropping unknown courses. */
  private resolveAssignments(): (ModelAssignment[] | undefined)[] {
    const byUnit: (ModelAssignment[] | undefined)[] = [];
    for (const assignment of this.assignments) {
      const course = this.courseIndex.get(assignment.courseId);
      const unit = this.unitIndex.get(assignment.orgUnitCode);
      if (course === undefined || unit === undefined) continue;
      const list = (byUnit[unit] ??= []);
      list.push({ course, post: assignment.post, dueOn: assignment.dueOn });
    }
    for (const list of byUnit) {
      list?.sort(
        (a, b) =>
          Number(a.post === null) - Number(b.post === null) ||
          a.dueOn.localeCompare(b.dueOn) ||
          a.course - b.course,
      );
    }
    return byUnit;
  }

  private popularCourses(): Int32Array {
    const order = Array.from(this.courses, (_, index) => index).sort(
      (a, b) =>
        this.recentCount[b]! - this.recentCount[a]! ||
        this.takenCount[b]! - this.takenCount[a]! ||
        a - b,
    );
    return Int32Array.from(order.slice(0, this.settings.fallbackCourses));
  }

  private freshCourses(): Int32Array {
    const since = this.builtAt.getTime() - this.settings.freshDays * DAY_MS;
    const order = Array.from(this.courses, (_, index) => index)
      .filter((index) => {
        const createdAtMs = this.courses[index]!.createdAtMs;
        return createdAtMs >= since && createdAtMs <= this.builtAt.getTime();
      })
      .sort((a, b) => this.courses[b]!.createdAtMs - this.courses[a]!.createdAtMs || a - b);
    return Int32Array.from(order.slice(0, this.settings.fallbackCourses));
  }
}
