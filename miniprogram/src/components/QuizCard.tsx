import { Text, View } from '@tarojs/components';
import type { QuizSummary } from '@wxlearn/api-types';

import { formatDuration } from '../utils/format';
import './quiz-card.scss';

/** Returns the facts line of a quiz, such as "10 题 · 及格 60% · 限时 20 分钟". */
export function quizFacts(quiz: QuizSummary): string {
  const facts = `${quiz.questionCount} 题 · 及格 ${quiz.passPercent}%`;
  return quiz.timeLimitSeconds === null
    ? facts
    : `${facts} · 限时 ${formatDuration(quiz.timeLimitSeconds)}`;
}

/** Renders a quiz for a list. `testId` distinguishes the home list from a course's quizzes in tests. */
export function QuizCard(props: {
  quiz: QuizSummary;
  testId: string;
  onOpen: (id: string) => void;
}) {
  const { quiz, testId, onOpen } = props;
  return (
    <View
      className="card quiz-item"
      data-testid={testId}
      data-quiz-id={quiz.id}
      onClick={() => onOpen(quiz.id)}
    >
      <Text className="quiz-item-title">{quiz.title}</Text>
      <Text className="muted">{quizFacts(quiz)}</Text>
    </View>
  );
}
