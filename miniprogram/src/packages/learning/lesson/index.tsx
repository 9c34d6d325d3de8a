import { Button, Text, View } from '@tarojs/components';
import Taro, { usePageScroll, useRouter } from '@tarojs/taro';
import type { LessonContent, LessonDetail } from '@wxlearn/api-types';
import { useEffect, useRef } from 'react';

import { Markdown } from '../../../components/markdown/Markdown';
import { StatusView } from '../../../components/StatusView';
import { useLearningSession } from '../../../hooks/useLearningSession';
import { useRemoteData } from '../../../hooks/useRemoteData';
import { readParam, routes } from '../../../routes';
import { getApi } from '../../../services/api';
import { measureHeight, readWindowHeight, scrollPageTo } from '../../../services/page-metrics';
import { formatClock, formatDuration } from '../../../utils/format';
import './index.scss';

/** Document and video lessons are not played in the app yet: this shows their address to copy. */
function MediaPlaceholder({ label, url, detail }: { label: string; url: string; detail: string }) {
  return (
    <View className="media-placeholder">
      <Text className="media-label">{label}</Text>
      <Text className="muted">{detail}</Text>
      <Text className="media-url" data-testid="lesson-media-url" userSelect>
        {url}
      </Text>
      <Button size="mini" onClick={() => void Taro.setClipboardData({ data: url })}>
        复制链接
      </Button>
    </View>
  );
}

function LessonBody({ content }: { content: LessonContent }) {
  switch (content.type) {
    case 'article':
      return <Markdown source={content.markdown} />;
    case 'document':
      return (
        <MediaPlaceholder
          label="文档课时"
          url={content.url}
          detail={`共 ${content.pageCount} 页，请复制链接后在浏览器中查看`}
        />
      );
    case 'video':
      return (
        <MediaPlaceholder
          label="视频课时"
          url={content.url}
          detail={`时长 ${formatDuration(content.durationSeconds)}，请复制链接后在浏览器中观看`}
        />
      );
  }
}

/** Shows where the learner stopped last time, in the unit of the lesson type. */
function ResumeHint({
  lesson,
  position,
  onContinue,
}: {
  lesson: LessonDetail;
  position: number;
  onContinue: () => void;
}) {
  switch (lesson.content.type) {
    case 'article':
      return (
        <View className="lesson-resume muted" data-testid="lesson-resume">
          <Text>上次学到约 {Math.round(position * 100)}%</Text>
          <Text className="lesson-resume-action" onClick={onContinue}>
            继续阅读
          </Text>
        </View>
      );
    case 'document':
      return (
        <View className="lesson-resume muted" data-testid="lesson-resume">
          <Text>上次看到第 {Math.round(position)} 页</Text>
        </View>
      );
    case 'video':
      return (
        <View className="lesson-resume muted" data-testid="lesson-resume">
          <Text>上次看到 {formatClock(position)}</Text>
        </View>
      );
  }
}

function LessonView({ lesson }: { lesson: LessonDetail }) {
  const go = (lessonId: string) => void Taro.redirectTo({ url: routes.lesson(lessonId) });
  return (
    <View>
      <Text className="lesson-course muted">{lesson.courseTitle}</Text>
      <Text className="lesson-heading" data-testid="lesson-title">
        {lesson.title}
      </Text>
      <View className="card lesson-content" data-testid="lesson-content">
        <LessonBody content={lesson.content} />
      </View>
      <View className="lesson-nav">
        {lesson.previousLessonId && (
          <Button
            className="lesson-nav-button"
            data-testid="lesson-previous"
            onClick={() => go(lesson.previousLessonId ?? '')}
          >
            上一节
          </Button>
        )}
        {lesson.nextLessonId && (
          <Button
            className="lesson-nav-button primary-button"
            data-testid="lesson-next"
            onClick={() => go(lesson.nextLessonId ?? '')}
          >
            下一节
          </Button>
        )}
      </View>
    </View>
  );
}

export default function LessonPage() {
  const lessonId = readParam(useRouter().params, 'id');
  const lesson = useRemoteData(() => getApi().getLesson(lessonId), [lessonId]);
  const scrollTop = useRef(0);
  const pageHeight = useRef<number | null>(null);
  const isArticle = lesson.data?.content.type === 'article';

  usePageScroll(({ scrollTop: top }) => {
    scrollTop.current = top;
  });
  useEffect(() => {
    if (isArticle) measureHeight('.lesson-page', (height) => (pageHeight.current = height));
  }, [isArticle, lesson.data]);

  // Articles report the share of the page that has been on screen, viewport included. Document
  // and video lessons are placeholders without a position yet.
  const readPosition = (): number | null => {
    const windowHeight = readWindowHeight();
    if (!isArticle || pageHeight.current === null || windowHeight === null) return null;
    return Math.min(1, (scrollTop.current + windowHeight) / pageHeight.current);
  };
  const learning = useLearningSession(lessonId, readPosition);
  const resumePosition = learning.session?.resumePosition ?? null;

  const continueReading = () => {
    const windowHeight = readWindowHeight();
    if (resumePosition === null || pageHeight.current === null || windowHeight === null) return;
    scrollPageTo(resumePosition * pageHeight.current - windowHeight);
  };

  return (
    <View className="page lesson-page">
      <StatusView
        loading={lesson.loading && !lesson.data}
        error={lesson.error}
        onRetry={lesson.reload}
      />
      {lesson.data && resumePosition !== null && resumePosition > 0 && (
        <ResumeHint lesson={lesson.data} position={resumePosition} onContinue={continueReading} />
      )}
      {learning.unsavedCount > 0 && (
        <Text className="progress-unsaved muted" data-testid="progress-unsaved">
          学习进度尚未保存，联网后自动同步
        </Text>
      )}
      {lesson.data && <LessonView lesson={lesson.data} />}
    </View>
  );
}
