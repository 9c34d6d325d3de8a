import { describe, expect, it } from 'vitest';
import { parsePersonRequest } from './handoff-request.js';

describe('parsePersonRequest', () => {
  it.each([
    ['转人工', null],
    ['麻烦帮我转一下人工客服谢谢', null],
    ['我要转人工，发票怎么开', '发票怎么开'],
    ['发票怎么开？转人工', '发票怎么开'],
    ['我要轉人工，發票怎麼開', '发票怎么开'],
  ])('finds the request in %s', (text, question) => {
    const request = parsePersonRequest(text);

    expect(request).not.toBeNull();
    expect(request?.question ?? null).toBe(question);
  });

  it.each(['人工智能课程有哪些', '客服电话是多少', '需要人工审核吗'])(
    'finds no request in %s',
    (text) => {
      expect(parsePersonRequest(text)).toBeNull();
    },
  );

  // With unbounded lead words, each of these took 140 to 430 ms on a 2-core Xeon VM (vitest).
  it.each([
    ['请我', '请我'.repeat(2000)],
    ['我', '我'.repeat(4000)],
    ['麻烦 before 客服', `${'麻烦'.repeat(1999)}客服`],
    ['我 before 人工', `${'我'.repeat(3998)}人工`],
    ['我 and spaces', '我 '.repeat(2000)],
  ])('parses 4000 characters of %s in linear time', (_case, text) => {
    parsePersonRequest(text);
    const started = performance.now();
    parsePersonRequest(text);
    const elapsedMs = performance.now() - started;

    expect(elapsedMs).toBeLessThan(40);
  });
});
