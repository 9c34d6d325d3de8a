import { Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import type { CourseSummary } from '@wxlearn/api-types';

import { routes } from '../routes';
import { markdownToPlainText } from './markdown/parse';
import './course-card.scss';

/** Returns the short facts line of a course, such as "数据库系统 · 12 节 · 4 学时". */
export function courseFacts(course: CourseSummary): string {
  const facts = [
    course.subcategory ? `${course.category} / ${course.subcategory}` : course.category,
  ];
  facts.push(`${course.lessonCount} 节`);
  if (course.creditHours !== null) facts.push(`${course.creditHours} 学时`);
  if (course.university) facts.push(course.university);
  return facts.join(' · ');
}

/** Renders a course for a list. Tapping it opens the course detail page. */
export function CourseCard({ course, testId }: { course: CourseSummary; testId: string }) {
  const open = () => void Taro.navigateTo({ url: routes.courseDetail(course.id) });
  // Summaries are cut from Markdown descriptions, so any markup left in one is removed here.
  const summary = markdownToPlainText(course.summary);
  return (
    <View className="course-card" data-testid={testId} data-course-id={course.id} onClick={open}>
      <Text className="course-card-title">{course.title}</Text>
      <Text className="course-card-facts">{courseFacts(course)}</Text>
      {summary !== '' && <Text className="course-card-summary">{summary}</Text>}
    </View>
  );
}
