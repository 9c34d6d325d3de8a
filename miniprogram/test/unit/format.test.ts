import { expect, test } from 'vitest';

import { readParam, routes } from '../../src/routes';
import {
  formatClock,
  formatDateTime,
  formatDuration,
  formatPriceFen,
} from '../../src/utils/format';

test('formatDuration writes Chinese units', () => {
  expect(formatDuration(45)).toBe('45 秒');
  expect(formatDuration(600)).toBe('10 分钟');
  expect(formatDuration(3900)).toBe('1 小时 5 分钟');
  expect(formatDuration(0)).toBe('0 秒');
});

test('formatClock pads minutes and seconds', () => {
  expect(formatClock(309)).toBe('05:09');
  expect(formatClock(3723)).toBe('1:02:03');
  expect(formatClock(-5)).toBe('00:00');
});

test('formatDateTime shows Shanghai time', () => {
  expect(formatDateTime('2025-03-01T16:05:00.000Z')).toBe('2025-03-02 00:05');
  expect(formatDateTime('not a date')).toBe('');
});

test('formatPriceFen shows yuan with two decimals', () => {
  expect(formatPriceFen(9900)).toBe('¥99.00');
  expect(formatPriceFen(1)).toBe('¥0.01');
  expect(formatPriceFen(12_345)).toBe('¥123.45');
});

test('routes encode and readParam decodes', () => {
  const url = routes.courseSearch({ q: 'C++ 与 数据库', category: '' });
  expect(url).toBe(
    '/packages/course/search/index?q=C%2B%2B%20%E4%B8%8E%20%E6%95%B0%E6%8D%AE%E5%BA%93',
  );
  const raw = url.split('?q=')[1];
  expect(readParam({ q: raw }, 'q')).toBe('C++ 与 数据库');
  expect(readParam({ q: '100%' }, 'q')).toBe('100%');
  expect(readParam({}, 'q')).toBe('');
});
