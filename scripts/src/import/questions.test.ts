import { describe, expect, it } from 'vitest';
import { joinWrappedLines, stripExamNumbering } from './questions.js';

describe('joinWrappedLines', () => {
  it('joins lines wrapped inside a sentence', () => {
    expect(joinWrappedLines('应用地\n膜覆盖、膜下滴灌')).toBe('应用地膜覆盖、膜下滴灌');
  });

  it('keeps the break before numbered statements', () => {
    expect(joinWrappedLines('表明（ 　　）\n①客观的\n②主观的')).toBe(
      '表明（ 　　）\n①客观的\n②主观的',
    );
  });

  it('keeps the break after a full stop', () => {
    expect(joinWrappedLines('达到689.7千克。\n盐碱荒地的改造表明')).toBe(
      '达到689.7千克。\n盐碱荒地的改造表明',
    );
  });

  it('drops spaces around a wrapped break', () => {
    expect(joinWrappedLines('良田，  \n  玉米亩产')).toBe('良田，玉米亩产');
  });
});

describe('stripExamNumbering', () => {
  it('removes the paper number and marks', () => {
    expect(stripExamNumbering('12．（ 4分）下列说法')).toBe('下列说法');
  });
});
