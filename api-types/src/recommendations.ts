// Course recommendations of `GET /api/me/recommendations`: the learner's top picks, each with a
// short Chinese reason taken from the signal that contributed most to its score.
import type { CourseSummary } from './catalog.js';

/**
 * The signal behind a pick:
 * - `required`: assigned to the learner's unit (or a unit above it) and not completed yet;
 * - `continue`: a course in progress, picked with its next lesson;
 * - `peers`: taken by learners of the same unit and post;
 * - `alsoTaken`: often taken together with a course the learner took;
 * - `similar`: its title and description are close to a course the learner took;
 * - `popular`: many recent enrolments;
 * - `new`: published recently;
 * - `other`: no signal is strong enough to name.
 */
export type RecommendationKind =
  'required' | 'continue' | 'peers' | 'alsoTaken' | 'similar' | 'popular' | 'new' | 'other';

export interface RecommendationView {
  course: CourseSummary;
  kind: RecommendationKind;
  /** One short Chinese phrase shown under the course, such as `同部门 32 人在学`. */
  reason: string;
  /** Ranking score; required courses score above 100, courses in progress above 50. */
  score: number;
  /** The lesson to open: the next unfinished lesson of a course in progress, else null. */
  nextLesson: { id: string; title: string } | null;
  /** Due date of a required course, `YYYY-MM-DD` in Asia/Shanghai; null for other picks. */
  dueOn: string | null;
}

/** Response of `GET /api/me/recommendations`. */
export interface RecommendationsResponse {
  items: RecommendationView[];
  /** When the shared recommendation model behind these picks was built. */
  modelBuiltAt: string;
}
