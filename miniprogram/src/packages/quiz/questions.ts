import type { QuestionType, QuestionView } from '@wxlearn/api-types';

export const QUESTION_TYPE_LABELS: Record<QuestionType, string> = {
  single: '单选题',
  multiple: '多选题',
  truefalse: '判断题',
};

/** Options of a true/false question when the server sends none: keys "T" and "F". */
const TRUE_FALSE_OPTIONS = [
  { key: 'T', text: '正确' },
  { key: 'F', text: '错误' },
];

export function optionsOf(question: QuestionView): { key: string; text: string }[] {
  if (question.options.length > 0) return question.options;
  return question.type === 'truefalse' ? TRUE_FALSE_OPTIONS : [];
}

/** Returns the choice after tapping an option: multiple choice toggles it, others replace. */
export function nextChoice(question: QuestionView, current: string[], key: string): string[] {
  if (question.type !== 'multiple') return [key];
  const chosen = current.includes(key) ? current.filter((item) => item !== key) : [...current, key];
  return chosen.sort();
}

/**
 * Returns a choice for display: option keys such as "A、C", or 正确/错误 for a true/false question
 * whose options the server left out.
 */
export function describeChoice(question: QuestionView, keys: string[]): string {
  if (keys.length === 0) return '未作答';
  if (question.options.length > 0) return keys.join('、');
  const options = optionsOf(question);
  return keys.map((key) => options.find((item) => item.key === key)?.text ?? key).join('、');
}
