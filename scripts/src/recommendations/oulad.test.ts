import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadOulad, presentationStart } from './oulad.js';

const dataDir =
  process.env.DATA_DIR ?? fileURLToPath(new URL('../../../../shared/data', import.meta.url));

describe('presentationStart', () => {
  it('starts J presentations in October and B presentations in February', () => {
    expect(presentationStart('2013J').toISOString()).toBe('2013-10-01T00:00:00.000Z');
    expect(presentationStart('2014B').toISOString()).toBe('2014-02-01T00:00:00.000Z');
  });

  it('rejects an unknown presentation code', () => {
    expect(() => presentationStart('2013X')).toThrow(/invalid OULAD presentation code 2013X/);
  });
});

describe('loadOulad', async () => {
  const { dataset, summary } = await loadOulad(path.join(dataDir, 'oulad-subset'));

  it('reads every registration of the subset', () => {
    expect(summary.registrations).toBe(12_489);
    expect(summary.undated).toBe(0);
    expect(summary.students).toBe(12_400);
    expect(summary.studentsWithTwoOrMore).toBe(89);
  });

  it('uses the 12 module presentations as items, grouped by module', () => {
    expect(summary.items).toBe(12);
    expect(dataset.courses.map((course) => course.code)).toContain('BBB2014J');
    expect(new Set(dataset.courses.map((course) => course.category)).size).toBe(6);
  });

  it('keeps one column entry per registration, in time order per student', () => {
    const { learners } = dataset;
    expect(learners.count).toBe(12_400);
    expect(learners.offsets[learners.count]).toBe(12_489);
    for (let learner = 0; learner < learners.count; learner++) {
      for (let at = learners.offsets[learner]! + 1; at < learners.offsets[learner + 1]!; at++) {
        expect(learners.atMs[at]!).toBeGreaterThanOrEqual(learners.atMs[at - 1]!);
      }
    }
  });

  it('groups students by region and deprivation band', () => {
    expect(dataset.units.length).toBe(13);
    expect(dataset.posts).toContain('90-100%');
  });
});
