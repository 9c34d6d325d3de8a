import { describe, expect, it } from 'vitest';
import { generateEmployees, generateOrg, HEAD_OFFICE_CODE, REFERENCE_ORG_SHAPE } from './org.js';
import type { OrgUnitRecord } from './types.js';

function countByKind(units: readonly OrgUnitRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const unit of units) counts[unit.kind] = (counts[unit.kind] ?? 0) + 1;
  return counts;
}

describe('generateOrg', () => {
  const units = generateOrg({ seed: 1 });
  const byCode = new Map(units.map((unit) => [unit.code, unit]));

  it('has the reference customer shape', () => {
    const counts = countByKind(units);
    expect(units).toHaveLength(3088);
    expect(counts.headOffice).toBe(1);
    expect((counts.province ?? 0) + (counts.direct ?? 0)).toBe(58);
    expect(counts.city).toBe(REFERENCE_ORG_SHAPE.cities);
    expect(counts.county).toBe(2283);
    expect((counts.plant ?? 0) + (counts.company ?? 0)).toBe(300);
  });

  it('uses unique codes and names', () => {
    expect(byCode.size).toBe(units.length);
    expect(new Set(units.map((unit) => unit.name)).size).toBe(units.length);
  });

  it('lists parents before children with prefix codes', () => {
    const seen = new Set<string>();
    for (const unit of units) {
      if (unit.parentCode === null) {
        expect(unit.code).toBe(HEAD_OFFICE_CODE);
      } else {
        expect(seen.has(unit.parentCode), unit.code).toBe(true);
        expect(byCode.get(unit.parentCode)?.level, unit.code).toBe(unit.level - 1);
        if (unit.parentCode !== HEAD_OFFICE_CODE)
          expect(unit.code.startsWith(unit.parentCode)).toBe(true);
        expect(unit.code, unit.code).toMatch(new RegExp(`^\\d{${unit.level * 2}}$`));
      }
      seen.add(unit.code);
    }
  });

  it('names units like the customer does', () => {
    const guangdong = units.find((unit) => unit.name === '广东省分公司');
    expect(guangdong?.kind).toBe('province');
    expect(
      units.filter((unit) => unit.kind === 'city').every((unit) => unit.name.endsWith('市分公司')),
    ).toBe(true);
    expect(
      units
        .filter((unit) => unit.kind === 'county')
        .every((unit) => unit.name.endsWith('县营业部')),
    ).toBe(true);
    expect(
      units
        .filter((unit) => unit.kind === 'plant')
        .every((unit) => byCode.get(unit.parentCode ?? '')?.name.includes('工业')),
    ).toBe(true);
  });

  it('is deterministic for a seed', () => {
    expect(generateOrg({ seed: 1 })).toEqual(units);
    expect(generateOrg({ seed: 2 })).not.toEqual(units);
  });

  it('accepts a smaller shape', () => {
    const small = generateOrg({
      seed: 3,
      shape: { provinces: 2, directUnits: 1, cities: 3, counties: 5, plantsAndCompanies: 2 },
    });
    expect(small).toHaveLength(1 + 2 + 1 + 3 + 5 + 2);
  });

  it('rejects more than 99 children under one parent', () => {
    expect(() => generateOrg({ shape: { provinces: 1, cities: 100 } })).toThrow(
      /at most 99 per parent/,
    );
  });
});

describe('generateEmployees', () => {
  const units = generateOrg({ seed: 1 });
  const unitCodes = new Set(units.map((unit) => unit.code));

  it('yields 2,000 employees by default', () => {
    const employees = [...generateEmployees(units)];
    expect(employees).toHaveLength(2000);
    expect(employees.every((employee) => unitCodes.has(employee.orgUnitCode))).toBe(true);
    expect(employees.every((employee) => /^\d{8}$/.test(employee.employeeNo))).toBe(true);
    expect(employees.every((employee) => /^[\u4e00-\u9fff]{2,4}$/.test(employee.name))).toBe(true);
    expect(employees.every((employee) => employee.post !== '')).toBe(true);
    expect(
      employees.every(
        (employee) => employee.mobile === undefined || /^1\d{10}$/.test(employee.mobile),
      ),
    ).toBe(true);
  });

  it('starts employee numbers with the provincial segment', () => {
    for (const employee of generateEmployees(units, { count: 500 })) {
      expect(employee.employeeNo.slice(0, 2)).toBe(employee.orgUnitCode.slice(0, 2));
    }
  });

  it('gives sales posts in county units', () => {
    const posts = new Set<string>();
    for (const employee of generateEmployees(units, { count: 2000 })) {
      if (employee.orgUnitCode.length === 6 && employee.orgUnitCode < '32')
        posts.add(employee.post);
    }
    expect(posts.has('客户经理')).toBe(true);
    expect(posts.has('营销员')).toBe(true);
    expect(posts.has('专卖管理员')).toBe(true);
  });

  it('is deterministic for a seed', () => {
    const first = [...generateEmployees(units, { seed: 5, count: 50 })];
    expect([...generateEmployees(units, { seed: 5, count: 50 })]).toEqual(first);
    expect([...generateEmployees(units, { seed: 6, count: 50 })]).not.toEqual(first);
  });

  it('generates 600,000 unique employees quickly', () => {
    const started = performance.now();
    const numbers = new Set<string>();
    for (const employee of generateEmployees(units, { count: 600_000 }))
      numbers.add(employee.employeeNo);
    const seconds = (performance.now() - started) / 1000;
    expect(numbers.size).toBe(600_000);
    // About 1.2 s on the 2-core development machine; the bound leaves room for a slow CI.
    expect(seconds).toBeLessThan(20);
  });
});
