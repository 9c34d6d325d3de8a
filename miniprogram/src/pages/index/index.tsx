import { Text, View } from '@tarojs/components';
import Taro, { useDidShow } from '@tarojs/taro';
import { useRef } from 'react';

import { CourseCard } from '../../components/CourseCard';
import { QuizCard } from '../../components/QuizCard';
import { SearchBar } from '../../components/SearchBar';
import { EmptyView, StatusView } from '../../components/StatusView';
import { useRemoteData } from '../../hooks/useRemoteData';
import { routes } from '../../routes';
import { getApi } from '../../services/api';
import './index.scss';

export default function IndexPage() {
  const api = getApi();
  const categories = useRemoteData(() => api.listCategories(), []);
  const myCourses = useRemoteData(() => api.listMyCourses(), []);
  const quizzes = useRemoteData(() => api.listQuizzes(1), []);

  // Coming back from a course page may have added an enrolment, so refresh 继续学习 on return.
  const hasShown = useRef(false);
  useDidShow(() => {
    if (hasShown.current) myCourses.reload();
    hasShown.current = true;
  });

  const search = (text: string) => {
    void Taro.navigateTo({ url: routes.courseSearch({ q: text }) });
  };
  const openCategory = (category: string) => {
    void Taro.navigateTo({ url: routes.courseSearch({ category }) });
  };
  const openQuiz = (quizId: string) => {
    void Taro.navigateTo({ url: routes.quiz(quizId) });
  };

  return (
    <View className="page index-page">
      <SearchBar onSearch={search} />

      <View className="section">
        <Text className="section-title">课程分类</Text>
        <StatusView
          loading={categories.loading && !categories.data}
          error={categories.error}
          onRetry={categories.reload}
        />
        {categories.data && (
          <View className="category-grid">
            {categories.data.items.map((category) => (
              <View
                key={category.name}
                className="category-item"
                data-testid="category-item"
                onClick={() => openCategory(category.name)}
              >
                <Text className="category-name">{category.name}</Text>
                <Text className="category-count">{category.courseCount} 门</Text>
              </View>
            ))}
          </View>
        )}
      </View>

      <View className="section">
        <Text className="section-title">继续学习</Text>
        <StatusView
          loading={myCourses.loading && !myCourses.data}
          error={myCourses.error}
          onRetry={myCourses.reload}
        />
        {myCourses.data && myCourses.data.items.length === 0 && (
          <EmptyView text="还没有报名课程，搜索感兴趣的课程开始学习吧" />
        )}
        {myCourses.data?.items.map((item) => (
          <CourseCard key={item.course.id} course={item.course} testId="my-course-item" />
        ))}
      </View>

      <View className="section">
        <Text className="section-title">练习测验</Text>
        <StatusView
          loading={quizzes.loading && !quizzes.data}
          error={quizzes.error}
          onRetry={quizzes.reload}
        />
        {quizzes.data && quizzes.data.items.length === 0 && <EmptyView text="暂时没有测验" />}
        {quizzes.data?.items.map((quiz) => (
          <QuizCard key={quiz.id} quiz={quiz} testId="quiz-item" onOpen={openQuiz} />
        ))}
      </View>
    </View>
  );
}
