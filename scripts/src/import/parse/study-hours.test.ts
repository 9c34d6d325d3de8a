import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { parseStudyHours } from './study-hours.js';
import { SHARED_DATA } from './test-paths.js';

describe('parseStudyHours', () => {
  const cases: [string, { min: number; max: number } | null][] = [
    ['100 小时', { min: 100, max: 100 }],
    ['100小时', { min: 100, max: 100 }],
    ['50-70 小时', { min: 50, max: 70 }],
    ['60～80 小时', { min: 60, max: 80 }],
    ['20 至 30 小时', { min: 20, max: 30 }],
    ['30-40 hours', { min: 30, max: 40 }],
    ['80-120 学时', { min: 80, max: 120 }],
    ['100h+', { min: 100, max: 100 }],
    ['70 小时 +', { min: 70, max: 70 }],
    ['200 小时+，上不封顶', { min: 200, max: 200 }],
    ['100 学时以上', { min: 100, max: 100 }],
    ['少于 15 小时', { min: 15, max: 15 }],
    ['约 19 小时', { min: 19, max: 19 }],
    ['20', { min: 20, max: 20 }],
    ['９０ 分钟', { min: 1.5, max: 1.5 }],
    ['约 140 小时（14 周 × 10 小时/周）', { min: 140, max: 140 }],
    ['14 周 × 10 小时/周', { min: 140, max: 140 }],
    ['每周 2 小时（讲座）+ 每周 4–10 小时（作业），持续 12 周', { min: 72, max: 144 }],
    ['因人而异', null],
    ['12 周', null],
    ['', null],
  ];
  it.each(cases)('parses %j', (raw, expected) => {
    expect(parseStudyHours(raw)).toEqual(expected);
  });

  it('returns null for null and undefined', () => {
    expect(parseStudyHours(null)).toBeNull();
    expect(parseStudyHours(undefined)).toBeNull();
  });

  it('parses every estimate in courses.csv except 因人而异', async () => {
    const csv = await readFile(path.join(SHARED_DATA, 'cs-self-learning-catalog-zh/courses.csv'));
    const rows = parse(csv, { columns: true, bom: true }) as Record<string, string>[];
    const raws = rows.map((row) => row.estimated_hours_raw ?? '').filter((raw) => raw !== '');
    const parsed = raws.filter((raw) => parseStudyHours(raw) !== null);
    const unparsed = raws.filter((raw) => parseStudyHours(raw) === null);

    expect(rows).toHaveLength(131);
    expect(raws).toHaveLength(109);
    expect(parsed).toHaveLength(102);
    expect(new Set(unparsed)).toEqual(new Set(['因人而异']));
    for (const raw of parsed) {
      const hours = parseStudyHours(raw);
      expect(hours?.min, raw).toBeGreaterThan(0);
      expect(hours?.max, raw).toBeGreaterThanOrEqual(hours?.min ?? Infinity);
    }
  });
});
