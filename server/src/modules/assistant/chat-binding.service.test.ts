import { describe, expect, it } from 'vitest';
import { codesInText } from './chat-binding.service.js';

describe('codesInText', () => {
  it.each([
    ['我的绑定码是12345678', ['12345678']],
    ['我的码 1234 5678 谢谢', ['12345678']],
    ['1234-5678', ['12345678']],
    ['１２３４５６７８', ['12345678']],
    ['电话 138 1234 5678', []],
    ['123456789', []],
  ])('finds the codes in %s', (text, codes) => {
    expect(codesInText(text)).toEqual(codes);
  });

  it('finds a code after four employee numbers', () => {
    const text = '工号 11111111 22222222 33333333 44444444，码 87654321';

    expect(codesInText(text)).toContain('87654321');
  });
});
