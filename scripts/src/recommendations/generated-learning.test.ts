import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateWorld, worldDataset } from './generated-dataset.js';

const dataDir =
  process.env.DATA_DIR ?? fileURLToPath(new URL('../../../../shared/data', import.meta.url));
const coursesDirectory = path.join(dataDir, 'cs-self-learning-catalog-zh', 'courses');

describe('generated learning data', async () => {
  const world = await generateWorld({ learners: 5_000, courses: 1_000, coursesDirectory });
  const dataset = worldDataset(world);

  it('starts the catalog with the real courses and fills it to the count', () => {
    expect(dataset.courses).toHaveLength(1_000);
    expect(world.catalog.courses.filter((course) => course.series < 0)).toHaveLength(131);
    expect(new Set(dataset.courses.map((course) => course.id)).size).toBe(1_000);
  });

  it('links each series level to the next one of the same topic', () => {
    const { courses, nextLevel } = world.catalog;
    for (let index = 0; index < courses.length; index++) {
      const next = nextLevel[index]!;
      if (next < 0) continue;
      expect(courses[next]!.topic).toBe(courses[index]!.topic);
      expect(courses[next]!.series).toBe(courses[index]!.series);
      expect(courses[next]!.level).toBe(courses[index]!.level + 1);
    }
  });

  it('gives every learner 2 to 5 distinct courses in time order', () => {
    const { learners } = dataset;
    for (let learner = 0; learner < learners.count; learner++) {
      const from = learners.offsets[learner]!;
      const to = learners.offsets[learner + 1]!;
      expect(to - from).toBeGreaterThanOrEqual(2);
      expect(to - from).toBeLessThanOrEqual(5);
      const courses = Array.from(learners.course.subarray(from, to));
      expect(new Set(courses).size).toBe(courses.length);
      for (let at = from + 1; at < to; at++) {
        expect(learners.atMs[at]!).toBeGreaterThanOrEqual(learners.atMs[at - 1]!);
      }
    }
  });

  it('gives the same data for the same seed', async () => {
    const again = worldDataset(
      await generateWorld({ learners: 5_000, courses: 1_000, coursesDirectory }),
    );
    expect(Array.from(again.learners.course)).toEqual(Array.from(dataset.learners.course));
    expect(Array.from(again.learners.atMs)).toEqual(Array.from(dataset.learners.atMs));
  });

  it('plants the post affinity: sales posts take mostly marketing courses', () => {
    const { learners } = dataset;
    const salesPosts = new Set(
      ['客户经理', '营销员']
        .map((post) => dataset.posts.indexOf(post))
        .filter((index) => index >= 0),
    );
    let sales = 0;
    let salesMarketing = 0;
    let others = 0;
    let othersMarketing = 0;
    for (let learner = 0; learner < learners.count; learner++) {
      const isSales = salesPosts.has(learners.post[learner]!);
      for (let at = learners.offsets[learner]!; at < learners.offsets[learner + 1]!; at++) {
        const marketing = dataset.courses[learners.course[at]!]!.category === '市场营销';
        if (isSales) {
          sales++;
          if (marketing) salesMarketing++;
        } else {
          others++;
          if (marketing) othersMarketing++;
        }
      }
    }
    expect(sales).toBeGreaterThan(1_000);
    expect(salesMarketing / sales).toBeGreaterThan(2 * (othersMarketing / others));
  });
});
