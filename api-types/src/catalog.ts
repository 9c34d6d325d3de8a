import type { Page } from './errors.js';

export interface CategoryView {
  name: string;
  courseCount: number;
  children: { name: string; courseCount: number }[];
}

export interface CategoriesResponse {
  items: CategoryView[];
}

export interface CourseQuery {
  /** Chinese or pinyin-initial search text. */
  q?: string;
  category?: string;
  /** Exact subcategory path, such as `Python`; usually given together with `category`. */
  subcategory?: string;
  page?: number;
  pageSize?: number;
}

export interface CourseSummary {
  id: string;
  code: string;
  title: string;
  category: string;
  subcategory: string | null;
  /** First sentences of the description, for lists. */
  summary: string;
  /** Official course hours (学时) credited on completion; null when not set. */
  creditHours: number | null;
  /** Estimated study time as written in the source, such as "50-70 小时". */
  studyTimeText: string | null;
  university: string | null;
  /** 1 to 5. */
  difficulty: number | null;
  lessonCount: number;
  /** Price in fen (1/100 yuan) of a paid course; null for a free one. */
  priceFen: number | null;
}

export type CoursePage = Page<CourseSummary>;

export type LessonType = 'article' | 'document' | 'video';

export interface LessonSummary {
  id: string;
  title: string;
  type: LessonType;
  position: number;
}

export interface ChapterView {
  id: string;
  title: string;
  lessons: LessonSummary[];
}

export interface EnrolmentView {
  courseId: string;
  enrolledAt: string;
  source: 'self' | 'assigned' | 'purchase' | 'import';
}

export interface QuizSummary {
  id: string;
  title: string;
  questionCount: number;
  timeLimitSeconds: number | null;
  passPercent: number;
  maxAttempts: number | null;
}

export interface CourseDetail extends CourseSummary {
  description: string;
  prerequisites: string | null;
  website: string | null;
  chapters: ChapterView[];
  quizzes: QuizSummary[];
  /** The caller's enrolment, or null when not enrolled or when a full refund revoked it. */
  enrolment: EnrolmentView | null;
  /** Purchase state of a paid course; null for a free one. */
  purchase: CoursePurchaseView | null;
}

export interface CoursePurchaseView {
  priceFen: number;
  /** True while the caller has a paid, not fully refunded purchase: the lessons are open. */
  purchased: boolean;
  /**
   * True when iOS clients must hide the price and the buy button and show a note instead,
   * because WeChat does not allow selling virtual goods in mini-programs on iOS.
   */
  hideOnIos: boolean;
}

export type LessonContent =
  | { type: 'article'; markdown: string; wordCount: number }
  | { type: 'document'; url: string; pageCount: number }
  | { type: 'video'; url: string; durationSeconds: number };

export interface LessonDetail extends LessonSummary {
  courseId: string;
  courseTitle: string;
  content: LessonContent;
  previousLessonId: string | null;
  nextLessonId: string | null;
}

export interface MyCourseView {
  course: CourseSummary;
  enrolledAt: string;
}

export interface MyCoursesResponse {
  items: MyCourseView[];
}
