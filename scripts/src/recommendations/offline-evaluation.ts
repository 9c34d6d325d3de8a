// Offline evaluation by leave-last-out: each learner's last enrolment is hidden, the model is
// built without it, and the hidden course is looked for in the learner's top k. Learners are
// split into folds. A fold's learners lose their last enrolment while every other learner keeps a
// full history, so a learner with one enrolment is still evaluated (from unit and post alone).
import type { RecommendationModel } from '@wxlearn/server/modules/recommendations/recommendation-model.js';
import { Recommender } from '@wxlearn/server/modules/recommendations/recommender.js';
import {
  buildDatasetModel,
  datasetContext,
  enrolmentRange,
  type LearningDataset,
} from './dataset.js';
import type { NeighbourLists } from '@wxlearn/server/modules/recommendations/neighbour-lists.js';

export const CUTOFFS = [1, 3, 10] as const;

export interface RankingMetrics {
  learners: number;
  /** Hit rate at 1, 3 and 10: share of learners whose hidden course is in their top k. */
  hitRate: Record<(typeof CUTOFFS)[number], number>;
  /** Mean NDCG@10 with one relevant item: 1 / log2(rank + 1) when ranked within 10, else 0. */
  ndcg10: number;
}

/** Sums hits and discounted gains of ranked lists, one hidden course per learner. */
export class MetricAccumulator {
  private learners = 0;
  private readonly hits = new Map<number, number>(CUTOFFS.map((cutoff) => [cutoff, 0]));
  private gain = 0;

  /** Adds one learner: `rank` is the 1-based rank of the hidden course, null when not listed. */
  add(rank: number | null): void {
    this.learners++;
    if (rank === null) return;
    for (const cutoff of CUTOFFS)
      if (rank <= cutoff) this.hits.set(cutoff, this.hits.get(cutoff)! + 1);
    if (rank <= 10) this.gain += 1 / Math.log2(rank + 1);
  }

  result(): RankingMetrics {
    const share = (value: number) => (this.learners === 0 ? 0 : value / this.learners);
    return {
      learners: this.learners,
      hitRate: {
        1: share(this.hits.get(1)!),
        3: share(this.hits.get(3)!),
        10: share(this.hits.get(10)!),
      },
      ndcg10: share(this.gain),
    };
  }
}

/**
 * Paired comparison of two rankers on the same learners at one cutoff: learners only the first
 * ranker hit, learners only the second hit, and McNemar's test of the difference (chi-square with
 * continuity correction, 1 degree of freedom).
 */
export class PairedHits {
  onlyFirst = 0;
  onlySecond = 0;

  add(firstRank: number | null, secondRank: number | null, cutoff: number): void {
    const first = firstRank !== null && firstRank <= cutoff;
    const second = secondRank !== null && secondRank <= cutoff;
    if (first && !second) this.onlyFirst++;
    if (second && !first) this.onlySecond++;
  }

  /**
   * Returns the two-sided p-value of McNemar's test: 1 when each learner was hit by both rankers
   * or by neither.
   */
  pValue(): number {
    const discordant = this.onlyFirst + this.onlySecond;
    if (discordant === 0) return 1;
    const chiSquare = Math.max(0, Math.abs(this.onlyFirst - this.onlySecond) - 1) ** 2 / discordant;
    return complementaryErrorFunction(Math.sqrt(chiSquare / 2));
  }
}

/** Computes erfc(x) for x ≥ 0 by Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7. */
export function complementaryErrorFunction(x: number): number {
  const t = 1 / (1 + 0.3275911 * x);
  const polynomial =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return polynomial * Math.exp(-x * x);
}

/** 1-based rank of `item` in `ranked`, or null. */
export function rankOf(ranked: readonly number[], item: number): number | null {
  const index = ranked.indexOf(item);
  return index < 0 ? null : index + 1;
}

/** Courses by training enrolments, most first: the popularity baseline's order. */
export function popularityOrder(model: RecommendationModel): number[] {
  return Array.from(model.courses, (_, index) => index).sort(
    (a, b) => model.takenCount[b]! - model.takenCount[a]! || a - b,
  );
}

/** Returns the first `k` courses of `order` that are not in `exclude`. */
export function topExcluding(order: readonly number[], exclude: ReadonlySet<number>, k: number) {
  const top: number[] = [];
  for (const course of order) {
    if (top.length === k) break;
    if (!exclude.has(course)) top.push(course);
  }
  return top;
}

/** Deterministic fold of a learner: a multiplicative hash of the index, so folds are mixed. */
export function foldOf(learner: number, folds: number): number {
  return (Math.imul(learner + 1, 0x9e3779b1) >>> 0) % folds;
}

export const VARIANTS = ['popularity', 'recommender', 'recommender without category cap'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface EvaluationResult {
  dataset: string;
  folds: number;
  /** Learners with at least one enrolment, each evaluated once. */
  learners: number;
  /** Courses a learner could be offered, on average: the catalog minus their training history. */
  meanCandidates: number;
  metrics: Record<Variant, RankingMetrics>;
  /** The shipped recommender (first) against popularity (second), at 1 and at 10. */
  paired: Record<1 | 10, PairedHits>;
  durationMs: number;
}

export interface EvaluationOptions {
  folds?: number;
  /** Content neighbours computed once for the dataset's courses, reused by every fold. */
  similar?: NeighbourLists;
  onFold?: (fold: number, durationMs: number) => void;
}

const K = 10;

/** Evaluates the popularity baseline and the recommender on the same folds and hidden courses. */
export function evaluate(
  dataset: LearningDataset,
  options: EvaluationOptions = {},
): EvaluationResult {
  const started = performance.now();
  const folds = options.folds ?? 5;
  const { learners } = dataset;
  const accumulators = Object.fromEntries(
    VARIANTS.map((variant) => [variant, new MetricAccumulator()]),
  ) as Record<Variant, MetricAccumulator>;
  const paired = { 1: new PairedHits(), 10: new PairedHits() };
  let candidateSum = 0;
  let evaluated = 0;

  for (let fold = 0; fold < folds; fold++) {
    const foldStarted = performance.now();
    const heldOut = new Uint8Array(learners.course.length);
    for (let learner = 0; learner < learners.count; learner++) {
      const [from, to] = enrolmentRange(learners, learner);
      if (to > from && foldOf(learner, folds) === fold) heldOut[to - 1] = 1;
    }
    const { model, groups } = buildDatasetModel(dataset, { heldOut, similar: options.similar });
    const recommender = new Recommender(model);
    const byPopularity = popularityOrder(model);

    for (let learner = 0; learner < learners.count; learner++) {
      const [from, to] = enrolmentRange(learners, learner);
      if (to === from || foldOf(learner, folds) !== fold) continue;
      const hidden = learners.course[to - 1]!;
      const context = datasetContext(dataset, model, groups, learner, heldOut);
      const seen = new Set(context.history.map((item) => item.course));
      // A learner who took the hidden course earlier too cannot be offered it again.
      if (seen.has(hidden)) continue;
      evaluated++;
      candidateSum += model.courses.length - seen.size;

      const popularityRank = rankOf(topExcluding(byPopularity, seen, K), hidden);
      accumulators.popularity.add(popularityRank);
      const capped = recommender.recommend(context, { limit: K });
      const recommenderRank = rankOf(
        capped.map((pick) => pick.course),
        hidden,
      );
      accumulators.recommender.add(recommenderRank);
      paired[1].add(recommenderRank, popularityRank, 1);
      paired[10].add(recommenderRank, popularityRank, 10);
      const uncapped = recommender.recommend(context, { limit: K, maxPerCategory: K });
      accumulators['recommender without category cap'].add(
        rankOf(
          uncapped.map((pick) => pick.course),
          hidden,
        ),
      );
    }
    options.onFold?.(fold, performance.now() - foldStarted);
  }

  return {
    dataset: dataset.name,
    folds,
    learners: evaluated,
    meanCandidates: evaluated === 0 ? 0 : candidateSum / evaluated,
    metrics: Object.fromEntries(
      VARIANTS.map((variant) => [variant, accumulators[variant].result()]),
    ) as Record<Variant, RankingMetrics>,
    paired,
    durationMs: performance.now() - started,
  };
}
