import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { isDuplicateKeyError } from '../../db/errors.js';
import {
  DERIVED_FIELDS_VERSION,
  countWords,
  prepareCourseFields,
  type CourseContentInput,
} from './course-fields.js';
import { CourseModel, type Course } from './course.model.js';
import { LessonModel } from './lesson.model.js';

/** Title of the chapter that contains an imported course page. */
export const IMPORTED_CHAPTER_TITLE = '课程介绍';

/** A course of an imported catalog: its fields and the page shown as its one article lesson. */
export interface ImportedCourseInput extends CourseContentInput {
  /** Page path in the source catalog, for tracing a course back to its file. */
  sourcePath: string;
  article: { title: string; markdown: string };
}

export type ImportOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Creates or updates an imported course by its code: one chapter (position 1) containing one
 * article lesson (position 1). A course whose imported content and derived-field rules are
 * unchanged is not written, so a repeated import reports `unchanged` for every course.
 *
 * An update rewrites the imported fields and that one lesson. It keeps `published`,
 * `creditHours` and every other chapter and lesson, so an operator's changes to those survive.
 */
export async function saveImportedCourse(input: ImportedCourseInput): Promise<ImportOutcome> {
  const contentHash = hashImportedCourse(input);
  const existing = await CourseModel.findOne({ code: input.code }).lean<Course>();
  if (!existing) {
    const created = await createImportedCourse(input, contentHash);
    if (created) return 'created';
    // A concurrent import inserted the same code first: update that course instead.
  }
  return updateImportedCourse(input, contentHash);
}

/** Returns the course fields to store, without `published`, which only an insert sets. */
function importedFields(input: ImportedCourseInput) {
  const content: CourseContentInput = {
    code: input.code,
    title: input.title,
    category: input.category,
    subcategory: input.subcategory,
    description: input.description,
    university: input.university,
    instructor: input.instructor,
    prerequisites: input.prerequisites,
    website: input.website,
    difficulty: input.difficulty,
    studyTimeText: input.studyTimeText,
    studyHoursMin: input.studyHoursMin,
    studyHoursMax: input.studyHoursMax,
  };
  return prepareCourseFields(content);
}

/** Inserts a new course with its chapter and lesson. Returns false when the code is taken. */
/**
 * Official hours a newly imported course credits until an operator sets its own. The catalog
 * gives study time, not hours: an imported course is one introduction to read, worth 1 学时.
 */
export const IMPORTED_CREDIT_HOURS = 1;

async function createImportedCourse(input: ImportedCourseInput, contentHash: string) {
  const chapterId = new Types.ObjectId();
  let courseId: Types.ObjectId;
  try {
    const course = await CourseModel.create({
      ...importedFields(input),
      published: true,
      creditHours: IMPORTED_CREDIT_HOURS,
      chapters: [{ _id: chapterId, title: IMPORTED_CHAPTER_TITLE, position: 1 }],
      lessonCount: 0,
      source: { kind: 'catalog', path: input.sourcePath, contentHash },
    });
    courseId = course._id;
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
  await saveArticleLesson(courseId, chapterId, input.article);
  await recountLessons(courseId);
  return true;
}

async function updateImportedCourse(
  input: ImportedCourseInput,
  contentHash: string,
): Promise<ImportOutcome> {
  const course = await CourseModel.findOne({ code: input.code }).orFail().lean<Course>();
  let chapterId = course.chapters.find((chapter) => chapter.position === 1)?._id;
  const lessonExists =
    chapterId !== undefined && (await LessonModel.exists({ chapterId, position: 1 })) !== null;
  if (course.source?.contentHash === contentHash && lessonExists) return 'unchanged';

  await CourseModel.updateOne(
    { _id: course._id },
    {
      $set: {
        ...importedFields(input),
        source: { kind: 'catalog', path: input.sourcePath, contentHash },
      },
    },
  );
  if (chapterId === undefined) {
    chapterId = new Types.ObjectId();
    await CourseModel.updateOne(
      { _id: course._id },
      { $push: { chapters: { _id: chapterId, title: IMPORTED_CHAPTER_TITLE, position: 1 } } },
    );
  }
  await saveArticleLesson(course._id, chapterId, input.article);
  await recountLessons(course._id);
  return 'updated';
}

/** Writes the article lesson at position 1 of a chapter, inserting it when missing. */
async function saveArticleLesson(
  courseId: Types.ObjectId,
  chapterId: Types.ObjectId,
  article: ImportedCourseInput['article'],
): Promise<void> {
  const update = {
    $set: {
      title: article.title,
      type: 'article',
      content: { markdown: article.markdown, wordCount: countWords(article.markdown) },
    },
    $setOnInsert: { courseId },
  };
  try {
    await LessonModel.updateOne({ chapterId, position: 1 }, update, { upsert: true });
  } catch (error) {
    // Two upserts raced and both tried to insert: the loser updates the winner's lesson.
    if (!isDuplicateKeyError(error)) throw error;
    await LessonModel.updateOne({ chapterId, position: 1 }, update);
  }
}

async function recountLessons(courseId: Types.ObjectId): Promise<void> {
  const lessonCount = await LessonModel.countDocuments({ courseId });
  await CourseModel.updateOne({ _id: courseId }, { $set: { lessonCount } });
}

/** Hashes everything an import writes, plus the version of the derived fields, in a fixed order. */
function hashImportedCourse(input: ImportedCourseInput): string {
  const parts = [
    DERIVED_FIELDS_VERSION,
    input.code,
    input.title,
    input.category,
    input.subcategory,
    input.description,
    input.university,
    input.instructor,
    input.prerequisites,
    input.website,
    input.difficulty,
    input.studyTimeText,
    input.studyHoursMin,
    input.studyHoursMax,
    input.sourcePath,
    input.article.title,
    input.article.markdown,
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
