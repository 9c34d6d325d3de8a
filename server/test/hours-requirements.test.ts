import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HourRequirementModel } from '../src/modules/hours/hour-requirement.model.js';
import {
  effectiveRequirement,
  removeRequirement,
  requiredHoursFor,
  setRequirement,
} from '../src/modules/hours/requirements.js';
import { OrgUnitModel } from '../src/modules/org/org-unit.model.js';
import { startTestServer, type TestServer } from './harness.js';

let server: TestServer;

// Head office 00 with province 03 (city 0305, county 030501) and province 04.
const units = [
  { code: '00', parentCode: null, path: '/00/', names: ['总部'], kind: 'headOffice' },
  { code: '03', parentCode: '00', path: '/00/03/', names: ['总部', '广东'], kind: 'province' },
  {
    code: '0305',
    parentCode: '03',
    path: '/00/03/0305/',
    names: ['总部', '广东', '广州'],
    kind: 'city',
  },
  {
    code: '030501',
    parentCode: '0305',
    path: '/00/03/0305/030501/',
    names: ['总部', '广东', '广州', '从化'],
    kind: 'county',
  },
  { code: '04', parentCode: '00', path: '/00/04/', names: ['总部', '广西'], kind: 'province' },
];

beforeAll(async () => {
  server = await startTestServer();
  await OrgUnitModel.insertMany(
    units.map((unit) => ({
      code: unit.code,
      name: unit.names[unit.names.length - 1],
      parentCode: unit.parentCode,
      path: unit.path,
      pathNames: unit.names,
      level: unit.names.length - 1,
      kind: unit.kind,
    })),
  );
});

afterAll(async () => {
  await server?.close();
});

// The tests share one database and run in order: each builds on the requirements set before it.
describe('requiredHoursFor', () => {
  it('returns null when no unit sets one', async () => {
    expect(await requiredHoursFor('030501', 2025)).toBeNull();
    expect(await requiredHoursFor('00', 2025)).toBeNull();
  });

  it('inherits the head office requirement', async () => {
    await setRequirement({ orgUnitCode: '00', year: 2025, requiredHours: 50 });

    expect(await requiredHoursFor('00', 2025)).toBe(50);
    expect(await requiredHoursFor('03', 2025)).toBe(50);
    expect(await requiredHoursFor('030501', 2025)).toBe(50);
    expect(await effectiveRequirement('030501', 2025)).toEqual({
      requiredHours: 50,
      setOnOrgUnitCode: '00',
    });
  });

  it('applies a province override to its subtree', async () => {
    await setRequirement({ orgUnitCode: '03', year: 2025, requiredHours: 60.5 });

    expect(await requiredHoursFor('03', 2025)).toBe(60.5);
    expect(await requiredHoursFor('0305', 2025)).toBe(60.5);
    expect(await requiredHoursFor('030501', 2025)).toBe(60.5);
    expect(await requiredHoursFor('04', 2025)).toBe(50);
    expect(await requiredHoursFor('00', 2025)).toBe(50);
  });

  it('applies a county override, even of 0', async () => {
    await setRequirement({ orgUnitCode: '030501', year: 2025, requiredHours: 0 });

    expect(await requiredHoursFor('030501', 2025)).toBe(0);
    expect(await effectiveRequirement('030501', 2025)).toEqual({
      requiredHours: 0,
      setOnOrgUnitCode: '030501',
    });
    expect(await requiredHoursFor('0305', 2025)).toBe(60.5);
  });

  it('keeps years apart', async () => {
    expect(await requiredHoursFor('030501', 2024)).toBeNull();
    expect(await requiredHoursFor('030501', 2026)).toBeNull();
  });

  it('replaces a unit setting in place', async () => {
    await setRequirement({ orgUnitCode: '030501', year: 2025, requiredHours: 40 });

    expect(await requiredHoursFor('030501', 2025)).toBe(40);
    expect(await HourRequirementModel.countDocuments({ orgUnitCode: '030501' })).toBe(1);
  });

  it('falls back to the parent after removal', async () => {
    expect(await removeRequirement('030501', 2025)).toBe(true);
    expect(await removeRequirement('030501', 2025)).toBe(false);
    expect(await requiredHoursFor('030501', 2025)).toBe(60.5);
  });

  it('rejects an unknown unit', async () => {
    await expect(requiredHoursFor('99', 2025)).rejects.toMatchObject({ status: 404 });
    await expect(
      setRequirement({ orgUnitCode: '99', year: 2025, requiredHours: 10 }),
    ).rejects.toMatchObject({ status: 404 });
  });
});

describe('setRequirement validation', () => {
  it.each([
    ['a year before 2000', 1999, 10],
    ['a year after 2100', 2101, 10],
    ['a fractional year', 2025.5, 10],
    ['negative hours', 2025, -1],
    ['hours over 1000', 2025, 1000.1],
    ['two decimals', 2025, 1.25],
    ['NaN hours', 2025, Number.NaN],
  ])('rejects %s', async (_case, year, requiredHours) => {
    await expect(setRequirement({ orgUnitCode: '04', year, requiredHours })).rejects.toMatchObject({
      status: 400,
      id: 'validation_failed',
    });
    expect(await HourRequirementModel.countDocuments({ orgUnitCode: '04' })).toBe(0);
  });

  it('accepts the bounds', async () => {
    await setRequirement({ orgUnitCode: '04', year: 2000, requiredHours: 0 });
    await setRequirement({ orgUnitCode: '04', year: 2100, requiredHours: 1000 });

    expect(await requiredHoursFor('04', 2000)).toBe(0);
    expect(await requiredHoursFor('04', 2100)).toBe(1000);
  });

  it('has a unique index on unit and year', async () => {
    await expect(
      HourRequirementModel.create({ orgUnitCode: '04', year: 2100, requiredHours: 5 }),
    ).rejects.toMatchObject({ code: 11000 });
  });
});
