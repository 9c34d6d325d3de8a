import { Button, Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import type { AttemptView, QuestionView, QuizDetail } from '@wxlearn/api-types';
import { useEffect, useMemo, useRef, useState } from 'react';

import { FormattedText } from '../../../components/FormattedText';
import { StatusView } from '../../../components/StatusView';
import { useRemoteData } from '../../../hooks/useRemoteData';
import { readParam, routes } from '../../../routes';
import { createAnswerSaver, type SaveState } from '../../../services/answer-saver';
import { getApi } from '../../../services/api';
import { ApiError, userMessageOf } from '../../../services/errors';
import { formatClock, formatDuration } from '../../../utils/format';
import { nextChoice, optionsOf, QUESTION_TYPE_LABELS } from '../questions';
import './index.scss';

const SAVE_STATE_LABELS: Record<SaveState, string> = {
  saving: '保存中…',
  saved: '已保存',
  failed: '保存失败，点击重试',
};

function QuizIntro({ quiz, onStart }: { quiz: QuizDetail; onStart: () => Promise<void> }) {
  const [starting, setStarting] = useState(false);
  const start = async () => {
    setStarting(true);
    try {
      await onStart();
    } finally {
      setStarting(false);
    }
  };
  return (
    <View className="card quiz-intro">
      <Text className="quiz-title" data-testid="quiz-title">
        {quiz.title}
      </Text>
      <Text className="quiz-fact">{`共 ${quiz.questionCount} 题，得分达到 ${quiz.passPercent}% 为及格`}</Text>
      <Text className="quiz-fact">
        {quiz.timeLimitSeconds !== null
          ? `限时 ${formatDuration(quiz.timeLimitSeconds)}，到时自动交卷`
          : '不限时'}
      </Text>
      {quiz.maxAttempts !== null && (
        <Text className="quiz-fact">{`最多可作答 ${quiz.maxAttempts} 次`}</Text>
      )}
      <Button
        className="primary-button start-button"
        data-testid="start-quiz"
        loading={starting}
        disabled={starting}
        onClick={start}
      >
        开始答题
      </Button>
    </View>
  );
}

interface QuestionCardProps {
  index: number;
  question: QuestionView;
  choice: string[];
  saveState: SaveState | undefined;
  onChoose: (key: string) => void;
  onRetry: () => void;
}

function QuestionCard(props: QuestionCardProps) {
  const { index, question, choice, saveState, onChoose, onRetry } = props;
  return (
    <View className="card question" data-testid="question" data-question-id={question.id}>
      <View className="question-head">
        <Text className="question-type">{QUESTION_TYPE_LABELS[question.type]}</Text>
        <Text className="muted">{`${question.points} 分`}</Text>
      </View>
      <View className="question-stem">
        <Text className="question-number">{`${index + 1}.`}</Text>
        <FormattedText
          className="question-stem-text"
          format={question.format}
          text={question.stem}
        />
      </View>
      {optionsOf(question).map((option) => {
        const selected = choice.includes(option.key);
        return (
          <View
            key={option.key}
            className={`option-item${selected ? ' option-selected' : ''}`}
            data-testid="option-item"
            data-key={option.key}
            data-selected={selected ? 'true' : 'false'}
            onClick={() => onChoose(option.key)}
          >
            <Text className="option-key">{option.key}</Text>
            <FormattedText className="option-text" format={question.format} text={option.text} />
          </View>
        );
      })}
      {saveState && (
        <Text
          className={`save-state save-${saveState}`}
          data-testid="save-state"
          onClick={saveState === 'failed' ? onRetry : undefined}
        >
          {SAVE_STATE_LABELS[saveState]}
        </Text>
      )}
    </View>
  );
}

function secondsUntil(deadline: string | null): number | null {
  if (deadline === null) return null;
  return Math.max(0, (Date.parse(deadline) - Date.now()) / 1000);
}

function AttemptForm({ attempt }: { attempt: AttemptView }) {
  const [answers, setAnswers] = useState<Record<string, string[]>>(attempt.answers);
  const [saveStates, setSaveStates] = useState<Record<string, SaveState>>({});
  const [submitting, setSubmitting] = useState(false);
  const [remaining, setRemaining] = useState(() => secondsUntil(attempt.deadline));
  const submitted = useRef(false);

  const saver = useMemo(
    () =>
      createAnswerSaver(
        (questionId, choice) => getApi().saveAnswer(attempt.id, questionId, choice),
        (questionId, state) => setSaveStates((states) => ({ ...states, [questionId]: state })),
      ),
    [attempt.id],
  );

  const choose = (question: QuestionView, key: string) => {
    if (submitted.current) return;
    const choice = nextChoice(question, answers[question.id] ?? [], key);
    setAnswers((current) => ({ ...current, [question.id]: choice }));
    saver.save(question.id, choice);
  };

  const showResult = () => void Taro.redirectTo({ url: routes.quizResult(attempt.id) });

  const submit = async (timeUp: boolean) => {
    if (submitted.current) return;
    setSubmitting(true);
    try {
      const unsaved = await saver.flush();
      if (unsaved.length > 0 && !timeUp) {
        void Taro.showToast({ title: '有答案未保存，请点击重试后再交卷', icon: 'none' });
        return;
      }
      const unanswered = attempt.questions.filter((q) => (answers[q.id] ?? []).length === 0);
      if (unanswered.length > 0 && !timeUp) {
        const { confirm } = await Taro.showModal({
          title: '确认交卷',
          content: `还有 ${unanswered.length} 题未作答，确定交卷吗？`,
          confirmText: '交卷',
          cancelText: '继续答题',
        });
        if (!confirm) return;
      }
      submitted.current = true;
      await getApi().submitAttempt(attempt.id);
      showResult();
    } catch (error) {
      const finished =
        error instanceof ApiError && ['attempt_submitted', 'attempt_expired'].includes(error.id);
      if (finished) {
        showResult(); // already graded; the result page loads the score
        return;
      }
      submitted.current = false;
      void Taro.showToast({ title: userMessageOf(error), icon: 'none' });
    } finally {
      setSubmitting(false);
    }
  };

  useEffect(() => {
    if (attempt.deadline === null) return undefined;
    const timer = setInterval(() => setRemaining(secondsUntil(attempt.deadline)), 1000);
    return () => clearInterval(timer);
  }, [attempt.deadline]);

  useEffect(() => {
    if (remaining !== null && remaining <= 0) void submit(true);
    // Only the countdown reaching zero triggers the automatic submission.
  }, [remaining !== null && remaining <= 0]);

  const answeredCount = attempt.questions.filter((q) => (answers[q.id] ?? []).length > 0).length;

  return (
    <View className="attempt">
      <View className="attempt-bar">
        <Text className="attempt-progress">{`已答 ${answeredCount} / ${attempt.questions.length}`}</Text>
        {remaining !== null && (
          <Text
            className={`attempt-timer${remaining < 60 ? ' attempt-timer-urgent' : ''}`}
            data-testid="quiz-timer"
          >
            {`剩余 ${formatClock(remaining)}`}
          </Text>
        )}
      </View>
      {attempt.questions.map((question, index) => (
        <QuestionCard
          key={question.id}
          index={index}
          question={question}
          choice={answers[question.id] ?? []}
          saveState={saveStates[question.id]}
          onChoose={(key) => choose(question, key)}
          onRetry={() => saver.retry(question.id)}
        />
      ))}
      <Button
        className="primary-button submit-button"
        data-testid="submit-quiz"
        loading={submitting}
        disabled={submitting}
        onClick={() => void submit(false)}
      >
        交卷
      </Button>
    </View>
  );
}

export default function QuizPage() {
  const quizId = readParam(useRouter().params, 'id');
  const quiz = useRemoteData(() => getApi().getQuiz(quizId), [quizId]);
  const [attempt, setAttempt] = useState<AttemptView | null>(null);

  const start = async () => {
    try {
      const started = await getApi().startAttempt(quizId);
      if (started.state === 'submitted') {
        void Taro.redirectTo({ url: routes.quizResult(started.id) });
        return;
      }
      void Taro.setNavigationBarTitle({ title: started.quizTitle });
      setAttempt(started);
    } catch (error) {
      void Taro.showToast({ title: userMessageOf(error), icon: 'none' });
    }
  };

  return (
    <View className="page quiz-page">
      <StatusView loading={quiz.loading && !quiz.data} error={quiz.error} onRetry={quiz.reload} />
      {quiz.data && !attempt && <QuizIntro quiz={quiz.data} onStart={start} />}
      {attempt && <AttemptForm attempt={attempt} />}
    </View>
  );
}
