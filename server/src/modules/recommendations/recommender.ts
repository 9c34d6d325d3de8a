// Ranks courses for one learner from the shared model and the learner's own records.
//
// Order of the list:
// 1. required courses of the learner's unit and post that are not completed, earliest due first;
// 2. up to MAX_CONTINUE_PICKS courses in progress, most recently studied first, each with its next
//    lesson;
// 3. other courses the learner has neither enrolled in nor completed, by the weighted sum of
//    SIGNAL_WEIGHTS, at most `maxPerCategory` per category unless too few other courses remain.
// Each pick's reason comes from its strongest signal that can be shown (reasons.ts).
import type { RecommendationKind } from '@wxlearn/api-types';
import { shanghaiDate } from '../hours/calendar.js';
import type { HistoryItem } from './model-builder.js';
import type { ModelAssignment, RecommendationModel } from './recommendation-model.js';
import {
  alsoTakenReason,
  continueReason,
  NEW_REASON,
  OTHER_REASON,
  peersReason,
  POPULAR_REASON,
  requiredReason,
  similarReason,
} from './reasons.js';

const DAY_MS = 86_400_000;

/** A course the learner has studied in but not completed, with its next lesson. */
export interface InProgressCourse {
  course: number;
  /** Index into the course's `lessons`. */
  nextLesson: number;
  lastStudiedAtMs: number;
}

/** One learner's data as the recommender uses it. Indices refer to the model. */
export interface LearnerContext {
  /** (unit, post) group, -1 when unbound or when the group is newer than the model. */
  group: number;
  /** The employee's unit, -1 when unbound or unknown to the model. */
  unit: number;
  post: string | null;
  /** Distinct courses enrolled in or completed. */
  history: readonly HistoryItem[];
  inProgress: readonly InProgressCourse[];
}

export interface RecommendationPick {
  course: number;
  kind: RecommendationKind;
  reason: string;
  score: number;
  /** Index into the course's `lessons` of the lesson to open, or null. */
  lesson: number | null;
  /** Due date of a required course, else null. */
  dueOn: string | null;
}

/** Weights of the signals that rank courses outside the required and in-progress ones. */
export interface SignalWeights {
  /** Share of the learner's group (smoothed toward the unit, then everyone) who took the course. */
  peers: number;
  /** Co-occurrence with the learner's courses, summed over them. */
  alsoTaken: number;
  /** Best content similarity to one of the learner's courses. */
  similar: number;
  /** Recent enrolments, on a log scale; a tie-breaker. */
  popular: number;
  /** Created within the model's `freshDays`, newer scoring higher; a tie-breaker. */
  new: number;
}

/**
 * Peers count most because learners of one unit and post share duties and assignments. Each of
 * the first three signals is scaled to [0, 1] per learner before weighting (NORMALISATION_FLOOR).
 * NOTE: the weights were set by judgment and checked, not fitted, on the offline evaluation
 * (scripts/bench/recommendations-eval.ts).
 */
export const SIGNAL_WEIGHTS: Readonly<SignalWeights> = {
  peers: 1,
  alsoTaken: 0.8,
  similar: 0.5,
  popular: 0.2,
  new: 0.15,
};

/**
 * Each of peers, alsoTaken and similar is divided by its maximum over the learner's candidates, but
 * by at least this floor, so a weak signal (2% of peers) is not blown up to a full score.
 */
const NORMALISATION_FLOOR = { peers: 0.05, alsoTaken: 0.05, similar: 0.1 } as const;

export const REQUIRED_SCORE = 100;
export const CONTINUE_SCORE = 50;
export const MAX_CONTINUE_PICKS = 2;
/** Pseudo-learners that pull a group's share toward its unit's, and a unit's toward everyone's. */
const SMOOTHING_LEARNERS = 20;
/** A peers reason needs this many learners of the unit, so it never names a single colleague. */
const MIN_PEERS_FOR_REASON = 2;
/** A course learned but not completed counts this much toward neighbours; a completed one 1. */
const ENROLLED_WEIGHT = 0.7;
/** Candidates kept per limit slot before the category cap, so the cap has others to choose. */
const CANDIDATES_PER_SLOT = 6;

export interface RecommendOptions {
  /** Picks returned; 5 by default. */
  limit?: number;
  /** Most picks of one category; by default 40% of the limit, rounded up (2 of 5). */
  maxPerCategory?: number;
  /** The current time, for due dates; default the model's build time. */
  now?: Date;
}

const EXCLUDED = 1;
const COMPLETED = 2;
const CHOSEN = 4;
const TOUCHED = 8;

/**
 * Scores learners against one model. It keeps scratch arrays sized to the catalog and reuses them
 * for every learner, so one instance must not score two learners at once (it is synchronous).
 */
export class Recommender {
  private readonly state: Uint8Array;
  private readonly touched: Int32Array;
  private touchedCount = 0;
  private readonly groupCount: Int32Array;
  private readonly unitCount: Int32Array;
  private readonly alsoTaken: Float64Array;
  private readonly alsoTakenFrom: Int32Array;
  private readonly alsoTakenBest: Float64Array;
  private readonly similar: Float64Array;
  private readonly similarFrom: Int32Array;
  private readonly total: Float64Array;
  private readonly popularity: Float64Array;
  private readonly maxPopularity: number;
  private readonly weights: SignalWeights;
  /** The current learner's divisors of the peers, alsoTaken and similar signals. */
  private normalisers: Record<keyof typeof NORMALISATION_FLOOR, number> = {
    ...NORMALISATION_FLOOR,
  };

  constructor(
    private readonly model: RecommendationModel,
    weights: Partial<SignalWeights> = {},
  ) {
    const courseCount = model.courses.length;
    this.state = new Uint8Array(courseCount);
    this.touched = new Int32Array(courseCount);
    this.groupCount = new Int32Array(courseCount);
    this.unitCount = new Int32Array(courseCount);
    this.alsoTaken = new Float64Array(courseCount);
    this.alsoTakenFrom = new Int32Array(courseCount).fill(-1);
    this.alsoTakenBest = new Float64Array(courseCount);
    this.similar = new Float64Array(courseCount);
    this.similarFrom = new Int32Array(courseCount).fill(-1);
    this.total = new Float64Array(courseCount);
    // Recent enrolments decide; all-time ones (scaled down) order courses with equal recent counts.
    this.popularity = Float64Array.from(
      model.recentCount,
      (recent, course) => recent + model.takenCount[course]! / 1000,
    );
    this.maxPopularity = this.popularity.reduce((max, value) => Math.max(max, value), 0);
    this.weights = { ...SIGNAL_WEIGHTS, ...weights };
  }

  /** Returns the learner's picks, best first. */
  recommend(context: LearnerContext, options: RecommendOptions = {}): RecommendationPick[] {
    const limit = options.limit ?? 5;
    const maxPerCategory = options.maxPerCategory ?? Math.max(1, Math.ceil(limit * 0.4));
    const nowMs = (options.now ?? this.model.builtAt).getTime();
    try {
      this.markHistory(context);
      const picks = this.requiredPicks(context, nowMs);
      this.addContinuePicks(context, picks, nowMs);
      if (picks.length >= limit) return picks.slice(0, limit);

      this.collectCandidates(context);
      const ranked = this.rankCandidates(context, limit * CANDIDATES_PER_SLOT);
      this.addDiversePicks(ranked, picks, limit, maxPerCategory);
      return picks.map((pick) => (pick.kind === 'other' ? this.explain(pick, context) : pick));
    } finally {
      this.reset();
    }
  }

  private touch(course: number): void {
    if ((this.state[course]! & TOUCHED) === 0) {
      this.state[course]! |= TOUCHED;
      this.touched[this.touchedCount++] = course;
    }
  }

  private markHistory(context: LearnerContext): void {
    for (const item of context.history) {
      this.touch(item.course);
      this.state[item.course]! |= EXCLUDED | (item.completed ? COMPLETED : 0);
    }
  }

  /** Required courses not completed, from the learner's unit up to the root; deepest unit wins. */
  private requiredPicks(context: LearnerContext, nowMs: number): RecommendationPick[] {
    const chosen = new Map<number, ModelAssignment>();
    for (let unit = context.unit, depth = 0; unit >= 0 && depth < 64; depth++) {
      for (const assignment of this.model.unitAssignments[unit] ?? []) {
        if (assignment.post !== null && assignment.post !== context.post) continue;
        if ((this.state[assignment.course]! & COMPLETED) !== 0) continue;
        if (!chosen.has(assignment.course)) chosen.set(assignment.course, assignment);
      }
      unit = this.model.unitParent[unit]!;
    }

    const today = shanghaiDate(nowMs);
    const ordered = [...chosen.values()].sort(
      (a, b) => a.dueOn.localeCompare(b.dueOn) || a.course - b.course,
    );
    const inProgress = new Map(context.inProgress.map((entry) => [entry.course, entry]));
    return ordered.map((assignment) => {
      this.touch(assignment.course);
      this.state[assignment.course]! |= CHOSEN;
      const daysLeft = Math.max(0, (Date.parse(assignment.dueOn) - Date.parse(today)) / DAY_MS);
      return {
        course: assignment.course,
        kind: 'required',
        reason: requiredReason(assignment.dueOn, today),
        score: REQUIRED_SCORE + 1 / (1 + daysLeft / 30),
        lesson: inProgress.get(assignment.course)?.nextLesson ?? null,
        dueOn: assignment.dueOn,
      };
    });
  }

  private addContinuePicks(
    context: LearnerContext,
    picks: RecommendationPick[],
    nowMs: number,
  ): void {
    const open = context.inProgress
      .filter((entry) => (this.state[entry.course]! & (COMPLETED | CHOSEN)) === 0)
      .sort((a, b) => b.lastStudiedAtMs - a.lastStudiedAtMs || a.course - b.course)
      .slice(0, MAX_CONTINUE_PICKS);
    for (const entry of open) {
      this.touch(entry.course);
      this.state[entry.course]! |= CHOSEN;
      const lesson = this.model.courses[entry.course]!.lessons[entry.nextLesson];
      const idleDays = Math.max(0, (nowMs - entry.lastStudiedAtMs) / DAY_MS);
      picks.push({
        course: entry.course,
        kind: 'continue',
        reason: continueReason(lesson?.title ?? ''),
        score: CONTINUE_SCORE + 1 / (1 + idleDays / 7),
        lesson: entry.nextLesson,
        dueOn: null,
      });
    }
  }

  /** Scatters every signal into the scratch arrays and touches each course it names. */
  private collectCandidates(context: LearnerContext): void {
    const model = this.model;
    const scatterCounts = (
      lists: RecommendationModel['groupCourses'],
      owner: number,
      into: Int32Array,
    ) => {
      if (owner < 0) return;
      for (let at = lists.offsets[owner]!; at < lists.offsets[owner + 1]!; at++) {
        const course = lists.courses[at]!;
        into[course] = lists.counts[at]!;
        this.touch(course);
      }
    };
    scatterCounts(model.groupCourses, context.group, this.groupCount);
    scatterCounts(model.unitCourses, context.unit, this.unitCount);

    for (const item of context.history) {
      const weight = item.completed ? 1 : ENROLLED_WEIGHT;
      const alsoTaken = model.alsoTaken;
      for (
        let at = alsoTaken.offsets[item.course]!;
        at < alsoTaken.offsets[item.course + 1]!;
        at++
      ) {
        const course = alsoTaken.items[at]!;
        const value = weight * alsoTaken.scores[at]!;
        this.touch(course);
        this.alsoTaken[course]! += value;
        if (value > this.alsoTakenBest[course]!) {
          this.alsoTakenBest[course] = value;
          this.alsoTakenFrom[course] = item.course;
        }
      }
      const similar = model.similar;
      for (let at = similar.offsets[item.course]!; at < similar.offsets[item.course + 1]!; at++) {
        const course = similar.items[at]!;
        const value = weight * similar.scores[at]!;
        this.touch(course);
        if (value > this.similar[course]!) {
          this.similar[course] = value;
          this.similarFrom[course] = item.course;
        }
      }
    }
    for (const course of model.popular) this.touch(course);
    for (const course of model.fresh) this.touch(course);
  }

  /** Share of the learner's peers who took a course, smoothed toward the unit and everyone. */
  private peerShare(context: LearnerContext, course: number): number {
    const model = this.model;
    const everyone = model.takenCount[course]! / Math.max(1, model.learnersWithHistory);
    if (context.unit < 0) return 0;
    const unit =
      (this.unitCount[course]! + SMOOTHING_LEARNERS * everyone) /
      (model.unitSize[context.unit]! + SMOOTHING_LEARNERS);
    if (context.group < 0) return unit;
    return (
      (this.groupCount[course]! + SMOOTHING_LEARNERS * unit) /
      (model.groupSize[context.group]! + SMOOTHING_LEARNERS)
    );
  }

  private freshness(course: number): number {
    const ageDays =
      (this.model.builtAt.getTime() - this.model.courses[course]!.createdAtMs) / DAY_MS;
    const window = this.model.settings.freshDays;
    return ageDays >= 0 && ageDays <= window ? 1 - ageDays / window : 0;
  }

  private popularityScore(course: number): number {
    if (this.maxPopularity <= 0) return 0;
    return Math.log1p(this.popularity[course]!) / Math.log1p(this.maxPopularity);
  }

  /** Scores every open candidate and returns the best `keep` of them, best first. */
  private rankCandidates(context: LearnerContext, keep: number): number[] {
    const candidates: number[] = [];
    let maxPeers: number = NORMALISATION_FLOOR.peers;
    let maxAlsoTaken: number = NORMALISATION_FLOOR.alsoTaken;
    let maxSimilar: number = NORMALISATION_FLOOR.similar;
    for (let k = 0; k < this.touchedCount; k++) {
      const course = this.touched[k]!;
      if ((this.state[course]! & (EXCLUDED | CHOSEN)) !== 0) continue;
      candidates.push(course);
      const peers = this.peerShare(context, course);
      this.total[course] = peers;
      maxPeers = Math.max(maxPeers, peers);
      maxAlsoTaken = Math.max(maxAlsoTaken, this.alsoTaken[course]!);
      maxSimilar = Math.max(maxSimilar, this.similar[course]!);
    }

    const weights = this.weights;
    for (const course of candidates) {
      this.total[course] =
        (weights.peers * this.total[course]!) / maxPeers +
        (weights.alsoTaken * this.alsoTaken[course]!) / maxAlsoTaken +
        (weights.similar * this.similar[course]!) / maxSimilar +
        weights.popular * this.popularityScore(course) +
        weights.new * this.freshness(course);
    }
    this.normalisers = { peers: maxPeers, alsoTaken: maxAlsoTaken, similar: maxSimilar };
    return selectBest(candidates, keep, (a, b) => this.compareCandidates(a, b));
  }

  /** Negative when course a ranks before course b. */
  private compareCandidates(a: number, b: number): number {
    return this.total[b]! - this.total[a]! || this.popularity[b]! - this.popularity[a]! || a - b;
  }

  private addDiversePicks(
    ranked: number[],
    picks: RecommendationPick[],
    limit: number,
    maxPerCategory: number,
  ): void {
    const perCategory = new Map<number, number>();
    for (const pick of picks) {
      const category = this.model.courseCategory[pick.course]!;
      perCategory.set(category, (perCategory.get(category) ?? 0) + 1);
    }
    const skipped: number[] = [];
    for (const course of ranked) {
      if (picks.length >= limit) break;
      const category = this.model.courseCategory[course]!;
      const count = perCategory.get(category) ?? 0;
      if (count >= maxPerCategory) {
        skipped.push(course);
        continue;
      }
      perCategory.set(category, count + 1);
      picks.push(this.discoveryPick(course));
    }
    // Too few courses of other categories: fill the list rather than return fewer picks.
    for (const course of skipped) {
      if (picks.length >= limit) break;
      picks.push(this.discoveryPick(course));
    }
  }

  private discoveryPick(course: number): RecommendationPick {
    return {
      course,
      kind: 'other',
      reason: OTHER_REASON,
      score: Math.round(this.total[course]! * 10_000) / 10_000,
      lesson: null,
      dueOn: null,
    };
  }

  /** Sets a discovery pick's kind and reason from its largest weighted signal that can be shown. */
  private explain(pick: RecommendationPick, context: LearnerContext): RecommendationPick {
    const course = pick.course;
    const weights = this.weights;
    const peersCount = Math.max(this.unitCount[course]!, this.groupCount[course]!);
    const alsoFrom = this.alsoTakenFrom[course]!;
    const similarFrom = this.similarFrom[course]!;
    const options: { kind: RecommendationKind; value: number; reason: () => string }[] = [];
    if (peersCount >= MIN_PEERS_FOR_REASON) {
      options.push({
        kind: 'peers',
        value: (weights.peers * this.peerShare(context, course)) / this.normalisers.peers,
        reason: () => peersReason(peersCount),
      });
    }
    if (alsoFrom >= 0) {
      options.push({
        kind: 'alsoTaken',
        value: (weights.alsoTaken * this.alsoTaken[course]!) / this.normalisers.alsoTaken,
        reason: () => alsoTakenReason(this.model.courses[alsoFrom]!.title),
      });
    }
    if (similarFrom >= 0) {
      options.push({
        kind: 'similar',
        value: (weights.similar * this.similar[course]!) / this.normalisers.similar,
        reason: () => similarReason(this.model.courses[similarFrom]!.title),
      });
    }
    if (this.model.recentCount[course]! > 0) {
      options.push({
        kind: 'popular',
        value: weights.popular * this.popularityScore(course),
        reason: () => POPULAR_REASON,
      });
    }
    const freshness = this.freshness(course);
    if (freshness > 0) {
      options.push({ kind: 'new', value: weights.new * freshness, reason: () => NEW_REASON });
    }

    let best: (typeof options)[number] | undefined;
    for (const option of options) if (!best || option.value > best.value) best = option;
    return best ? { ...pick, kind: best.kind, reason: best.reason() } : pick;
  }

  private reset(): void {
    for (let k = 0; k < this.touchedCount; k++) {
      const course = this.touched[k]!;
      this.state[course] = 0;
      this.groupCount[course] = 0;
      this.unitCount[course] = 0;
      this.alsoTaken[course] = 0;
      this.alsoTakenFrom[course] = -1;
      this.alsoTakenBest[course] = 0;
      this.similar[course] = 0;
      this.similarFrom[course] = -1;
      this.total[course] = 0;
    }
    this.touchedCount = 0;
  }
}

/**
 * Returns the `keep` smallest items by `compare`, in order, without sorting all of them: a
 * sorted buffer takes an item only when it beats the buffer's last.
 */
function selectBest(items: number[], keep: number, compare: (a: number, b: number) => number) {
  const best: number[] = [];
  for (const item of items) {
    if (best.length === keep && compare(item, best[keep - 1]!) >= 0) continue;
    let low = 0;
    let high = best.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (compare(best[middle]!, item) <= 0) low = middle + 1;
      else high = middle;
    }
    best.splice(low, 0, item);
    if (best.length > keep) best.pop();
  }
  return best;
}
