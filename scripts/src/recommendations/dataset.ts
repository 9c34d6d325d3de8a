// In-memory learning data for offline evaluation and the in-memory batch benchmark, column-wise so
// that 600,000 learners with 3 courses each take tens of megabytes, not hundreds.
import {
  NO_GROUP,
  RecommendationModelBuilder,
  type CourseInput,
  type HistoryItem,
} from '@wxlearn/server/modules/recommendations/model-builder.js';
import type { NeighbourLists } from '@wxlearn/server/modules/recommendations/neighbour-lists.js';
import type {
  ModelSettings,
  RecommendationModel,
} from '@wxlearn/server/modules/recommendations/recommendation-model.js';
import type { LearnerContext } from '@wxlearn/server/modules/recommendations/recommender.js';

/**
 * Learners and their enrolments. Learner `i` belongs to unit `units[unit[i]]` (or none when -1)
 * with post `posts[post[i]]`, and took courses `course[offsets[i]]` … `course[offsets[i + 1] - 1]`
 * in time order, with the enrolment time in `atMs` and a completion flag in `completed`.
 */
export interface LearnerColumns {
  count: number;
  unit: Int32Array;
  post: Int32Array;
  offsets: Uint32Array;
  course: Int32Array;
  atMs: Float64Array;
  completed: Uint8Array;
}

export interface LearningDataset {
  name: string;
  /** The time of the data: popularity and freshness count back from it. */
  now: Date;
  courses: CourseInput[];
  /** Org units as [code, parent code]. */
  units: [string, string | null][];
  posts: string[];
  learners: LearnerColumns;
}

/** Indices of learner `learner`'s enrolments in the column arrays. */
export function enrolmentRange(columns: LearnerColumns, learner: number): [number, number] {
  return [columns.offsets[learner]!, columns.offsets[learner + 1]!];
}

export interface BuildOptions {
  /** Enrolments left out of the model, by enrolment index; null keeps all. */
  heldOut?: Uint8Array | null;
  settings?: Partial<ModelSettings>;
  /** Content neighbours computed earlier for the same courses, to skip recomputing them. */
  similar?: NeighbourLists;
}

/** Builds the recommendation model from a dataset, as the database build would from collections. */
export function buildDatasetModel(
  dataset: LearningDataset,
  options: BuildOptions = {},
): { model: RecommendationModel; groups: Int32Array } {
  const builder = new RecommendationModelBuilder(dataset.now, options.settings);
  for (const course of dataset.courses) {
    builder.addCourse(options.similar ? { ...course, description: undefined } : course);
  }
  for (const [code, parent] of dataset.units) builder.addUnit(code, parent);

  const { learners } = dataset;
  const groups = new Int32Array(learners.count).fill(-1);
  for (let learner = 0; learner < learners.count; learner++) {
    const unit = learners.unit[learner]!;
    if (unit < 0) continue;
    const post = learners.post[learner]!;
    const ref = builder.groupOf(dataset.units[unit]![0], post < 0 ? null : dataset.posts[post]!);
    groups[learner] = ref.group;
    builder.addMember(ref);
  }
  for (let learner = 0; learner < learners.count; learner++) {
    const items = historyOf(dataset, learner, options.heldOut ?? null);
    const group = groups[learner]!;
    builder.addHistory(group < 0 ? NO_GROUP : { group, unit: builder.unitOfGroup(group) }, items);
  }
  const model = builder.finish();
  if (options.similar) model.similar = options.similar;
  return { model, groups };
}

/** Returns a learner's distinct courses, leaving out held-out enrolments. */
export function historyOf(
  dataset: LearningDataset,
  learner: number,
  heldOut: Uint8Array | null,
): HistoryItem[] {
  const { learners } = dataset;
  const [from, to] = enrolmentRange(learners, learner);
  const items: HistoryItem[] = [];
  for (let at = from; at < to; at++) {
    if (heldOut?.[at]) continue;
    const course = learners.course[at]!;
    if (items.some((item) => item.course === course)) continue;
    items.push({ course, completed: learners.completed[at] === 1, atMs: learners.atMs[at]! });
  }
  return items;
}

/** Builds the recommender's context of a dataset learner: group, unit, post and history. */
export function datasetContext(
  dataset: LearningDataset,
  model: RecommendationModel,
  groups: Int32Array,
  learner: number,
  heldOut: Uint8Array | null,
): LearnerContext {
  const group = groups[learner]!;
  return {
    group,
    unit: group < 0 ? -1 : model.groupUnit[group]!,
    post: group < 0 ? null : model.groupPost[group] || null,
    history: historyOf(dataset, learner, heldOut),
    inProgress: [],
  };
}
