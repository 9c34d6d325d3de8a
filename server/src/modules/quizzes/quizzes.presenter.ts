import type {
  AttemptResult,
  AttemptView,
  QuestionResult,
  QuestionView,
  QuizDetail,
  QuizSummary,
} from '@wxlearn/api-types';
import type { AttemptQuestion, Attempt } from './attempt.model.js';
import type { AttemptResultDoc } from './attempt-result.model.js';
import type { Question } from './question.model.js';
import type { Quiz } from './quiz.model.js';

/** An attempt with what presenting it needs: its quiz, its questions by id and saved choices. */
export interface AttemptBundle {
  attempt: Attempt;
  quiz: Quiz;
  questions: Map<string, Question>;
  answers: Map<string, string[]>;
}

export interface ResultBundle {
  attempt: Attempt;
  quiz: Quiz;
  questions: Map<string, Question>;
  result: AttemptResultDoc;
}

export function presentQuizSummary(quiz: Quiz): QuizSummary {
  return {
    id: quiz._id.toString(),
    title: quiz.title,
    questionCount: quiz.questionCount,
    timeLimitSeconds: quiz.timeLimitSeconds ?? null,
    passPercent: quiz.passPercent,
    maxAttempts: quiz.maxAttempts ?? null,
  };
}

export function presentQuizDetail(quiz: Quiz): QuizDetail {
  return { ...presentQuizSummary(quiz), courseId: quiz.courseId?.toString() ?? null };
}

/**
 * Shows a question as the learner sees it during an attempt. Only id, type, stem, option texts and
 * points are copied: the answer, the explanation and option feedback stay on the server.
 */
function presentQuestion(question: Question, drawn: AttemptQuestion): QuestionView {
  const textByKey = new Map(question.options.map((option) => [option.key, option.text]));
  return {
    id: question._id.toString(),
    type: question.type,
    format: question.format,
    stem: question.stem,
    options: drawn.optionOrder.map((key) => ({ key, text: textByKey.get(key) ?? '' })),
    points: drawn.points,
  };
}

function questionOf(questions: Map<string, Question>, drawn: AttemptQuestion): Question {
  const question = questions.get(drawn.questionId.toString());
  if (!question) throw new Error(`question ${drawn.questionId.toString()} is missing`);
  return question;
}

export function presentAttempt({ attempt, quiz, questions, answers }: AttemptBundle): AttemptView {
  return {
    id: attempt._id.toString(),
    quizId: quiz._id.toString(),
    quizTitle: quiz.title,
    state: attempt.state,
    startedAt: attempt.startedAt.toISOString(),
    deadline: attempt.deadline?.toISOString() ?? null,
    questions: attempt.questions.map((drawn) =>
      presentQuestion(questionOf(questions, drawn), drawn),
    ),
    answers: Object.fromEntries(answers),
  };
}

export function presentResult({ attempt, quiz, questions, result }: ResultBundle): AttemptResult {
  const gradedById = new Map(
    result.questions.map((graded) => [graded.questionId.toString(), graded]),
  );
  const questionResults = attempt.questions.map((drawn): QuestionResult => {
    const question = questionOf(questions, drawn);
    const graded = gradedById.get(drawn.questionId.toString());
    return {
      ...presentQuestion(question, drawn),
      choice: graded?.choice ?? [],
      correctAnswer: question.answer,
      correct: graded?.correct ?? false,
      explanation: question.explanation ?? null,
    };
  });

  return {
    id: attempt._id.toString(),
    quizId: quiz._id.toString(),
    quizTitle: quiz.title,
    submittedAt: result.submittedAt.toISOString(),
    score: result.score,
    maxScore: result.maxScore,
    percent: result.percent,
    passed: result.passed,
    questions: questionResults,
  };
}
