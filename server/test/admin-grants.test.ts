import type { ApiErrorBody, HourRequirementListResponse } from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminGrantModel } from '../src/modules/admin/admin-grant.model.js';
import { grantManager, listGrants, revokeManager } from '../src/modules/admin/grants.service.js';
import { resolveManagerScope } from '../src/modules/admin/manager-scope.js';
import { BindingModel } from '../src/modules/learners/binding.model.js';
import { OrgUnitModel } from '../src/modules/org/org-unit.model.js';
import { createEmployee } from './builders.js';
import { createAdminOrg, loginAsEmployee } from './admin-fixtures.js';
import { startTestServer, type TestServer } from './harness.js';

let server: TestServer;
const now = new Date('2025-05-01T02:00:00Z');

beforeAll(async () => {
  server = await startTestServer();
  await createAdminOrg();
});

afterAll(async () => {
  await server?.close();
});

function listRequirements(token: string | undefined, query: string) {
  return server.request<HourRequirementListResponse & ApiErrorBody>(
    'GET',
    `/api/admin/hour-requirements${query}`,
    { token },
  );
}

async function learnerIdOf(employeeNo: string) {
  return (await BindingModel.findOne({ employeeNo }).lean())!.learnerId;
}

describe('grantManager', () => {
  it('grants once and then does nothing', async () => {
    await createEmployee('G1001', '周管理', '03');

    expect(await grantManager('G1001', '0305', now)).toBe(true);
    expect(await grantManager('G1001', '0305', now)).toBe(false);
    expect(await AdminGrantModel.countDocuments({ employeeNo: 'G1001' })).toBe(1);
  });

  it('rejects an unknown employee or unit', async () => {
    await expect(grantManager('NOBODY', '0305', now)).rejects.toMatchObject({
      status: 404,
      message: 'Employee NOBODY was not found',
    });
    await expect(grantManager('G1001', '99', now)).rejects.toMatchObject({
      status: 404,
      message: 'Org unit 99 was not found',
    });
    expect(await AdminGrantModel.countDocuments({ employeeNo: 'NOBODY' })).toBe(0);
    expect(await AdminGrantModel.countDocuments({ orgUnitCode: '99' })).toBe(0);
  });

  it('has a unique index on employee and unit', async () => {
    await expect(
      AdminGrantModel.create({
        employeeNo: 'G1001',
        orgUnitCode: '0305',
        role: 'manager',
        createdAt: now,
      }),
    ).rejects.toMatchObject({ code: 11000 });
  });

  it('lists grants with names', async () => {
    await createEmployee('G1002', '吴管理', '04');
    await grantManager('G1002', '04', now);

    expect(await listGrants()).toEqual([
      {
        employeeNo: 'G1001',
        employeeName: '周管理',
        orgUnitCode: '0305',
        orgUnitName: '广州市分公司',
        role: 'manager',
        createdAt: now,
      },
      {
        employeeNo: 'G1002',
        employeeName: '吴管理',
        orgUnitCode: '04',
        orgUnitName: '广西壮族自治区公司',
        role: 'manager',
        createdAt: now,
      },
    ]);
    expect((await listGrants('G1002')).map((grant) => grant.orgUnitCode)).toEqual(['04']);
  });

  it('revokes a grant once', async () => {
    expect(await revokeManager('G1002', '04')).toBe(true);
    expect(await revokeManager('G1002', '04')).toBe(false);
    expect(await listGrants('G1002')).toEqual([]);
  });
});

describe('resolveManagerScope', () => {
  it('keeps only the outermost of nested grants', async () => {
    await loginAsEmployee(server, 'S2001', '郑范围', '03');
    await grantManager('S2001', '030501', now);
    await grantManager('S2001', '03', now);
    await grantManager('S2001', '04', now);

    const scope = await resolveManagerScope(await learnerIdOf('S2001'));
    expect(scope?.employeeNo).toBe('S2001');
    expect(scope?.units.map((unit) => unit.code)).toEqual(['03', '04']);
  });

  it('ignores a grant on a unit that no longer exists', async () => {
    await loginAsEmployee(server, 'S2002', '冯旧单位', '04');
    await OrgUnitModel.create({
      code: '0499',
      name: '撤销单位',
      parentCode: '04',
      path: '/00/04/0499/',
      pathNames: ['总部', '广西壮族自治区公司', '撤销单位'],
      level: 2,
      kind: 'city',
    });
    await grantManager('S2002', '0499', now);
    await OrgUnitModel.deleteOne({ code: '0499' });

    expect(await resolveManagerScope(await learnerIdOf('S2002'))).toBeNull();
  });
});

describe('requireManager', () => {
  let managerToken: string;

  beforeAll(async () => {
    managerToken = await loginAsEmployee(server, 'M3001', '陈经理', '03');
    await grantManager('M3001', '0305', now);
  });

  it('rejects a request without a token with 401', async () => {
    const response = await listRequirements(undefined, '?year=2025');
    expect(response.status).toBe(401);
    expect(response.body.error.id).toBe('unauthenticated');
  });

  it('rejects an unbound learner with 403', async () => {
    const token = await server.loginAs('admin-unbound');
    const response = await listRequirements(token, '?year=2025');
    expect(response.status).toBe(403);
    expect(response.body.error.id).toBe('forbidden');
  });

  it('rejects a bound learner without a grant with 403', async () => {
    const token = await loginAsEmployee(server, 'L3002', '褚学员', '0305');
    const response = await listRequirements(token, '?year=2025');
    expect(response.status).toBe(403);
    expect(response.body.error.id).toBe('forbidden');
  });

  it('admits a manager to the granted unit and its subtree', async () => {
    for (const query of [
      '?year=2025',
      '?year=2025&orgUnitCode=0305',
      '?year=2025&orgUnitCode=030501',
    ]) {
      const response = await listRequirements(managerToken, query);
      expect(response.status, query).toBe(200);
    }
  });

  it('rejects units outside the subtree with 403', async () => {
    for (const code of ['03', '00', '0306', '04']) {
      const response = await listRequirements(managerToken, `?year=2025&orgUnitCode=${code}`);
      expect(response.status, code).toBe(403);
      expect(response.body.error.id, code).toBe('forbidden');
    }
  });

  it('applies a revoked grant on the next request', async () => {
    const token = await loginAsEmployee(server, 'M3003', '卫经理', '0306');
    await grantManager('M3003', '0306', now);
    expect((await listRequirements(token, '?year=2025')).status).toBe(200);

    await revokeManager('M3003', '0306');
    const response = await listRequirements(token, '?year=2025');
    expect(response.status).toBe(403);
    expect(response.body.error.id).toBe('forbidden');
  });
});
