import { Button, Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import type { LessonContent, LessonDetail } from '@wxlearn/api-types';

import { Markdown } from '../../../components/markdown/Markdown';
import { StatusView } from '../../../components/StatusView';
import { useRemoteData } from '../../../hooks/useRemoteData';
import { readParam, routes } from '../../../routes';
import { getApi } from '../../../services/api';
import { formatDuration } from '../../../utils/format';
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

  return (
    <View className="page lesson-page">
      <StatusView
        loading={lesson.loading && !lesson.data}
        error={lesson.error}
        onRetry={lesson.reload}
      />
      {lesson.data && <LessonView lesson={lesson.data} />}
    </View>
  );
}
