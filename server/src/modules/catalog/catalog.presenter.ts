import type {
  CategoryView,
  ChapterView,
  CourseDetail,
  CoursePurchaseView,
  CourseSummary,
  EnrolmentView,
  LessonContent,
  LessonDetail,
  LessonSummary,
  MyCourseView,
} from '@wxlearn/api-types';
import type {
  CategoryCount,
  CourseDetailData,
  CourseListItem,
  LessonDetailData,
} from './catalog.service.js';
import { orderLessons } from './catalog.service.js';
import { isActivePurchase } from './course-access.js';
import type { Enrolment } from './enrolment.model.js';
import type { Lesson } from './lesson.model.js';

export function presentCategory(category: CategoryCount): CategoryView {
  return {
    name: category.name,
    courseCount: category.courseCount,
    children: category.children.map((child) => ({
      name: child.name,
      courseCount: child.courseCount,
    })),
  };
}

export function presentCourseSummary(course: CourseListItem): CourseSummary {
  return {
    id: course._id.toString(),
    code: course.code,
    title: course.title,
    category: course.category,
    subcategory: course.subcategory ?? null,
    summary: course.summary ?? '',
    creditHours: course.creditHours ?? null,
    studyTimeText: course.studyTimeText ?? null,
    university: course.university ?? null,
    difficulty: course.difficulty ?? null,
    lessonCount: course.lessonCount,
    priceFen: course.priceFen ?? null,
  };
}

export function presentEnrolment(enrolment: Enrolment): EnrolmentView {
  return {
    courseId: enrolment.courseId.toString(),
    enrolledAt: enrolment.enrolledAt.toISOString(),
    source: enrolment.source,
  };
}

function presentLessonSummary(
  lesson: Pick<Lesson, '_id' | 'title' | 'type' | 'position'>,
): LessonSummary {
  return {
    id: lesson._id.toString(),
    title: lesson.title,
    type: lesson.type,
    position: lesson.position,
  };
}

/**
 * Presents a course page. `hideOnIos` is the PAY_HIDE_ON_IOS setting, passed to clients in the
 * purchase state of a paid course.
 */
export function presentCourseDetail(
  { course, lessons, quizzes, enrolment }: CourseDetailData,
  options: { hideOnIos: boolean },
): CourseDetail {
  const ordered = orderLessons(course.chapters, lessons);
  const chapters: ChapterView[] = [...course.chapters]
    .sort((a, b) => a.position - b.position)
    .map((chapter) => ({
      id: chapter._id.toString(),
      title: chapter.title,
      lessons: ordered
        .filter((lesson) => lesson.chapterId.equals(chapter._id))
        .map(presentLessonSummary),
    }));

  return {
    ...presentCourseSummary(course),
    description: course.description ?? '',
    prerequisites: course.prerequisites ?? null,
    website: course.website ?? null,
    chapters,
    quizzes,
    enrolment: enrolment ? presentEnrolment(enrolment) : null,
    purchase: presentPurchase(course.priceFen ?? null, enrolment, options.hideOnIos),
  };
}

function presentPurchase(
  priceFen: number | null,
  enrolment: Enrolment | null,
  hideOnIos: boolean,
): CoursePurchaseView | null {
  if (priceFen === null) return null;
  return { priceFen, purchased: isActivePurchase(enrolment), hideOnIos };
}

function presentLessonContent(lesson: Lesson): LessonContent {
  const content = lesson.content;
  switch (lesson.type) {
    case 'article':
      return {
        type: 'article',
        markdown: content.markdown ?? '',
        wordCount: content.wordCount ?? 0,
      };
    case 'document':
      return { type: 'document', url: content.url ?? '', pageCount: content.pageCount ?? 0 };
    case 'video':
      return {
        type: 'video',
        url: content.url ?? '',
        durationSeconds: content.durationSeconds ?? 0,
      };
  }
}

export function presentLessonDetail(detail: LessonDetailData): LessonDetail {
  return {
    ...presentLessonSummary(detail.lesson),
    courseId: detail.course._id.toString(),
    courseTitle: detail.course.title,
    content: presentLessonContent(detail.lesson),
    previousLessonId: detail.previousLessonId?.toString() ?? null,
    nextLessonId: detail.nextLessonId?.toString() ?? null,
  };
}

export function presentMyCourse(entry: {
  course: CourseListItem;
  enrolment: Enrolment;
}): MyCourseView {
  return {
    course: presentCourseSummary(entry.course),
    enrolledAt: entry.enrolment.enrolledAt.toISOString(),
  };
}
