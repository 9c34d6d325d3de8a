import { Button, Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import type { CourseDetail, EnrolmentView, LessonType } from '@wxlearn/api-types';
import { useEffect, useState } from 'react';

import { courseFacts } from '../../../components/CourseCard';
import { Markdown } from '../../../components/markdown/Markdown';
import { markdownToPlainText } from '../../../components/markdown/parse';
import { QuizCard } from '../../../components/QuizCard';
import { StatusView } from '../../../components/StatusView';
import { useRemoteData } from '../../../hooks/useRemoteData';
import { readParam, routes } from '../../../routes';
import { getApi } from '../../../services/api';
import { userMessageOf } from '../../../services/errors';
import { isPurchaseHidden, purchaseCourse } from '../../../services/payment';
import { recordPushOpenOnce } from '../../../services/push';
import { formatPriceFen } from '../../../utils/format';
import './index.scss';

const LESSON_TYPE_LABELS: Record<LessonType, string> = {
  article: '图文',
  document: '文档',
  video: '视频',
};

function EnrolPanel({ course }: { course: CourseDetail }) {
  const [enrolment, setEnrolment] = useState<EnrolmentView | null>(course.enrolment);
  const [submitting, setSubmitting] = useState(false);

  const enrol = async () => {
    setSubmitting(true);
    try {
      setEnrolment(await getApi().enrol(course.id));
      void Taro.showToast({ title: '报名成功', icon: 'success' });
    } catch (error) {
      void Taro.showToast({ title: userMessageOf(error), icon: 'none' });
    } finally {
      setSubmitting(false);
    }
  };

  if (enrolment) {
    return (
      <View className="enrol-panel">
        <Text className="enrolled-badge" data-testid="enrolled-badge">
          已报名
        </Text>
      </View>
    );
  }
  return (
    <View className="enrol-panel">
      <Button
        className="primary-button enrol-button"
        data-testid="enrol-button"
        loading={submitting}
        disabled={submitting}
        onClick={enrol}
      >
        报名学习
      </Button>
    </View>
  );
}

const PURCHASE_TOASTS = {
  cancelled: '已取消支付',
  pending: '支付结果确认中，请稍后刷新',
  closed: '订单已关闭，请重新购买',
} as const;

/**
 * Price and buy button of a paid course, the purchased badge once bought, or on iOS, where
 * WeChat does not allow selling virtual goods, a note in place of both.
 */
function PurchasePanel({ course, onPurchased }: { course: CourseDetail; onPurchased: () => void }) {
  const [buying, setBuying] = useState(false);
  const purchase = course.purchase;
  if (!purchase) return null;

  if (purchase.purchased) {
    return (
      <View className="enrol-panel">
        <Text className="enrolled-badge" data-testid="purchased-badge">
          已购买
        </Text>
      </View>
    );
  }
  if (isPurchaseHidden(purchase)) {
    return (
      <View className="enrol-panel">
        <Text className="muted ios-purchase-note" data-testid="ios-purchase-note">
          由于相关规范，iOS 端暂不支持购买该课程
        </Text>
      </View>
    );
  }

  const buy = async () => {
    setBuying(true);
    try {
      const { outcome } = await purchaseCourse(getApi(), course.id);
      if (outcome === 'paid') {
        void Taro.showToast({ title: '购买成功', icon: 'success' });
        onPurchased();
      } else {
        void Taro.showToast({ title: PURCHASE_TOASTS[outcome], icon: 'none' });
      }
    } catch (error) {
      void Taro.showToast({ title: userMessageOf(error), icon: 'none' });
    } finally {
      setBuying(false);
    }
  };

  return (
    <View className="enrol-panel purchase-panel">
      <Text className="course-price" data-testid="course-price">
        {formatPriceFen(purchase.priceFen)}
      </Text>
      <Button
        className="primary-button buy-button"
        data-testid="buy-button"
        loading={buying}
        disabled={buying}
        onClick={buy}
      >
        立即购买
      </Button>
    </View>
  );
}

function CourseBody({ course, onPurchased }: { course: CourseDetail; onPurchased: () => void }) {
  // The lessons of a paid course open only after the purchase; the server checks it as well.
  const locked = course.purchase !== null && !course.purchase.purchased;
  const openLesson = (lessonId: string) => {
    if (locked) {
      void Taro.showToast({ title: '购买后即可学习本课程', icon: 'none' });
      return;
    }
    void Taro.navigateTo({ url: routes.lesson(lessonId) });
  };
  const openQuiz = (quizId: string) => {
    void Taro.navigateTo({ url: routes.quiz(quizId) });
  };
  const copyWebsite = (url: string) => {
    void Taro.setClipboardData({ data: url });
  };

  return (
    <View>
      <View className="card course-header">
        <Text className="course-title" data-testid="course-title">
          {course.title}
        </Text>
        <Text className="muted">{courseFacts(course)}</Text>
        {course.difficulty !== null && (
          <Text className="muted">{`难度：${'★'.repeat(course.difficulty)}`}</Text>
        )}
        {course.studyTimeText && (
          <Text className="muted">{`预计学时：${course.studyTimeText}`}</Text>
        )}
        {course.purchase ? (
          <PurchasePanel course={course} onPurchased={onPurchased} />
        ) : (
          <EnrolPanel course={course} />
        )}
      </View>

      <View className="section">
        <Text className="section-title">课程简介</Text>
        <View className="card">
          <View className="course-description">
            <Markdown source={course.description} testId="course-description" />
          </View>
          {course.prerequisites && (
            <Text className="course-paragraph muted">
              {`先修要求：${markdownToPlainText(course.prerequisites)}`}
            </Text>
          )}
          {course.website && (
            <Text className="course-website" onClick={() => copyWebsite(course.website ?? '')}>
              {`课程网站：${course.website}（点击复制）`}
            </Text>
          )}
        </View>
      </View>

      <View className="section">
        <Text className="section-title">课程目录</Text>
        {course.chapters.length === 0 && <Text className="muted">暂无课时</Text>}
        {course.chapters.map((chapter) => (
          <View key={chapter.id} className="card chapter">
            <Text className="chapter-title">{chapter.title}</Text>
            {chapter.lessons.map((lesson) => (
              <View
                key={lesson.id}
                className="lesson-item"
                data-testid="lesson-item"
                data-lesson-id={lesson.id}
                data-locked={locked ? 'true' : 'false'}
                onClick={() => openLesson(lesson.id)}
              >
                <Text className="lesson-type">{LESSON_TYPE_LABELS[lesson.type]}</Text>
                <Text className="lesson-title">{lesson.title}</Text>
                {locked && <Text className="lesson-locked">需购买</Text>}
              </View>
            ))}
          </View>
        ))}
      </View>

      {course.quizzes.length > 0 && (
        <View className="section">
          <Text className="section-title">课程测验</Text>
          {course.quizzes.map((quiz) => (
            <QuizCard key={quiz.id} quiz={quiz} testId="course-quiz-item" onOpen={openQuiz} />
          ))}
        </View>
      )}
    </View>
  );
}

export default function CourseDetailPage() {
  const params = useRouter().params;
  const courseId = readParam(params, 'id');
  // Click token of a pushed message's link. Recording its open runs beside the page's own request
  // and never shows an error.
  const clickToken = readParam(params, 'pt');
  const course = useRemoteData(() => getApi().getCourse(courseId), [courseId]);
  useEffect(() => {
    if (clickToken !== '') void recordPushOpenOnce(getApi(), clickToken);
  }, [clickToken]);

  return (
    <View className="page detail-page">
      <StatusView
        loading={course.loading && !course.data}
        error={course.error}
        onRetry={course.reload}
      />
      {course.data && <CourseBody course={course.data} onPurchased={course.reload} />}
    </View>
  );
}
