import { describe, expect, it } from 'vitest';
import { clipRanges, mergeRanges, sumLengths, unionLength, unionMs } from './intervals.js';

describe('mergeRanges', () => {
  it('joins overlapping and touching ranges', () => {
    const merged = mergeRanges([
      { start: 10, end: 20 },
      { start: 0, end: 5 },
      { start: 5, end: 8 },
      { start: 15, end: 30 },
    ]);

    expect(merged).toEqual([
      { start: 0, end: 8 },
      { start: 10, end: 30 },
    ]);
  });

  it('drops empty and inverted ranges', () => {
    expect(
      mergeRanges([
        { start: 3, end: 3 },
        { start: 9, end: 4 },
      ]),
    ).toEqual([]);
  });

  it('keeps the input unchanged', () => {
    const input = [
      { start: 0, end: 10 },
      { start: 5, end: 20 },
    ];

    mergeRanges(input);

    expect(input).toEqual([
      { start: 0, end: 10 },
      { start: 5, end: 20 },
    ]);
  });
});

describe('range lengths', () => {
  const ranges = [
    { start: 0, end: 300 },
    { start: 0, end: 300 },
    { start: 200, end: 400 },
  ];

  it('counts overlap once in the union', () => {
    expect(unionMs(ranges)).toBe(400);
    expect(unionLength(ranges)).toBe(400);
  });

  it('counts overlap every time in the sum', () => {
    expect(sumLengths(ranges)).toBe(800);
  });
});

describe('clipRanges', () => {
  it('cuts ranges to the bounds', () => {
    const clipped = clipRanges(
      [
        { start: -5, end: 5 },
        { start: 8, end: 12 },
        { start: 20, end: 30 },
      ],
      0,
      10,
    );

    expect(clipped).toEqual([
      { start: 0, end: 5 },
      { start: 8, end: 10 },
    ]);
  });
});
