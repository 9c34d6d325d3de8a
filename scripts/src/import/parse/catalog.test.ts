import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { courseCodeFromPath, parseCatalog, parseCoursePage } from './catalog.js';
import { FIXTURES, SHARED_DATA } from './test-paths.js';
import type { CourseRecord, ParseResult } from './types.js';

const CATALOG = path.join(SHARED_DATA, 'cs-self-learning-catalog-zh');

/** Collapses blank lines and indentation, as the derived courses.csv does. */
function flattenParagraphs(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n');
}

describe('parseCatalog on the real catalog', () => {
  let result: ParseResult<CourseRecord>;
  let rows: Record<string, string>[];
  let byPath: Map<string, CourseRecord>;

  beforeAll(async () => {
    result = await parseCatalog(path.join(CATALOG, 'courses'));
    rows = parse(await readFile(path.join(CATALOG, 'courses.csv')), { columns: true, bom: true });
    byPath = new Map(result.records.map((record) => [record.sourcePath, record]));
  });

  it('parses all 131 pages', () => {
    expect(result.records).toHaveLength(131);
    expect(result.unsupported).toEqual({});
  });

  it('warns only about the page without a title', () => {
    expect(result.problems).toEqual([
      {
        file: '必学工具/workflow.md',
        line: 1,
        reason: "missing '# ' title heading; used the file name 'workflow' as title",
        severity: 'warning',
      },
    ]);
  });

  it('gives every page a unique code', () => {
    const codes = new Set(result.records.map((record) => record.code));
    expect(codes.size).toBe(131);
  });

  it('derives codes from the path alone', () => {
    expect(byPath.get('数据库系统/15445.md')?.code).toBe('15445-c0483064');
    expect(courseCodeFromPath('数据库系统\\15445.md'.split('\\').join(path.sep))).toBe(
      '15445-c0483064',
    );
    expect(byPath.get('必学工具/翻墙.md')?.code).toMatch(/^course-[0-9a-f]{8}$/);
  });

  it('agrees with courses.csv on the page fields', () => {
    expect(rows).toHaveLength(131);
    for (const row of rows) {
      const record = byPath.get(row.path ?? '');
      expect(record, row.path).toBeDefined();
      if (!record) continue;
      expect(record.category, row.path).toBe(row.category);
      expect(record.subcategory ?? '', row.path).toBe(row.subcategory);
      if (row.title) expect(record.title, row.path).toBe(row.title);
      if (row.university) expect(record.university, row.path).toBe(row.university);
      if (row.prerequisites) expect(record.prerequisites, row.path).toBe(row.prerequisites);
      if (row.programming_language)
        expect(record.language, row.path).toBe(row.programming_language);
      if (row.estimated_hours_raw) expect(record.hoursRaw, row.path).toBe(row.estimated_hours_raw);
      // courses.csv counts stars only, so a rating such as "4/5" shows there as 0.
      if (Number(row.difficulty_stars) > 0) {
        expect(record.difficulty, row.path).toBe(Number(row.difficulty_stars));
      }
      if (row.description && !row.description.includes('<!--')) {
        expect(flattenParagraphs(record.description), row.path).toBe(
          flattenParagraphs(row.description),
        );
      }
    }
  });

  it('reads the bold bullet layout that courses.csv missed', () => {
    const page = byPath.get('人工智能/Neural Networks：Zero to Hero.md');
    expect(page?.instructor).toBe('Andrej Karpathy');
    expect(page?.hoursRaw).toBe('约 19 小时');
    expect(page?.hours).toEqual({ min: 19, max: 19 });
    expect(page?.difficulty).toBe(4);
    expect(page?.language).toBe('Python');
  });

  it('counts the pages with parsed study hours', () => {
    const withRaw = result.records.filter((record) => record.hoursRaw !== undefined);
    const withHours = result.records.filter((record) => record.hours);
    expect(withRaw).toHaveLength(111);
    expect(withHours).toHaveLength(104);
  });

  it('fills the fields of a typical page', () => {
    const page = byPath.get('数据库系统/15445.md');
    expect(page?.title).toBe('CMU 15-445: Database Systems');
    expect(page?.courseNo).toBe('CMU 15-445');
    expect(page?.university).toBe('CMU');
    expect(page?.hours).toEqual({ min: 100, max: 100 });
    expect(page?.website).toBe('https://15445.courses.cs.cmu.edu/fall2019/schedule.html');
    expect(page?.description.startsWith('作为 CMU 数据库的入门课')).toBe(true);
    expect(page?.articleMarkdown.startsWith('# CMU 15-445: Database Systems\n')).toBe(true);
  });

  it('takes the website from a link bullet in 课程资源', () => {
    expect(byPath.get('体系结构/CS61C.md')?.website).toBe('https://cs61c.org/');
  });

  it('reads a difficulty written as a rating', () => {
    expect(byPath.get('深度生成模型/大语言模型/CMU15-779.md')?.difficulty).toBe(4);
  });

  it('computes weekly study hours', () => {
    expect(byPath.get('Web开发/CS571.md')?.hours).toEqual({ min: 72, max: 144 });
  });

  it('drops HTML comments from the description', () => {
    const page = byPath.get('机器学习系统/MLC.md');
    expect(page?.description).not.toContain('<!--');
    expect(page?.description.startsWith('这门课是机器学习编译领域的顶尖学者陈天奇')).toBe(true);
  });

  it('uses the first prose of pages without 课程简介', () => {
    expect(
      byPath.get('必学工具/Git.md')?.description.startsWith('Git 是一款分布式的代码版本控制工具'),
    ).toBe(true);
  });
});

describe('parseCatalog on broken pages', () => {
  it('reports the empty page and keeps the others', async () => {
    const result = await parseCatalog(path.join(FIXTURES, 'catalog/courses'));
    const paths = result.records.map((record) => record.sourcePath);
    expect(paths).toEqual(['测试分类/complete.md', '测试分类/子分类/no-title.md']);
    expect(result.problems).toContainEqual({
      file: '测试分类/empty.md',
      reason: 'empty course page',
      severity: 'error',
    });
  });

  it('warns about a missing title and an hour-less estimate', async () => {
    const result = await parseCatalog(path.join(FIXTURES, 'catalog/courses'));
    const noTitle = result.records.find((record) => record.sourcePath.endsWith('no-title.md'));
    expect(noTitle?.title).toBe('no-title');
    expect(noTitle?.subcategory).toBe('子分类');
    expect(noTitle?.hours).toBeNull();
    expect(result.problems).toContainEqual({
      file: '测试分类/子分类/no-title.md',
      line: 6,
      reason: "study hours '12 周' contain no hour figure; hours left empty",
      severity: 'warning',
    });
    expect(result.problems).toContainEqual({
      file: '测试分类/子分类/no-title.md',
      line: 1,
      reason: "missing '# ' title heading; used the file name 'no-title' as title",
      severity: 'warning',
    });
  });

  it('parses the hand-made complete page', async () => {
    const markdown = await readFile(
      path.join(FIXTURES, 'catalog/courses/测试分类/complete.md'),
      'utf8',
    );
    const { record, problems } = parseCoursePage(markdown, '测试分类/complete.md');
    expect(problems).toEqual([]);
    expect(record?.title).toBe('TEST 101：完整的课程页面');
    expect(record?.courseNo).toBe('TEST 101');
    expect(record?.university).toBe('测试大学');
    expect(record?.difficulty).toBe(3);
    expect(record?.hours).toEqual({ min: 40, max: 40 });
    expect(record?.website).toBe('https://example.org/test101');
    expect(record?.description).toBe('这一段有缩进，进入简介时去掉缩进。\n\n第二段简介。');
  });

  it('normalises CRLF and drops a byte-order mark', () => {
    const { record } = parseCoursePage('\uFEFF# X 1: Y\r\n\r\n正文\r\n', '分类/x.md');
    expect(record?.articleMarkdown).toBe('# X 1: Y\n\n正文\n');
    expect(record?.description).toBe('正文');
  });
});
