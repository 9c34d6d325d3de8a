// Import step for the Chinese course catalog: writes parsed CourseRecords as courses, each with
// one chapter holding one article lesson (the course page's Markdown). Courses are upserted by
// code, so a second run with the same input writes nothing and reports every course unchanged.
// Nothing is deleted: a page removed from the catalog leaves its course in place. The functions
// use the mongoose connection that the caller opened.
import {
  saveImportedCourse,
  type ImportedCourseInput,
} from '@wxlearn/server/modules/catalog/course-import.service.js';
import { parseCatalog } from './parse/catalog.js';
import type { CourseRecord, ParseProblem } from './parse/types.js';

/** Title of the article lesson that shows a course page. */
export const COURSE_PAGE_LESSON_TITLE = '课程简介与学习资源';

export interface CatalogImportReport {
  created: number;
  updated: number;
  unchanged: number;
  /** Records that could not be written, with the error message; the others were imported. */
  failed: { code: string; sourcePath: string; reason: string }[];
  /** Problems that the parser reported (only filled by `importCatalogDirectory`). */
  problems: ParseProblem[];
}

/** Maps a parsed course page onto the fields of an imported course. */
export function toImportedCourse(record: CourseRecord): ImportedCourseInput {
  return {
    code: record.code,
    title: record.title,
    category: record.category,
    subcategory: record.subcategory ?? null,
    description: record.description,
    university: record.university ?? null,
    instructor: record.instructor ?? null,
    prerequisites: record.prerequisites ?? null,
    website: record.website ?? null,
    difficulty: validDifficulty(record.difficulty),
    studyTimeText: record.hoursRaw ?? null,
    studyHoursMin: record.hours?.min ?? null,
    studyHoursMax: record.hours?.max ?? null,
    sourcePath: record.sourcePath,
    article: { title: COURSE_PAGE_LESSON_TITLE, markdown: record.articleMarkdown },
  };
}

/** Keeps a difficulty of 1 to 5 (a page may give more stars or a rating out of 10); else null. */
function validDifficulty(difficulty: number | undefined): number | null {
  if (difficulty === undefined || !Number.isFinite(difficulty)) return null;
  return difficulty >= 1 && difficulty <= 5 ? difficulty : null;
}

/**
 * Imports course records one after another. A record that fails to be written is listed in
 * `failed` and the import goes on with the next one; a second run retries it.
 */
export async function importCatalog(
  records: readonly CourseRecord[],
): Promise<CatalogImportReport> {
  const report: CatalogImportReport = {
    created: 0,
    updated: 0,
    unchanged: 0,
    failed: [],
    problems: [],
  };
  for (const record of records) {
    try {
      const outcome = await saveImportedCourse(toImportedCourse(record));
      report[outcome] += 1;
    } catch (error) {
      report.failed.push({
        code: record.code,
        sourcePath: record.sourcePath,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return report;
}

/** Parses the catalog's `courses/` directory and imports every page that parsed. */
export async function importCatalogDirectory(
  coursesDirectory: string,
): Promise<CatalogImportReport> {
  const parsed = await parseCatalog(coursesDirectory);
  const report = await importCatalog(parsed.records);
  report.problems = parsed.problems;
  return report;
}
