import type {
  ApiErrorBody,
  HourRequirementListResponse,
  HourRequirementView,
} from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantManager } from '../src/modules/admin/grants.service.js';
import { HourRequirementModel } from '../src/modules/hours/hour-requirement.model.js';
import { requiredHoursFor } from '../src/modules/hours/requirements.js';
import { createAdminOrg, loginAsEmployee } from './admin-fixtures.js';
import { startTestServer, type TestServer } from './harness.js';

let server: TestServer;
/** Manager of the province 03 (广东省公司). */
let provinceToken: string;
/** Manager of the city 0305 (广州市分公司), whose subtree contains the county 030501. */
let cityToken: string;

beforeAll(async () => {
  server = await startTestServer();
  await createAdminOrg();
  const now = new Date();
  provinceToken = await loginAsEmployee(server, 'P4001', '蒋省管', '03');
  await grantManager('P4001', '03', now);
  cityToken = await loginAsEmployee(server, 'C4002', '沈市管', '0305');
  await grantManager('C4002', '0305', now);
});

afterAll(async () => {
  await server?.close();
});

function put(token: string, path: string, body: unknown) {
  return server.request<HourRequirementView & ApiErrorBody>(
    'PUT',
    `/api/admin/hour-requirements/${path}`,
    { token, body },
  );
}

function remove(token: string, path: string) {
  return server.request<ApiErrorBody>('DELETE', `/api/admin/hour-requirements/${path}`, { token });
}

function list(token: string, query: string) {
  return server.request<HourRequirementListResponse & ApiErrorBody>(
    'GET',
    `/api/admin/hour-requirements${query}`,
    { token },
  );
}

const own = (orgUnitCode: string, orgUnitName: string, requiredHours: number) => ({
  orgUnitCode,
  orgUnitName,
  year: 2025,
  requiredHours,
  inheritedFrom: null,
});

const GUANGDONG = { orgUnitCode: '03', orgUnitName: '广东省公司' };

// The tests share one database and run in order: each builds on the requirements set before it.
describe('hour requirement routes', () => {
  it('lists nothing before any requirement is set', async () => {
    const response = await list(cityToken, '?year=2025');
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([]);
  });

  it('sets the province requirement for its manager', async () => {
    const response = await put(provinceToken, '03/2025', { requiredHours: 50 });
    expect(response.status).toBe(200);
    expect(response.body).toEqual(own('03', '广东省公司', 50));
  });

  it('shows the city what it inherits', async () => {
    const response = await list(cityToken, '?year=2025');
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([
      {
        orgUnitCode: '0305',
        orgUnitName: '广州市分公司',
        year: 2025,
        requiredHours: 50,
        inheritedFrom: GUANGDONG,
      },
    ]);
  });

  it('forbids the city manager to set the province requirement', async () => {
    const response = await put(cityToken, '03/2025', { requiredHours: 10 });
    expect(response.status).toBe(403);
    expect(response.body.error.id).toBe('forbidden');
    expect(await requiredHoursFor('03', 2025)).toBe(50);
  });

  it('forbids the city manager to set a sibling city', async () => {
    const response = await put(cityToken, '0306/2025', { requiredHours: 10 });
    expect(response.status).toBe(403);
    expect(await HourRequirementModel.countDocuments({ orgUnitCode: '0306' })).toBe(0);
  });

  it('lets the city override and its county override again', async () => {
    expect((await put(cityToken, '0305/2025', { requiredHours: 40 })).status).toBe(200);
    expect((await put(cityToken, '030501/2025', { requiredHours: 0 })).status).toBe(200);

    const city = await list(cityToken, '?year=2025');
    expect(city.body.items).toEqual([
      own('0305', '广州市分公司', 40),
      own('030501', '从化区营业部', 0),
    ]);
    expect(await requiredHoursFor('0305', 2025)).toBe(40);
    expect(await requiredHoursFor('030501', 2025)).toBe(0);
    expect(await requiredHoursFor('0306', 2025)).toBe(50);
  });

  it('lists the whole province for its manager, parents first', async () => {
    const response = await list(provinceToken, '?year=2025');
    expect(response.body.items).toEqual([
      own('03', '广东省公司', 50),
      own('0305', '广州市分公司', 40),
      own('030501', '从化区营业部', 0),
    ]);
  });

  it('lists one unit subtree when asked', async () => {
    const response = await list(provinceToken, '?year=2025&orgUnitCode=030501');
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([own('030501', '从化区营业部', 0)]);
  });

  it('replaces a setting in place', async () => {
    const response = await put(cityToken, '0305/2025', { requiredHours: 45.5 });
    expect(response.body.requiredHours).toBe(45.5);
    expect(await HourRequirementModel.countDocuments({ orgUnitCode: '0305', year: 2025 })).toBe(1);
    expect(await requiredHoursFor('0305', 2025)).toBe(45.5);
  });

  it('keeps years apart', async () => {
    const response = await list(cityToken, '?year=2024');
    expect(response.body.items).toEqual([]);
    expect(await requiredHoursFor('0305', 2024)).toBeNull();
  });

  it('removes an override so the city inherits again', async () => {
    const response = await remove(cityToken, '0305/2025');
    expect(response.status).toBe(204);

    const city = await list(cityToken, '?year=2025');
    expect(city.body.items).toEqual([
      {
        orgUnitCode: '0305',
        orgUnitName: '广州市分公司',
        year: 2025,
        requiredHours: 50,
        inheritedFrom: GUANGDONG,
      },
      own('030501', '从化区营业部', 0),
    ]);
    expect(await requiredHoursFor('0305', 2025)).toBe(50);
  });

  it('returns 404 when removing a requirement that is not set', async () => {
    const response = await remove(cityToken, '0305/2025');
    expect(response.status).toBe(404);
    expect(response.body.error.id).toBe('not_found');
  });

  it('forbids the city manager to remove the province requirement', async () => {
    const response = await remove(cityToken, '03/2025');
    expect(response.status).toBe(403);
    expect(await requiredHoursFor('03', 2025)).toBe(50);
  });

  it('accepts future years up to 2100', async () => {
    const response = await put(cityToken, '0305/2100', { requiredHours: 1000 });
    expect(response.status).toBe(200);
    expect(await requiredHoursFor('0305', 2100)).toBe(1000);
  });
});

describe('hour requirement input', () => {
  const badBodies: [string, unknown][] = [
    ['two decimals', { requiredHours: 1.25 }],
    ['negative hours', { requiredHours: -1 }],
    ['hours over 1000', { requiredHours: 1000.1 }],
    ['hours as text', { requiredHours: 'x' }],
    ['hours as a numeric string', { requiredHours: '10' }],
    ['no hours', {}],
    ['an unknown field', { requiredHours: 10, orgUnitCode: '03' }],
  ];
  for (const [name, body] of badBodies) {
    it(`rejects ${name} with 400`, async () => {
      const response = await put(cityToken, '030501/2026', body);
      expect(response.status).toBe(400);
      expect(response.body.error.id).toBe('validation_failed');
      expect(await HourRequirementModel.countDocuments({ year: 2026 })).toBe(0);
    });
  }

  const badPaths: [string, string][] = [
    ['year 1999', '030501/1999'],
    ['year 2101', '030501/2101'],
    ['a year that is not a number', '030501/20x5'],
    ['a five-digit year', '030501/20250'],
  ];
  for (const [name, path] of badPaths) {
    it(`rejects ${name} in the path with 400`, async () => {
      const response = await put(cityToken, path, { requiredHours: 10 });
      expect(response.status).toBe(400);
      expect(response.body.error.id).toBe('validation_failed');
    });
  }

  const badQueries: [string, string][] = [
    ['year 1999', '?year=1999'],
    ['a missing year', ''],
    ['a repeated year', '?year=2025&year=2024'],
    ['an unknown parameter', '?year=2025&learnerId=x'],
  ];
  for (const [name, query] of badQueries) {
    it(`rejects a list query with ${name} with 400`, async () => {
      const response = await list(cityToken, query);
      expect(response.status).toBe(400);
      expect(response.body.error.id).toBe('validation_failed');
    });
  }

  it('returns 404 for an unknown unit', async () => {
    const set = await put(cityToken, '99/2025', { requiredHours: 10 });
    expect(set.status).toBe(404);
    expect(set.body.error.id).toBe('not_found');
    const removal = await remove(cityToken, '99/2025');
    expect(removal.status).toBe(404);
    const listing = await list(cityToken, '?year=2025&orgUnitCode=99');
    expect(listing.status).toBe(404);
    expect(await HourRequirementModel.countDocuments({ orgUnitCode: '99' })).toBe(0);
  });
});
