import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseCatalog } from '@wxlearn/scripts/import/parse/catalog.js';
import { describe, expect, it } from 'vitest';
import type { NeighbourLists } from './neighbour-lists.js';
import { buildContentNeighbours, courseTerms } from './text-similarity.js';

function neighbourIndices(lists: NeighbourLists, item: number): number[] {
  return Array.from(lists.items.subarray(lists.offsets[item], lists.offsets[item + 1]));
}

const COURSES = [
  { title: '数据库系统原理', description: '关系模型、SQL 查询、索引与事务，数据库的存储与恢复。' },
  {
    title: '数据库索引与查询优化',
    description: 'B+ 树索引、查询计划、代价估计，让数据库查询更快。',
  },
  { title: '分布式数据库实践', description: '分片、复制与分布式事务，数据库高可用的设计。' },
  { title: 'Python 编程入门', description: '变量、函数与循环，用 Python 编写第一个程序。' },
  { title: 'Python 数据分析', description: '用 Python 与 pandas 清洗和分析表格数据。' },
  { title: '安全生产规范', description: '隐患排查、应急预案与劳动防护，落实安全生产责任。' },
  { title: '班组安全管理', description: '班组安全责任、隐患排查与事故案例分析。' },
  { title: '客户营销技巧', description: '客户拜访、需求挖掘与营销话术。' },
];

describe('courseTerms', () => {
  it('counts segmented title words three times and drops stopwords', () => {
    const terms = courseTerms({ title: '数据库系统原理', description: '这门课程介绍数据库。' });
    expect(terms.get('数据库')).toBe(4);
    expect(terms.has('课程')).toBe(false);
    expect(terms.has('这门')).toBe(false);
  });

  it('keeps Latin words and drops numbers', () => {
    const terms = courseTerms({ title: 'SQL 入门 101', description: 'Python and SQL' });
    expect(terms.get('sql')).toBe(4);
    expect(terms.get('python')).toBe(1);
    expect(terms.has('101')).toBe(false);
  });
});

describe('buildContentNeighbours', () => {
  const lists = buildContentNeighbours(COURSES);

  it('puts the database courses next to each other', () => {
    for (const course of [0, 1, 2]) {
      const top2 = neighbourIndices(lists, course).slice(0, 2);
      expect(top2.sort()).toEqual([0, 1, 2].filter((other) => other !== course));
    }
  });

  it('pairs the Python courses and the safety courses', () => {
    expect(neighbourIndices(lists, 3)[0]).toBe(4);
    expect(neighbourIndices(lists, 5)[0]).toBe(6);
  });

  it('finds no neighbour for a course sharing no term', () => {
    expect(neighbourIndices(lists, 7)).toEqual([]);
  });

  it('keeps scores in (0, 1], best first', () => {
    const scores = Array.from(lists.scores);
    expect(scores.every((score) => score > 0 && score <= 1 + 1e-9)).toBe(true);
    for (let course = 0; course < COURSES.length; course++) {
      const own = scores.slice(lists.offsets[course], lists.offsets[course + 1]);
      expect(own).toEqual([...own].sort((a, b) => b - a));
    }
  });

  it('never lists a course as its own neighbour', () => {
    for (let course = 0; course < COURSES.length; course++) {
      expect(neighbourIndices(lists, course)).not.toContain(course);
    }
  });

  it('groups the real catalog database courses', async () => {
    const dataDir =
      process.env.DATA_DIR ?? fileURLToPath(new URL('../../../../../shared/data', import.meta.url));
    const { records } = await parseCatalog(
      path.join(dataDir, 'cs-self-learning-catalog-zh', 'courses'),
    );
    const real = buildContentNeighbours(
      records.map((record) => ({ title: record.title, description: record.description })),
    );
    const databaseCourses = records.flatMap((record, index) =>
      record.category === '数据库系统' ? [index] : [],
    );
    expect(databaseCourses.length).toBe(5);
    for (const course of databaseCourses) {
      const top4 = neighbourIndices(real, course).slice(0, 4);
      const databaseNeighbours = top4.filter((other) => databaseCourses.includes(other));
      expect(databaseNeighbours.length, records[course]!.title).toBeGreaterThanOrEqual(3);
    }
  });
});
