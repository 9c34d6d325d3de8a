// Search latency on the real catalog and on a synthetic 7,000-course catalog. Skipped unless
// CATALOG_BENCH=1, because building the synthetic catalog takes about a minute:
//   cd server && CATALOG_BENCH=1 npx vitest run test/catalog-search-latency
// The numbers are printed; the assertions only check that the searches find what they should.
// Every request goes over HTTP on 127.0.0.1 to a server on FerretDB with the PostgreSQL backend.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CoursePage, MyCoursesResponse } from '@wxlearn/api-types';
import { importCatalogDirectory } from '@wxlearn/scripts/import/catalog.js';
import { parseCatalog } from '@wxlearn/scripts/import/parse/catalog.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareCourseFields } from '../src/modules/catalog/course-fields.js';
import { CourseModel } from '../src/modules/catalog/course.model.js';
import { startTestServer, type TestServer } from './harness.js';

const dataDir =
  process.env.DATA_DIR ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));
const coursesDir = path.join(dataDir, 'cs-self-learning-catalog-zh', 'courses');
const SYNTHETIC_COURSES = 7_000;
const RUNS_PER_QUERY = 10;

const QUERIES = ['数据库', '数据', 'sjk', 'python', 'CMU 数据库', '安全管理', '管理', '不存在的词'];

const TOPICS = [
  '班组',
  '安全',
  '营销',
  '财务',
  '客户',
  '物流',
  '质量',
  '法律',
  '党建',
  '领导力',
  '沟通',
  '数字化',
  '零售',
  '仓储',
  '税务',
  '合规',
  '项目',
  '人力资源',
  '数据',
  '设备',
];
const KINDS = ['管理', '实务', '基础', '进阶', '案例', '规范', '分析', '技能', '入门', '专题'];
const CATEGORIES = [
  '通用管理',
  '专业技能',
  '安全生产',
  '市场营销',
  '信息技术',
  '党建学习',
  '法律合规',
];

interface Timing {
  label: string;
  total: number;
  p50: number;
  p95: number;
  max: number;
}

let server: TestServer;
let token: string;

function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? 0;
}

async function time(label: string, path: string): Promise<Timing> {
  const durations: number[] = [];
  let total = 0;
  for (let run = 0; run < RUNS_PER_QUERY; run++) {
    const startedAt = performance.now();
    const response = await server.request<CoursePage>('GET', path, { token });
    durations.push(performance.now() - startedAt);
    expect(response.status).toBe(200);
    total = response.body.total;
  }
  durations.sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    label,
    total,
    p50: round(percentile(durations, 0.5)),
    p95: round(percentile(durations, 0.95)),
    max: round(durations.at(-1) ?? 0),
  };
}

/** Times the first list request after a catalog write, which reloads the catalog snapshot. */
async function timeSnapshotReload(): Promise<number> {
  await CourseModel.updateOne({}, { $set: { updatedAt: new Date() } });
  const startedAt = performance.now();
  const response = await server.request<CoursePage>('GET', '/api/courses', { token });
  expect(response.status).toBe(200);
  return Math.round(performance.now() - startedAt);
}

async function measureAll(): Promise<Timing[]> {
  const timings: Timing[] = [];
  console.log(`first list after a write (snapshot reload): ${await timeSnapshotReload()} ms`);
  for (const q of QUERIES) {
    timings.push(await time(`q=${q}`, `/api/courses?q=${encodeURIComponent(q)}`));
  }
  timings.push(await time('list page 1', '/api/courses'));
  timings.push(await time('list page 50', '/api/courses?page=50'));
  timings.push(
    await time('list category', `/api/courses?category=${encodeURIComponent('数据库系统')}`),
  );
  timings.push(await time('categories', '/api/categories'));
  timings.push(await time('my courses (50)', '/api/me/courses'));
  return timings;
}

/** Inserts synthetic courses built from the real pages' descriptions under generated Chinese titles. */
async function insertSyntheticCatalog(count: number): Promise<void> {
  const { records } = await parseCatalog(coursesDir);
  const batch = [];
  for (let index = 0; index < count; index++) {
    const record = records[index % records.length]!;
    const topic = TOPICS[index % TOPICS.length]!;
    const kind = KINDS[Math.floor(index / TOPICS.length) % KINDS.length]!;
    const category = CATEGORIES[index % CATEGORIES.length]!;
    batch.push({
      ...prepareCourseFields({
        code: `SYN-${String(index).padStart(5, '0')}`,
        title: `${topic}${kind}（第${index + 1}期）`,
        category,
        subcategory: index % 3 === 0 ? `${topic}专题` : null,
        description: record.description,
        university: null,
        instructor: null,
        prerequisites: null,
        website: null,
        difficulty: (index % 5) + 1,
        studyTimeText: `${(index % 8) + 1} 学时`,
        studyHoursMin: (index % 8) + 1,
        studyHoursMax: (index % 8) + 1,
        published: true,
      }),
      lessonCount: 0,
    });
    if (batch.length === 500) {
      await CourseModel.insertMany(batch.splice(0));
    }
  }
  if (batch.length > 0) await CourseModel.insertMany(batch);
}

async function enrolInCourses(count: number): Promise<void> {
  const page = await server.request<CoursePage>('GET', '/api/courses?pageSize=50', { token });
  for (const course of page.body.items.slice(0, count)) {
    await server.request('POST', `/api/courses/${course.id}/enrolment`, { token });
  }
  const mine = await server.request<MyCoursesResponse>('GET', '/api/me/courses', { token });
  expect(mine.body.items).toHaveLength(count);
}

describe.skipIf(!process.env.CATALOG_BENCH)('catalog search latency', () => {
  beforeAll(async () => {
    server = await startTestServer({ LOG_LEVEL: 'warn' });
    await importCatalogDirectory(coursesDir);
    token = await server.loginAs('latency');
    await enrolInCourses(50);
  }, 300_000);

  afterAll(async () => {
    await server?.close();
  });

  it('on the real catalog', async () => {
    const timings = await measureAll();
    console.table(timings);
    expect(timings.find((timing) => timing.label === 'q=数据库')?.total).toBe(5);
  }, 300_000);

  it(`on a synthetic catalog of ${SYNTHETIC_COURSES} more courses`, async () => {
    const startedAt = performance.now();
    await insertSyntheticCatalog(SYNTHETIC_COURSES);
    console.log(`synthetic catalog inserted in ${Math.round(performance.now() - startedAt)} ms`);

    const timings = await measureAll();
    console.table(timings);
    expect(timings.find((timing) => timing.label === 'q=安全管理')?.total).toBeGreaterThan(0);
  }, 900_000);
});
