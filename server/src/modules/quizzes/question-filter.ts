import { trusted } from '../../db/trusted.js';
import type { QuizSettings } from './quiz.model.js';

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Returns the filter for the questions a quiz draws from: its bank, and its category with every
 * category below it (`生物` matches `生物` and `生物/遗传`). The operators are marked trusted
 * because the connection sanitises filters, and these values come from the quiz, not a request.
 */
export function quizQuestionFilter(quiz: Pick<QuizSettings, 'bank' | 'category'>) {
  if (!quiz.category) return { bank: quiz.bank };
  return {
    bank: quiz.bank,
    $or: [
      { category: quiz.category },
      { category: trusted({ $regex: `^${escapeRegex(quiz.category)}/` }) },
    ],
  };
}
