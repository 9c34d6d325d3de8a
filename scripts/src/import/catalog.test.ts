import { describe, expect, it } from 'vitest';
import { COURSE_PAGE_LESSON_TITLE, toImportedCourse } from './catalog.js';
import type { CourseRecord } from './parse/types.js';

const record: CourseRecord = {
  code: '15445-1b2c3d4e',
  title: 'CMU 15-445: Database Systems',
  courseNo: 'CMU 15-445',
  category: '数据库系统',
  university: 'CMU',
  prerequisites: 'C++',
  language: 'C++',
  difficulty: 4,
  hoursRaw: '100 小时',
  hours: { min: 100, max: 100 },
  website: 'https://15445.courses.cs.cmu.edu/',
  description: '作为 CMU 数据库的入门课。',
  articleMarkdown: '# CMU 15-445: Database Systems\n\n正文\n',
  sourcePath: '数据库系统/15445.md',
};

describe('toImportedCourse', () => {
  it('maps the page fields', () => {
    const course = toImportedCourse(record);

    expect(course.code).toBe('15445-1b2c3d4e');
    expect(course.title).toBe('CMU 15-445: Database Systems');
    expect(course.category).toBe('数据库系统');
    expect(course.university).toBe('CMU');
    expect(course.difficulty).toBe(4);
    expect(course.studyTimeText).toBe('100 小时');
    expect(course.studyHoursMin).toBe(100);
    expect(course.studyHoursMax).toBe(100);
    expect(course.website).toBe('https://15445.courses.cs.cmu.edu/');
    expect(course.sourcePath).toBe('数据库系统/15445.md');
  });

  it('turns the page into the article lesson', () => {
    const course = toImportedCourse(record);
    expect(course.article).toEqual({
      title: COURSE_PAGE_LESSON_TITLE,
      markdown: record.articleMarkdown,
    });
  });

  it('uses null for fields the page leaves out', () => {
    const course = toImportedCourse({
      code: 'x-00000000',
      title: 'X',
      category: '其他',
      description: '',
      articleMarkdown: '# X\n',
      sourcePath: '其他/x.md',
    });

    expect(course.subcategory).toBeNull();
    expect(course.university).toBeNull();
    expect(course.instructor).toBeNull();
    expect(course.prerequisites).toBeNull();
    expect(course.website).toBeNull();
    expect(course.difficulty).toBeNull();
    expect(course.studyTimeText).toBeNull();
    expect(course.studyHoursMin).toBeNull();
    expect(course.studyHoursMax).toBeNull();
  });

  it('keeps the raw study time when it has no hour figure', () => {
    const course = toImportedCourse({ ...record, hoursRaw: '因人而异', hours: null });
    expect(course.studyTimeText).toBe('因人而异');
    expect(course.studyHoursMin).toBeNull();
  });

  it('drops a difficulty outside 1 to 5', () => {
    expect(toImportedCourse({ ...record, difficulty: 8 }).difficulty).toBeNull();
    expect(toImportedCourse({ ...record, difficulty: 0 }).difficulty).toBeNull();
  });

  it('keeps a nested subcategory path', () => {
    const course = toImportedCourse({ ...record, subcategory: '大语言模型/进阶' });
    expect(course.subcategory).toBe('大语言模型/进阶');
  });
});
