import { Button, Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import type { AttemptResult, QuestionResult } from '@wxlearn/api-types';

import { FormattedText } from '../../../components/FormattedText';
import { StatusView } from '../../../components/StatusView';
import { useRemoteData } from '../../../hooks/useRemoteData';
import { readParam, routes } from '../../../routes';
import { getApi } from '../../../services/api';
import { formatDateTime } from '../../../utils/format';
import { describeChoice, optionsOf, QUESTION_TYPE_LABELS } from '../questions';
import './index.scss';

function QuestionResultCard({ index, question }: { index: number; question: QuestionResult }) {
  return (
    <View
      className={`card question-result ${question.correct ? 'result-correct' : 'result-wrong'}`}
      data-testid="question-result"
      data-correct={question.correct ? 'true' : 'false'}
    >
      <View className="question-result-head">
        <Text className="question-result-type">{QUESTION_TYPE_LABELS[question.type]}</Text>
        <Text className="question-result-mark">{question.correct ? '回答正确' : '回答错误'}</Text>
      </View>
      <View className="question-result-stem">
        <Text className="question-result-number">{`${index + 1}.`}</Text>
        <FormattedText
          className="question-result-stem-text"
          format={question.format}
          text={question.stem}
        />
      </View>
      {optionsOf(question).map((option) => {
        const isAnswer = question.correctAnswer.includes(option.key);
        const isChoice = question.choice.includes(option.key);
        const classes = ['result-option'];
        if (isAnswer) classes.push('result-option-answer');
        if (isChoice && !isAnswer) classes.push('result-option-wrong');
        return (
          <View key={option.key} className={classes.join(' ')}>
            <Text className="result-option-key">{option.key}</Text>
            <FormattedText
              className="result-option-text"
              format={question.format}
              text={option.text}
            />
            {isChoice && <Text className="result-option-tag">你的选择</Text>}
          </View>
        );
      })}
      <Text className="question-result-line">
        {`你的答案：${describeChoice(question, question.choice)}`}
      </Text>
      <Text className="question-result-line">
        {`正确答案：${describeChoice(question, question.correctAnswer)}`}
      </Text>
      {question.explanation && (
        <View className="explanation" data-testid="explanation">
          <Text className="explanation-title">解析</Text>
          <FormattedText
            className="explanation-text"
            format={question.format}
            text={question.explanation}
          />
        </View>
      )}
    </View>
  );
}

function ResultView({ result }: { result: AttemptResult }) {
  const goHome = () => void Taro.switchTab({ url: routes.home() });
  return (
    <View>
      <View className={`card score-card ${result.passed ? 'score-passed' : 'score-failed'}`}>
        <Text className="score-quiz-title">{result.quizTitle}</Text>
        <Text className="score" data-testid="score">
          {`${result.score} / ${result.maxScore} 分`}
        </Text>
        <Text className="score-percent" data-testid="score-percent">
          {`得分率 ${result.percent}%`}
        </Text>
        <Text className="score-verdict" data-testid="score-verdict">
          {result.passed ? '恭喜，测验通过' : '未通过，再接再厉'}
        </Text>
        <Text className="muted">{`交卷时间：${formatDateTime(result.submittedAt)}`}</Text>
      </View>
      {result.questions.map((question, index) => (
        <QuestionResultCard key={question.id} index={index} question={question} />
      ))}
      <Button className="primary-button home-button" onClick={goHome}>
        返回首页
      </Button>
    </View>
  );
}

export default function QuizResultPage() {
  const attemptId = readParam(useRouter().params, 'attemptId');
  const result = useRemoteData(() => getApi().getAttemptResult(attemptId), [attemptId]);

  return (
    <View className="page result-page">
      <StatusView
        loading={result.loading && !result.data}
        error={result.error}
        onRetry={result.reload}
      />
      {result.data && <ResultView result={result.data} />}
    </View>
  );
}
