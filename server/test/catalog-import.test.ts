import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importCatalog, importCatalogDirectory } from '@wxlearn/scripts/import/catalog.js';
import { parseCatalog } from '@wxlearn/scripts/import/parse/catalog.js';
import type { CourseRecord } from '@wxlearn/scripts/import/parse/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCourses } from '../src/modules/catalog/catalog.service.js';
import { CourseModel } from '../src/modules/catalog/course.model.js';
import { LessonModel } from '../src/modules/catalog/lesson.model.js';
import { startTestServer, type TestServer } from './harness.js';

const dataDir =
  process.env.DATA_DIR ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));
const coursesDir = path.join(dataDir, 'cs-self-learning-catalog-zh', 'courses');
const REAL_COURSES = 131;

let server: TestServer;
let records: CourseRecord[];

function recordOf(sourcePath: string): CourseRecord {
  const record = records.find((candidate) => candidate.sourcePath === sourcePath);
  if (!record) throw new Error(`no record for ${sourcePath}`);
  return record;
}

beforeAll(async () => {
  server = await startTestServer();
  records = (await parseCatalog(coursesDir)).records;
});

afterAll(async () => {
  await server?.close();
});

// The tests share one database and run in order: each builds on the state the previous one left.
describe('importCatalog', () => {
  it('creates every course on the first run', async () => {
    const report = await importCatalogDirectory(coursesDir);

    expect(report.created).toBe(REAL_COURSES);
    expect(report.updated).toBe(0);
    expect(report.unchanged).toBe(0);
    expect(report.failed).toEqual([]);
    expect(await CourseModel.countDocuments()).toBe(REAL_COURSES);
    expect(await LessonModel.countDocuments()).toBe(REAL_COURSES);
  });

  it('reports every course unchanged on a second run', async () => {
    const report = await importCatalog(records);

    expect(report.created).toBe(0);
    expect(report.updated).toBe(0);
    expect(report.unchanged).toBe(REAL_COURSES);
    expect(await CourseModel.countDocuments()).toBe(REAL_COURSES);
    expect(await LessonModel.countDocuments()).toBe(REAL_COURSES);
  });

  it('stores the page fields on the course', async () => {
    const record = recordOf('数据库系统/15445.md');
    const course = await CourseModel.findOne({ code: record.code }).orFail().lean();

    expect(course.title).toBe('CMU 15-445: Database Systems');
    expect(course.category).toBe('数据库系统');
    expect(course.subcategory).toBeNull();
    expect(course.university).toBe('CMU');
    expect(course.difficulty).toBe(4);
    expect(course.studyTimeText).toBe('100 小时');
    expect(course.studyHoursMin).toBe(100);
    expect(course.studyHoursMax).toBe(100);
    expect(course.creditHours).toBe(1);
    expect(course.published).toBe(true);
    expect(course.lessonCount).toBe(1);
    expect(course.source?.path).toBe('数据库系统/15445.md');
    expect(course.searchTokens).toContain('数据库');
  });

  it('stores a nested directory as the subcategory', async () => {
    const record = records.find((candidate) => candidate.sourcePath.startsWith('编程入门/Python/'));
    const course = await CourseModel.findOne({ code: record?.code }).orFail().lean();
    expect(course.category).toBe('编程入门');
    expect(course.subcategory).toBe('Python');
  });

  it('stores the whole page as one article lesson', async () => {
    const record = recordOf('数据库系统/15445.md');
    const course = await CourseModel.findOne({ code: record.code }).orFail().lean();
    const lessons = await LessonModel.find({ courseId: course._id }).lean();
    const page = await readFile(path.join(coursesDir, '数据库系统', '15445.md'), 'utf8');

    expect(course.chapters).toHaveLength(1);
    expect(lessons).toHaveLength(1);
    expect(lessons[0]?.type).toBe('article');
    expect(lessons[0]?.chapterId.equals(course.chapters[0]?._id ?? null)).toBe(true);
    expect(lessons[0]?.content.markdown).toBe(page.replace(/\r\n?/g, '\n'));
    expect(lessons[0]?.content.wordCount).toBeGreaterThan(0);
  });

  it('updates a course whose page changed and leaves the others', async () => {
    const record = recordOf('数据库系统/CS186.md');
    const changed = records.map((candidate) =>
      candidate === record
        ? {
            ...record,
            title: `${record.title}（修订版）`,
            articleMarkdown: `${record.articleMarkdown}\n补充说明：新增事务处理实验。\n`,
          }
        : candidate,
    );

    const report = await importCatalog(changed);

    expect(report.created).toBe(0);
    expect(report.updated).toBe(1);
    expect(report.unchanged).toBe(REAL_COURSES - 1);
    const course = await CourseModel.findOne({ code: record.code }).orFail().lean();
    expect(course.title).toBe(`${record.title}（修订版）`);
    const lesson = await LessonModel.findOne({ courseId: course._id }).orFail().lean();
    expect(lesson.content.markdown).toContain('新增事务处理实验');
    expect(await LessonModel.countDocuments({ courseId: course._id })).toBe(1);
  });

  it('makes an updated title searchable', async () => {
    const record = recordOf('数据库系统/CS186.md');
    const result = await listCourses({ q: '修订版', page: 1, pageSize: 20 });
    expect(result.items.map((course) => course.code)).toEqual([record.code]);
  });

  it('keeps the publication state and credit hours an operator set', async () => {
    const record = recordOf('数据库系统/CS122.md');
    await CourseModel.updateOne(
      { code: record.code },
      { $set: { published: false, creditHours: 12 } },
    );

    const report = await importCatalog([
      { ...record, description: `${record.description}\n新的简介。` },
    ]);

    expect(report.updated).toBe(1);
    const course = await CourseModel.findOne({ code: record.code }).orFail().lean();
    expect(course.published).toBe(false);
    expect(course.creditHours).toBe(12);
    expect(course.description).toContain('新的简介');
  });

  it('restores a deleted page lesson', async () => {
    const record = recordOf('数据库系统/CS346.md');
    const course = await CourseModel.findOne({ code: record.code }).orFail().lean();
    await LessonModel.deleteMany({ courseId: course._id });

    const report = await importCatalog([record]);

    expect(report.updated).toBe(1);
    expect(await LessonModel.countDocuments({ courseId: course._id })).toBe(1);
    const repaired = await CourseModel.findOne({ code: record.code }).orFail().lean();
    expect(repaired.lessonCount).toBe(1);
  });

  it('keeps importing after a record that fails', async () => {
    const broken = { ...recordOf('数据库系统/15799.md'), code: 'BROKEN-1', title: '' };
    const fresh = {
      ...recordOf('数据库系统/15799.md'),
      code: 'FRESH-1',
      sourcePath: 'copy/15799.md',
    };

    const report = await importCatalog([broken, fresh]);

    expect(report.failed.map((failure) => failure.code)).toEqual(['BROKEN-1']);
    expect(report.failed[0]?.reason).toMatch(/title/);
    expect(report.created).toBe(1);
    expect(await CourseModel.countDocuments({ code: 'BROKEN-1' })).toBe(0);
  });

  it('creates a course once when two imports run at the same time', async () => {
    const record = { ...recordOf('操作系统/MIT6.S081.md'), code: 'CONCURRENT-1' };

    const reports = await Promise.all([importCatalog([record]), importCatalog([record])]);

    const created = reports.reduce((sum, report) => sum + report.created, 0);
    expect(created).toBe(1);
    expect(reports.flatMap((report) => report.failed)).toEqual([]);
    expect(await CourseModel.countDocuments({ code: 'CONCURRENT-1' })).toBe(1);
    const course = await CourseModel.findOne({ code: 'CONCURRENT-1' }).orFail().lean();
    expect(await LessonModel.countDocuments({ courseId: course._id })).toBe(1);
  });
});
