import type { Page } from './errors.js';
import type { QuizSummary } from './catalog.js';

export type QuestionType = 'single' | 'multiple' | 'truefalse';

export type QuizPage = Page<QuizSummary & { courseId: string | null }>;

/** Body of `GET /api/quizzes/:id`. */
export type QuizDetail = QuizSummary & { courseId: string | null };

/** Markup of a question's stem and options; render 'html' only after sanitising it. */
export type QuestionFormat = 'plain' | 'html' | 'markdown';

/** A question as shown during an attempt: no answer and no explanation. */
export interface QuestionView {
  id: string;
  type: QuestionType;
  format: QuestionFormat;
  stem: string;
  /**
   * In the order this attempt shows them. Keys are the bank's original keys and stay the same when
   * a quiz shuffles options; explanations refer to options by these keys.
   */
  options: { key: string; text: string }[];
  points: number;
}

export interface AttemptView {
  id: string;
  quizId: string;
  quizTitle: string;
  state: 'in_progress' | 'submitted';
  startedAt: string;
  /**
   * Time after which answers are no longer saved (409 attempt_expired); null without a limit. A
   * submit after it still grades the answers saved before it.
   */
  deadline: string | null;
  questions: QuestionView[];
  /** Saved choices by question id. */
  answers: Record<string, string[]>;
}

export interface SaveAnswerRequest {
  /** Option keys chosen, such as ["A"] or ["A", "C"], or ["T"] / ["F"] for true/false. */
  choice: string[];
}

export interface QuestionResult extends QuestionView {
  choice: string[];
  correctAnswer: string[];
  correct: boolean;
  explanation: string | null;
}

export interface AttemptResult {
  id: string;
  quizId: string;
  quizTitle: string;
  submittedAt: string;
  score: number;
  maxScore: number;
  /** Score as a share of the maximum, 0 to 100, rounded to one decimal. */
  percent: number;
  passed: boolean;
  questions: QuestionResult[];
}
