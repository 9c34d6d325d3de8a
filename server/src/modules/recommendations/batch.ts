// Recommendations for every learner, for the weekly push: builds a fresh model, reads the lesson
// progress of learners who have studied, then streams the learners with a cursor and yields each
// learner's picks. Nothing is stored; the caller sends or discards each result as it comes.
import type { RecommendationKind } from '@wxlearn/api-types';
import { Types } from 'mongoose';
import type { Logger } from '../../logger.js';
import { LearnerModel } from '../learners/learner.model.js';
import { LessonProgressModel } from '../learning/lesson-progress.model.js';
import { inProgressCourses, type ProgressRecord } from './learner-records.js';
import {
  LearnerProgressRows,
  type BoundLearnerTable,
  type LearnerHistoryTable,
  type LearnerProgressTable,
} from './learner-tables.js';
import { buildModelFromDatabase, type DatabaseBuildStats } from './model-from-database.js';
import type { ModelSettings, RecommendationModel } from './recommendation-model.js';
import { Recommender, type RecommendationPick } from './recommender.js';
import { readAhead } from './read-ahead.js';

const CURSOR_BATCH_SIZE = 2000;

export interface BatchPick {
  courseId: string;
  score: number;
  /** Chinese phrase for the learner, such as `同部门 32 人在学`. */
  reason: string;
  kind: RecommendationKind;
  /** Lesson to open for a course in progress, else null. */
  lessonId: string | null;
  /** `YYYY-MM-DD` for a required course, else null. */
  dueOn: string | null;
}

export interface LearnerPicks {
  learnerId: string;
  /** Best first; empty when the catalog has nothing to offer the learner. */
  picks: BatchPick[];
}

export interface BatchOptions {
  logger: Logger;
  /** The time of the run: recent popularity, new courses and due dates count from it. */
  now?: Date;
  /** Picks per learner; 5 by default. */
  limit?: number;
  settings?: Partial<ModelSettings>;
  /** Called by recommendForAllLearners once the model is built, before the first learner. */
  onModelBuilt?: (model: RecommendationModel, stats: DatabaseBuildStats) => void;
}

/** Converts a pick to ids the push can store and send. */
export function toBatchPick(model: RecommendationModel, pick: RecommendationPick): BatchPick {
  const course = model.courses[pick.course]!;
  return {
    courseId: course.id,
    score: pick.score,
    reason: pick.reason,
    kind: pick.kind,
    lessonId: pick.lesson === null ? null : (course.lessons[pick.lesson]?.id ?? null),
    dueOn: pick.dueOn,
  };
}

/**
 * Reads the progress records that show study (credited time or a completed lesson) of courses and
 * lessons in the model, grouped by learner.
 */
async function readProgress(model: RecommendationModel): Promise<LearnerProgressTable> {
  const lessonIndex = new Map<string, number>();
  for (const course of model.courses) {
    course.lessons.forEach((lesson, index) => lessonIndex.set(lesson.id, index));
  }
  const rows = new LearnerProgressRows();
  const cursor = LessonProgressModel.find(
    {},
    { _id: 0, learnerId: 1, courseId: 1, lessonId: 1, complete: 1, creditedMs: 1, computedAt: 1 },
  )
    .lean()
    .cursor({ batchSize: CURSOR_BATCH_SIZE });
  for await (const record of readAhead(cursor, 2 * CURSOR_BATCH_SIZE)) {
    if (record.creditedMs <= 0 && !record.complete) continue;
    const course = model.courseIndex.get(record.courseId.toHexString());
    const lesson = lessonIndex.get(record.lessonId.toHexString());
    if (course === undefined || lesson === undefined) continue;
    rows.add(record.learnerId.toHexString(), {
      course,
      lesson,
      complete: record.complete,
      computedAtMs: record.computedAt.getTime(),
    });
  }
  return rows.toTable();
}

/** Turns a learner's progress rows back into the records that inProgressCourses reads. */
function progressRecords(
  model: RecommendationModel,
  progress: LearnerProgressTable,
  learnerId: string,
): ProgressRecord[] {
  return progress.progressOf(learnerId).map((row) => {
    const course = model.courses[row.course]!;
    return {
      courseId: course.id,
      lessonId: course.lessons[row.lesson]!.id,
      complete: row.complete,
      creditedMs: 1,
      computedAt: new Date(row.computedAtMs),
    };
  });
}

/** A course pick in the shape of the weekly push's PickSource (push/picks.ts), plus the details. */
export interface PushCoursePick extends Omit<BatchPick, 'courseId'> {
  courseId: Types.ObjectId;
  title: string;
}

export interface PushLearnerPicks {
  learnerId: Types.ObjectId;
  picks: PushCoursePick[];
}

/**
 * Everything the batch needs in memory: the model and compact per-learner tables of groups,
 * histories and progress (about 25 MB at 600,000 learners with 3 courses each, measured by
 * scripts/bench/recommendations.ts), not the learner documents. Computes any learner's picks
 * without a query.
 */
export class RecommendationBatch {
  private readonly recommender: Recommender;

  private constructor(
    readonly model: RecommendationModel,
    readonly stats: DatabaseBuildStats,
    private readonly boundLearners: BoundLearnerTable,
    private readonly histories: LearnerHistoryTable,
    private readonly progress: LearnerProgressTable,
    private readonly now: Date,
    private readonly limit: number | undefined,
  ) {
    this.recommender = new Recommender(model);
  }

  /** Reads every collection once, as of `options.now`. */
  static async load(options: BatchOptions): Promise<RecommendationBatch> {
    const now = options.now ?? new Date();
    const build = await buildModelFromDatabase({
      now,
      logger: options.logger,
      keepLearnerTables: true,
      settings: options.settings,
    });
    const progress = await readProgress(build.model);
    return new RecommendationBatch(
      build.model,
      build.stats,
      build.boundLearners!,
      build.histories!,
      progress,
      now,
      options.limit,
    );
  }

  /** Picks of one learner, best first, from the data as read by `load`. */
  picksOf(learnerId: string): BatchPick[] {
    const model = this.model;
    const history = this.histories.historyOf(learnerId);
    const records = progressRecords(model, this.progress, learnerId);
    const group = this.boundLearners.groupOf(learnerId);
    const picks = this.recommender.recommend(
      {
        group,
        unit: group < 0 ? -1 : model.groupUnit[group]!,
        post: group < 0 ? null : model.groupPost[group] || null,
        history,
        inProgress: inProgressCourses(model, history, records),
      },
      { limit: this.limit, now: this.now },
    );
    return picks.map((pick) => toBatchPick(model, pick));
  }

  /**
   * Returns a PickSource for the weekly push (push/picks.ts) that loads the batch in `prepare`,
   * or on its first call, so the push can create it synchronously and pay for the load only when
   * it sends.
   */
  static lazyPickSource(options: BatchOptions): {
    prepare(): Promise<void>;
    picksFor(learnerIds: readonly Types.ObjectId[]): AsyncIterable<PushLearnerPicks>;
  } {
    let loading: Promise<RecommendationBatch> | undefined;
    return {
      async prepare() {
        loading ??= RecommendationBatch.load(options);
        await loading;
      },
      async *picksFor(learnerIds) {
        loading ??= RecommendationBatch.load(options);
        yield* (await loading).picksFor(learnerIds);
      },
    };
  }

  /**
   * Yields the picks of each learner that has any, as the weekly push's PickSource (push/picks.ts)
   * expects. Each course pick carries its title, because the push's message names the first pick.
   */
  async *picksFor(learnerIds: readonly Types.ObjectId[]): AsyncIterable<PushLearnerPicks> {
    for (const learnerId of learnerIds) {
      const picks = this.picksOf(learnerId.toHexString());
      if (picks.length === 0) continue;
      yield {
        learnerId,
        picks: picks.map((pick) => {
          const course = this.model.courses[this.model.courseIndex.get(pick.courseId)!]!;
          return { ...pick, courseId: new Types.ObjectId(pick.courseId), title: course.title };
        }),
      };
    }
  }
}

/**
 * Yields every learner's picks, in storage order, streaming the learners with a cursor.
 *
 * ```ts
 * for await (const { learnerId, picks } of recommendForAllLearners({ logger })) { ... }
 * ```
 */
export async function* recommendForAllLearners(
  options: BatchOptions,
): AsyncGenerator<LearnerPicks> {
  const batch = await RecommendationBatch.load(options);
  options.onModelBuilt?.(batch.model, batch.stats);
  const learners = readAhead(
    LearnerModel.find({}, { _id: 1 }).lean().cursor({ batchSize: CURSOR_BATCH_SIZE }),
    2 * CURSOR_BATCH_SIZE,
  );

  const started = performance.now();
  let count = 0;
  try {
    for await (const learner of learners) {
      const learnerId = learner._id.toHexString();
      count++;
      yield { learnerId, picks: batch.picksOf(learnerId) };
    }
  } finally {
    await learners.return(undefined);
    options.logger.info(
      { learners: count, learnerPassMs: Math.round(performance.now() - started) },
      'recommendation batch finished',
    );
  }
}
