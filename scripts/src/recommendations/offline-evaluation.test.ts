import { describe, expect, it } from 'vitest';
import type { LearningDataset } from './dataset.js';
import {
  complementaryErrorFunction,
  evaluate,
  PairedHits,
  foldOf,
  MetricAccumulator,
  rankOf,
  topExcluding,
} from './offline-evaluation.js';

describe('MetricAccumulator', () => {
  it('computes hit rates and NDCG@10 over learners', () => {
    const metrics = new MetricAccumulator();
    metrics.add(1);
    metrics.add(3);
    metrics.add(10);
    metrics.add(null);
    const result = metrics.result();
    expect(result.learners).toBe(4);
    expect(result.hitRate[1]).toBe(0.25);
    expect(result.hitRate[3]).toBe(0.5);
    expect(result.hitRate[10]).toBe(0.75);
    expect(result.ndcg10).toBeCloseTo((1 + 1 / Math.log2(4) + 1 / Math.log2(11)) / 4, 12);
  });

  it('counts a rank past 10 as a miss', () => {
    const metrics = new MetricAccumulator();
    metrics.add(11);
    expect(metrics.result().hitRate[10]).toBe(0);
    expect(metrics.result().ndcg10).toBe(0);
  });
});

describe('PairedHits', () => {
  it('counts learners only one ranker hit', () => {
    const paired = new PairedHits();
    paired.add(1, null, 10);
    paired.add(2, 11, 10);
    paired.add(null, 3, 10);
    paired.add(4, 5, 10);
    expect(paired.onlyFirst).toBe(2);
    expect(paired.onlySecond).toBe(1);
  });

  it('matches the chi-square tail for a known split', () => {
    // 30 against 10 discordant learners: chi-square (|30 - 10| - 1)^2 / 40 = 9.025, p = 0.00266.
    const paired = new PairedHits();
    paired.onlyFirst = 30;
    paired.onlySecond = 10;
    expect(paired.pValue()).toBeCloseTo(0.00266, 4);
  });

  it('gives p = 1 without discordant learners', () => {
    expect(new PairedHits().pValue()).toBe(1);
  });

  it('computes erfc within its stated error', () => {
    expect(complementaryErrorFunction(0)).toBeCloseTo(1, 6);
    expect(complementaryErrorFunction(1)).toBeCloseTo(0.157299207, 6);
  });
});

describe('ranking helpers', () => {
  it('ranks from 1 and returns null when absent', () => {
    expect(rankOf([7, 3, 5], 5)).toBe(3);
    expect(rankOf([7, 3, 5], 9)).toBeNull();
  });

  it('skips excluded courses in popularity order', () => {
    expect(topExcluding([4, 2, 9, 1, 0], new Set([2, 1]), 2)).toEqual([4, 9]);
  });

  it('spreads learners over every fold', () => {
    const counts = [0, 0, 0, 0, 0];
    for (let learner = 0; learner < 10_000; learner++) counts[foldOf(learner, 5)]!++;
    for (const count of counts) expect(count).toBeGreaterThan(1_800);
  });
});

/**
 * Two units whose learners each take their unit's own two courses, plus one globally popular
 * course everyone takes first. Hiding the last enrolment leaves the unit's second course to find:
 * popularity cannot tell the units apart, the peers signal can.
 */
function twoUnitDataset(): LearningDataset {
  const units: [string, null][] = [
    ['A', null],
    ['B', null],
  ];
  const unit: number[] = [];
  const offsets = [0];
  const course: number[] = [];
  const atMs: number[] = [];
  for (let learner = 0; learner < 200; learner++) {
    const home = learner % 2;
    unit.push(home);
    // Course 0 is everyone's; unit A takes 1 then 2, unit B takes 3 then 4.
    const own = home === 0 ? [1, 2] : [3, 4];
    const taken = [0, ...own];
    taken.forEach((index, k) => {
      course.push(index);
      atMs.push(1_000_000 + k * 1_000);
    });
    offsets.push(course.length);
  }
  return {
    name: 'two units',
    now: new Date(2_000_000),
    courses: [0, 1, 2, 3, 4, 5].map((index) => ({
      id: `c${index}`,
      code: `c${index}`,
      title: `课程${index}`,
      category: `类别${index}`,
      createdAt: new Date(0),
    })),
    units,
    posts: ['岗位'],
    learners: {
      count: unit.length,
      unit: Int32Array.from(unit),
      post: new Int32Array(unit.length),
      offsets: Uint32Array.from(offsets),
      course: Int32Array.from(course),
      atMs: Float64Array.from(atMs),
      completed: new Uint8Array(course.length),
    },
  };
}

describe('evaluate', () => {
  const result = evaluate(twoUnitDataset(), { folds: 5 });

  it('evaluates every learner once', () => {
    expect(result.learners).toBe(200);
    expect(result.metrics.popularity.learners).toBe(200);
    expect(result.metrics.recommender.learners).toBe(200);
  });

  it('finds the unit course first with the recommender', () => {
    expect(result.metrics.recommender.hitRate[1]).toBe(1);
  });

  it('never ranks it first with popularity', () => {
    // The other unit's first course is never hidden, so it outnumbers the hidden course.
    expect(result.metrics.popularity.hitRate[1]).toBe(0);
    expect(result.metrics.popularity.hitRate[3]).toBe(1);
  });

  it('counts the catalog minus the history as candidates', () => {
    expect(result.meanCandidates).toBe(4);
  });
});
