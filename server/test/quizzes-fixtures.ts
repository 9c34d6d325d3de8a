import type { QuestionRecord } from '@wxlearn/scripts/import/parse/types.js';

/** Builds a question record for the import step; stems are unique so tests can find a question. */
export function questionRecord(
  bank: string,
  id: string,
  overrides: Partial<QuestionRecord> = {},
): QuestionRecord {
  return {
    externalId: `ext-${id}`,
    bank,
    type: 'single',
    format: 'plain',
    stem: `${id} stem`,
    options: ['A', 'B', 'C', 'D'].map((key) => ({
      key,
      text: `${id} option ${key}`,
      feedback: `FEEDBACK-${id}-${key}`,
    })),
    answer: ['B'],
    explanation: `EXPLANATION-${id}`,
    source: `${bank}.gift:${id.length}`,
    ...overrides,
  };
}

export const TRUE_FALSE_OPTIONS = [
  { key: 'T', text: '正确' },
  { key: 'F', text: '错误' },
];

/**
 * The main test bank: four questions worth 2 + 3 + 1 + 4 = 10 points.
 * q1 single (B), q2 multiple (A, C), q3 true/false (F), q4 single (D).
 */
export function mainBank(bank: string): QuestionRecord[] {
  return [
    questionRecord(bank, 'q1', { score: 2, category: 'basics' }),
    questionRecord(bank, 'q2', {
      type: 'multiple',
      answer: ['A', 'C'],
      score: 3,
      category: 'basics/advanced',
    }),
    questionRecord(bank, 'q3', {
      type: 'truefalse',
      options: TRUE_FALSE_OPTIONS,
      answer: ['F'],
      category: 'other',
    }),
    questionRecord(bank, 'q4', { answer: ['D'], score: 4, category: 'basics' }),
  ];
}
