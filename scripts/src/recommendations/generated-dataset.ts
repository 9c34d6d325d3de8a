// The generated organisation as an in-memory LearningDataset: the reference org shape, one learner
// per employee, and the planted enrolments of generated-learning.ts.
import { parseCatalog } from '../import/parse/catalog.js';
import { generateEmployees, generateOrg } from '../import/parse/org.js';
import type { LearningDataset } from './dataset.js';
import {
  EnrolmentGenerator,
  generateCatalog,
  generateLearners,
  type GeneratedCatalog,
} from './generated-learning.js';
import type { OrgUnitRecord } from '../import/parse/types.js';
import {
  growableFloat64,
  growableInt32,
  growableUint8,
} from '@wxlearn/server/modules/recommendations/growable-array.js';

export interface GeneratedWorld {
  units: OrgUnitRecord[];
  catalog: GeneratedCatalog;
  enrolments: EnrolmentGenerator;
  now: Date;
  learners: number;
  seed: number;
}

/** Fixed "now" of generated data, so runs on different days give the same numbers. */
export const GENERATED_NOW = new Date('2026-12-01T00:00:00Z');

/**
 * Builds the org, the catalog (real courses from `coursesDirectory` first) and the enrolment
 * draws.
 */
export async function generateWorld(options: {
  learners: number;
  courses: number;
  coursesDirectory: string;
  seed?: number;
}): Promise<GeneratedWorld> {
  const seed = options.seed ?? 1;
  const { records } = await parseCatalog(options.coursesDirectory);
  const units = generateOrg({ seed });
  const catalog = generateCatalog({
    count: options.courses,
    realCourses: records,
    now: GENERATED_NOW,
    seed,
  });
  const enrolments = new EnrolmentGenerator(catalog, units, { now: GENERATED_NOW, seed });
  return { units, catalog, enrolments, now: GENERATED_NOW, learners: options.learners, seed };
}

/** Yields the world's learners: employee, unit and enrolments, the same on every call. */
export function worldLearners(world: GeneratedWorld) {
  return generateLearners(
    generateEmployees(world.units, { seed: world.seed, count: world.learners }),
    world.enrolments,
  );
}

/** Collects the world's learners into column arrays. */
export function worldDataset(world: GeneratedWorld): LearningDataset {
  const unitIndex = new Map(world.units.map((unit, index) => [unit.code, index]));
  const posts: string[] = [];
  const postIndex = new Map<string, number>();
  const unit = growableInt32();
  const post = growableInt32();
  const offsets = [0];
  const course = growableInt32();
  const atMs = growableFloat64();
  const completed = growableUint8();

  for (const learner of worldLearners(world)) {
    unit.push(unitIndex.get(learner.employee.orgUnitCode) ?? -1);
    let postNumber = postIndex.get(learner.employee.post);
    if (postNumber === undefined) {
      postNumber = posts.length;
      posts.push(learner.employee.post);
      postIndex.set(learner.employee.post, postNumber);
    }
    post.push(postNumber);
    const { enrolments } = learner;
    enrolments.courses.forEach((index, k) => {
      course.push(index);
      atMs.push(enrolments.atMs[k]!);
      completed.push(enrolments.completed[k] ? 1 : 0);
    });
    offsets.push(course.length);
  }

  return {
    name: `generated organisation, ${world.learners.toLocaleString('en')} learners`,
    now: world.now,
    courses: world.catalog.courses,
    units: world.units.map((record) => [record.code, record.parentCode]),
    posts,
    learners: {
      count: unit.length,
      unit: unit.toArray(),
      post: post.toArray(),
      offsets: Uint32Array.from(offsets),
      course: course.toArray(),
      atMs: atMs.toArray(),
      completed: completed.toArray(),
    },
  };
}
