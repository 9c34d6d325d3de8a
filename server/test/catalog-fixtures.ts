import { Types } from 'mongoose';
import type { CourseInput } from '../src/modules/catalog/course-fields.js';
import { CourseModel } from '../src/modules/catalog/course.model.js';
import { LessonModel } from '../src/modules/catalog/lesson.model.js';

/** Returns the fields of a published test course, with null in every optional catalog field. */
export function courseInput(
  overrides: Partial<CourseInput> & Pick<CourseInput, 'code' | 'title'>,
): CourseInput {
  return {
    category: '测试分类',
    subcategory: null,
    description: '用于接口测试的课程。',
    university: null,
    instructor: null,
    prerequisites: null,
    website: null,
    difficulty: null,
    studyTimeText: null,
    studyHoursMin: null,
    studyHoursMax: null,
    published: true,
    ...overrides,
  };
}

export interface ArticleLessonInput {
  title: string;
  markdown: string;
  /** Sets the minimum reading time that completes the lesson. */
  wordCount: number;
}

/**
 * Creates a course from `course` (document fields) with one chapter, 第一章, that contains one
 * article lesson, and returns both ids as hex strings.
 */
export async function createArticleCourse(
  course: object,
  lesson: ArticleLessonInput,
): Promise<{ courseId: string; lessonId: string }> {
  const chapterId = new Types.ObjectId();
  const created = await CourseModel.create({
    ...course,
    chapters: [{ _id: chapterId, title: '第一章', position: 1 }],
    lessonCount: 1,
  });
  const createdLesson = await LessonModel.create({
    courseId: created._id,
    chapterId,
    position: 1,
    title: lesson.title,
    type: 'article',
    content: { markdown: lesson.markdown, wordCount: lesson.wordCount },
  });
  return { courseId: created._id.toHexString(), lessonId: createdLesson._id.toHexString() };
}
