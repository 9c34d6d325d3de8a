import { describe, expect, it } from 'vitest';
import { coursePagePath, fitKeyword, messageData, MESSAGE_KEYWORDS } from './message-content.js';

describe('fitKeyword', () => {
  it('keeps a short value', () => {
    expect(fitKeyword('数据库系统概论')).toBe('数据库系统概论');
  });

  it('cuts a long value to 20 characters ending with an ellipsis', () => {
    const fitted = fitKeyword('一二三四五六七八九十一二三四五六七八九十一二三');
    expect([...fitted]).toHaveLength(20);
    expect(fitted.endsWith('…')).toBe(true);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(fitKeyword('𠀀'.repeat(20))).toBe('𠀀'.repeat(20));
  });

  it('drops emoji and line breaks', () => {
    expect(fitKeyword('热门\n课程🎉 推荐👍🏽')).toBe('热门 课程 推荐');
  });
});

describe('messageData', () => {
  it('fills both keywords without colours', () => {
    const data = messageData({ courseTitle: '操作系统', pickReason: '同事们都在学' });
    expect(data).toEqual({
      [MESSAGE_KEYWORDS.course]: { value: '操作系统' },
      [MESSAGE_KEYWORDS.reason]: { value: '同事们都在学' },
    });
  });

  it('fills an empty title with a placeholder, because WeChat rejects empty keywords', () => {
    expect(messageData({ courseTitle: '🎉', pickReason: '' })[MESSAGE_KEYWORDS.course]).toEqual({
      value: '推荐课程',
    });
  });
});

describe('coursePagePath', () => {
  it('names the course page with the id and click token', () => {
    expect(coursePagePath('65a1', 'abc_-12')).toBe(
      'packages/course/detail/index?id=65a1&pt=abc_-12',
    );
  });
});
