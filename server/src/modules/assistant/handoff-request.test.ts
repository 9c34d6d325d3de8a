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

  // With unbounded lead words, 4,000 characters of each of these took 140 to 430 ms on a 2-core
  // Xeon VM (vitest), and four times as many took about 16 times as long. The check compares two
  // sizes, so a loaded machine slows both alike.
  it.each([
    ['请我', (n: number) => '请我'.repeat(n / 2)],
    ['我', (n: number) => '我'.repeat(n)],
    ['麻烦 before 客服', (n: number) => `${'麻烦'.repeat(n / 2 - 1)}客服`],
    ['我 before 人工', (n: number) => `${'我'.repeat(n - 2)}人工`],
    ['我 and spaces', (n: number) => '我 '.repeat(n / 2)],
  ])('parses %s in linear time', (_case, build) => {
    const small = fastestParseMs(build(4_000));
    const large = fastestParseMs(build(16_000));

    // Linear time gives a ratio near 4 and quadratic near 16. Below 20 ms, timer noise dominates.
    expect(large < 20 || large / small < 8).toBe(true);
  });
});

/** Returns the fastest of three timed parses, after one untimed warm-up parse. */
function fastestParseMs(text: string): number {
  parsePersonRequest(text);
  let fastest = Infinity;
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    parsePersonRequest(text);
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}
