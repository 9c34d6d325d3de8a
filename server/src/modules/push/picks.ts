import type { Types } from 'mongoose';
import { CourseModel } from '../catalog/course.model.js';
import { EnrolmentModel } from '../catalog/enrolment.model.js';

export interface CoursePick {
  courseId: Types.ObjectId;
  title: string;
  /** Reason for the pick, shown to the learner (Chinese). */
  reason: string;
}

export interface LearnerPicks {
  learnerId: Types.ObjectId;
  /** Best first. The weekly message names the first pick. */
  picks: CoursePick[];
}

/**
 * Source of the courses picked for learners. The push requests the picks of one batch of learners
 * at a time and sends no message to a learner without picks. The scheduled push uses the
 * recommendations module's source (RecommendationBatch.lazyPickSource). PopularCoursePicks is the
 * light source that the push tests and the send-rate benchmark use, so they measure sending rather
 * than the model.
 */
export interface PickSource {
  /** Loads what the source needs before the first batch, if anything; the run awaits it. */
  prepare?(): Promise<void>;
  /** Yields the picks of each learner that has any, in any order. */
  picksFor(learnerIds: readonly Types.ObjectId[]): AsyncIterable<LearnerPicks>;
}

/** At most this many popular courses are candidates, so a learner's enrolments fit a bit mask. */
const MAX_CANDIDATES = 30;

export const POPULAR_PICK_REASON = '同事们都在学的热门课程';

interface Candidates {
  courses: CoursePick[];
  /** Bit i set when the learner is enrolled in courses[i], by learner id in hex. */
  enrolled: Map<string, number>;
}

/**
 * Picks for each learner the most popular published course (most enrolments, then newest) that
 * they are not enrolled in. It loads everything once, on the first call: one aggregation over
 * enrolments, the published courses, and one pass over the enrolments of the candidates.
 */
export class PopularCoursePicks implements PickSource {
  private loading: Promise<Candidates> | null = null;

  constructor(private readonly candidateCount = 10) {
    if (candidateCount < 1 || candidateCount > MAX_CANDIDATES) {
      throw new Error(`invalid candidateCount ${candidateCount}: use 1 to ${MAX_CANDIDATES}`);
    }
  }

  async prepare(): Promise<void> {
    this.loading ??= this.load();
    await this.loading;
  }

  async *picksFor(learnerIds: readonly Types.ObjectId[]): AsyncIterable<LearnerPicks> {
    this.loading ??= this.load();
    const { courses, enrolled } = await this.loading;
    for (const learnerId of learnerIds) {
      const mask = enrolled.get(learnerId.toHexString()) ?? 0;
      const course = courses.find((_, index) => (mask & (1 << index)) === 0);
      if (course !== undefined) yield { learnerId, picks: [course] };
    }
  }

  private async load(): Promise<Candidates> {
    const counts = new Map<string, number>();
    const grouped = await EnrolmentModel.aggregate<{ _id: Types.ObjectId; count: number }>([
      { $group: { _id: '$courseId', count: { $sum: 1 } } },
    ]);
    for (const row of grouped) counts.set(row._id.toHexString(), row.count);

    const published = await CourseModel.find(
      { published: true },
      { title: 1, createdAt: 1 },
    ).lean();
    published.sort(
      (a, b) =>
        (counts.get(b._id.toHexString()) ?? 0) - (counts.get(a._id.toHexString()) ?? 0) ||
        b.createdAt.getTime() - a.createdAt.getTime() ||
        a._id.toHexString().localeCompare(b._id.toHexString()),
    );
    const courses = published.slice(0, this.candidateCount).map((course) => ({
      courseId: course._id,
      title: course.title,
      reason: POPULAR_PICK_REASON,
    }));

    const indexOf = new Map(courses.map((course, index) => [course.courseId.toHexString(), index]));
    const enrolled = new Map<string, number>();
    const cursor = EnrolmentModel.find({}, { learnerId: 1, courseId: 1, _id: 0 })
      .lean()
      .cursor({ batchSize: 2_000 });
    for await (const enrolment of cursor) {
      const index = indexOf.get(enrolment.courseId.toHexString());
      if (index === undefined) continue;
      const key = enrolment.learnerId.toHexString();
      enrolled.set(key, (enrolled.get(key) ?? 0) | (1 << index));
    }
    return { courses, enrolled };
  }
}
