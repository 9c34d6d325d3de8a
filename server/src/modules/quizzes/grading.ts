import type { Types } from 'mongoose';
import type { AttemptQuestion } from './attempt.model.js';
import type { Question } from './question.model.js';

export interface GradedQuestion {
  questionId: Types.ObjectId;
  choice: string[];
  correct: boolean;
  points: number;
  earned: number;
}

export interface Grade {
  score: number;
  maxScore: number;
  /** Score as a share of the maximum, 0 to 100, rounded to one decimal. */
  percent: number;
  passed: boolean;
  questions: GradedQuestion[];
}

/**
 * Returns true when the choice is exactly the set of correct keys. This is the rule for every
 * type: single and true/false need the one correct key, and multiple-choice questions are graded
 * all-or-nothing, so a missing or an extra key earns no points and option weights are ignored.
 */
export function isCorrectChoice(choice: readonly string[], answer: readonly string[]): boolean {
  if (choice.length !== answer.length) return false;
  const correct = new Set(answer);
  return choice.every((key) => correct.has(key));
}

/** Grades the drawn questions against the saved choices; an unanswered question earns nothing. */
export function gradeAttempt(
  drawn: readonly AttemptQuestion[],
  questions: Map<string, Question>,
  choices: Map<string, string[]>,
  passPercent: number,
): Grade {
  const graded = drawn.map((item): GradedQuestion => {
    const id = item.questionId.toString();
    const question = questions.get(id);
    if (!question) throw new Error(`question ${id} is missing`);

    const choice = choices.get(id) ?? [];
    const correct = isCorrectChoice(choice, question.answer);
    return {
      questionId: item.questionId,
      choice,
      correct,
      points: item.points,
      earned: correct ? item.points : 0,
    };
  });

  const score = graded.reduce((sum, item) => sum + item.earned, 0);
  const maxScore = graded.reduce((sum, item) => sum + item.points, 0);
  const percent = maxScore === 0 ? 0 : Math.round((score / maxScore) * 1000) / 10;
  // Compared unrounded, so 59.96% does not pass a 60% mark through rounding.
  const passed = maxScore > 0 && score * 100 >= passPercent * maxScore;
  return { score, maxScore, percent, passed, questions: graded };
}
