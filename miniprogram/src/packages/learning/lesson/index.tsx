import { Button, Text, View } from '@tarojs/components';
import Taro, { usePageScroll, useRouter } from '@tarojs/taro';
import type { LearningSessionView, LessonContent, LessonDetail } from '@wxlearn/api-types';
import { useEffect, useRef, type MutableRefObject } from 'react';

import { Markdown } from '../../../components/markdown/Markdown';
import { StatusView } from '../../../components/StatusView';
import { useLearningSession } from '../../../hooks/useLearningSession';
import { useRemoteData } from '../../../hooks/useRemoteData';
import { readParam, routes } from '../../../routes';
import { getApi } from '../../../services/api';
import type { HeartbeatExtras } from '../../../services/learning-session';
import { measureHeight, readWindowHeight, scrollPageTo } from '../../../services/page-metrics';
import { formatClock } from '../../../utils/format';
import { DocumentPlayer } from './DocumentPlayer';
import type { PlayerSource } from './player-source';
import { VideoPlayer } from './VideoPlayer';
import './index.scss';

interface LessonBodyProps {
  content: LessonContent;
  session: LearningSessionView | null;
  beat: (extras: HeartbeatExtras) => void;
  sourceRef: MutableRefObject<PlayerSource | null>;
}

function LessonBody({ content, session, beat, sourceRef }: LessonBodyProps) {
  switch (content.type) {
    case 'article':
      return <Markdown source={content.markdown} />;
    case 'document':
      return (
        <DocumentPlayer content={content} session={session} beat={beat} sourceRef={sourceRef} />
      );
    case 'video':
      return <VideoPlayer content={content} session={session} beat={beat} sourceRef={sourceRef} />;
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

function LessonView({
  lesson,
  ...player
}: { lesson: LessonDetail } & Omit<LessonBodyProps, 'content'>) {
  const go = (lessonId: string) => void Taro.redirectTo({ url: routes.lesson(lessonId) });
  return (
    <View>
      <Text className="lesson-course muted">{lesson.courseTitle}</Text>
      <Text className="lesson-heading" data-testid="lesson-title">
        {lesson.title}
      </Text>
      <View className="card lesson-content" data-testid="lesson-content">
        <LessonBody content={lesson.content} {...player} />
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
  // and video players report their page or second through `playerSource`.
  const playerSource = useRef<PlayerSource | null>(null);
  const readPosition = (): number | null => {
    if (!isArticle) return playerSource.current?.getPosition() ?? null;
    const windowHeight = readWindowHeight();
    if (pageHeight.current === null || windowHeight === null) return null;
    return Math.min(1, (scrollTop.current + windowHeight) / pageHeight.current);
  };
  const readPlayerFields = () => playerSource.current?.getPlayerFields?.() ?? {};
  const learning = useLearningSession(lessonId, readPosition, readPlayerFields);
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
      {learning.rejectedMessage && (
        <Text className="progress-unsaved muted" data-testid="progress-rejected">
          {`部分学习进度未能保存：${learning.rejectedMessage}`}
        </Text>
      )}
      {learning.unsavedCount > 0 && (
        <Text className="progress-unsaved muted" data-testid="progress-unsaved">
          学习进度尚未保存，联网后自动同步
        </Text>
      )}
      {lesson.data && (
        <LessonView
          lesson={lesson.data}
          session={learning.session}
          beat={learning.beat}
          sourceRef={playerSource}
        />
      )}
    </View>
  );
}
