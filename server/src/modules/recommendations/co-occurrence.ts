// Counting steps of the model build. Each (group, course) or (course, course) occurrence is pushed
// as one number `a * courseCount + b`. Sorting the numbers puts equal pairs side by side, so counts
// come from one pass without a hash map per pair.
import { keepBest, NeighbourListsWriter, type NeighbourLists } from './neighbour-lists.js';
import type { CountLists } from './recommendation-model.js';

/**
 * Counts equal keys `owner * courseCount + course` and returns, per owner (group or unit), its
 * courses with their counts, most frequent first, at most `limit` of them. Sorts `keys` in place.
 */
export function countPerOwner(
  keys: Float64Array,
  ownerCount: number,
  courseCount: number,
  limit: number,
): CountLists {
  keys.sort();
  const offsets = new Uint32Array(ownerCount + 1);
  const courses: number[] = [];
  const counts: number[] = [];
  const runCourses = new Int32Array(courseCount);
  const runCounts = new Float64Array(courseCount);

  let at = 0;
  for (let owner = 0; owner < ownerCount; owner++) {
    let found = 0;
    const end = (owner + 1) * courseCount;
    while (at < keys.length && (keys[at] as number) < end) {
      const key = keys[at] as number;
      let run = 0;
      while (at < keys.length && keys[at] === key) {
        run++;
        at++;
      }
      runCourses[found] = key - owner * courseCount;
      runCounts[found] = run;
      found++;
    }
    const kept = keepBest(runCourses, runCounts, found, limit);
    for (let k = 0; k < kept; k++) {
      courses.push(runCourses[k] as number);
      counts.push(runCounts[k] as number);
    }
    offsets[owner + 1] = courses.length;
  }
  return { offsets, courses: Int32Array.from(courses), counts: Int32Array.from(counts) };
}

/**
 * Builds item-to-item neighbours from unordered pairs `a * courseCount + b` (a < b), one per
 * learner who took both. The similarity of a and b is `co / sqrt(taken[a] * taken[b])`, the cosine
 * of the two courses' learner sets. Pairs seen fewer than `minCount` times are dropped as noise.
 * Sorts `pairs` in place.
 */
export function coOccurrenceNeighbours(
  pairs: Float64Array,
  takenCount: Int32Array,
  limit: number,
  minCount: number,
): NeighbourLists {
  const courseCount = takenCount.length;
  pairs.sort();

  // First pass: distinct pairs that pass minCount, and how many neighbours each course gets.
  const perCourse = new Uint32Array(courseCount + 1);
  const distinctKeys: number[] = [];
  const distinctScores: number[] = [];
  for (let at = 0; at < pairs.length;) {
    const key = pairs[at] as number;
    let run = 0;
    while (at < pairs.length && pairs[at] === key) {
      run++;
      at++;
    }
    if (run < minCount) continue;
    const a = Math.floor(key / courseCount);
    const b = key - a * courseCount;
    const score = run / Math.sqrt((takenCount[a] as number) * (takenCount[b] as number));
    distinctKeys.push(key);
    distinctScores.push(score);
    perCourse[a + 1]!++;
    perCourse[b + 1]!++;
  }
  for (let course = 0; course < courseCount; course++) perCourse[course + 1]! += perCourse[course]!;

  // Second pass: every course's candidate neighbours side by side, then the best of each.
  const fill = perCourse.slice(0, courseCount);
  const candidates = new Int32Array(perCourse[courseCount]!);
  const candidateScores = new Float64Array(candidates.length);
  distinctKeys.forEach((key, k) => {
    const a = Math.floor(key / courseCount);
    const b = key - a * courseCount;
    const score = distinctScores[k] as number;
    candidates[fill[a]!] = b;
    candidateScores[fill[a]!++] = score;
    candidates[fill[b]!] = a;
    candidateScores[fill[b]!++] = score;
  });

  const writer = new NeighbourListsWriter(courseCount);
  for (let course = 0; course < courseCount; course++) {
    const start = perCourse[course]!;
    const items = candidates.subarray(start, perCourse[course + 1]);
    const scores = candidateScores.subarray(start, perCourse[course + 1]);
    const kept = keepBest(items, scores, items.length, limit);
    writer.append(course, items, scores, kept);
  }
  return writer.finish();
}
