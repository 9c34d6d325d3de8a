import type { RecommendationsResponse, RecommendationView } from '@wxlearn/api-types';
import { presentCourseSummary } from '../catalog/catalog.presenter.js';
import type { CourseListItem } from '../catalog/catalog.service.js';
import type { RecommendationModel } from './recommendation-model.js';
import type { RecommendationPick } from './recommender.js';

/**
 * Presents picks with their course summaries. A pick whose course is missing from `published`
 * (unpublished since the model was built) is left out.
 */
export function presentRecommendations(
  model: RecommendationModel,
  picks: readonly RecommendationPick[],
  published: ReadonlyMap<string, CourseListItem>,
  limit: number,
): RecommendationsResponse {
  const items: RecommendationView[] = [];
  for (const pick of picks) {
    const modelCourse = model.courses[pick.course]!;
    const course = published.get(modelCourse.id);
    if (!course) continue;
    const lesson = pick.lesson === null ? undefined : modelCourse.lessons[pick.lesson];
    items.push({
      course: presentCourseSummary(course),
      kind: pick.kind,
      reason: pick.reason,
      score: Math.round(pick.score * 10_000) / 10_000,
      nextLesson: lesson ? { id: lesson.id, title: lesson.title } : null,
      dueOn: pick.dueOn,
    });
    if (items.length === limit) break;
  }
  return { items, modelBuiltAt: model.builtAt.toISOString() };
}
