import { OrgUnitModel } from '../src/modules/org/org-unit.model.js';
import { createEmployee } from './builders.js';
import type { TestServer } from './harness.js';

// Head office 00 with province 03 (cities 0305 and 0306, county 030501 under 0305) and province 04.
const ADMIN_TEST_UNITS = [
  { code: '00', parentCode: null, names: ['总部'], kind: 'headOffice' },
  { code: '03', parentCode: '00', names: ['总部', '广东省公司'], kind: 'province' },
  {
    code: '0305',
    parentCode: '03',
    names: ['总部', '广东省公司', '广州市分公司'],
    kind: 'city',
  },
  {
    code: '030501',
    parentCode: '0305',
    names: ['总部', '广东省公司', '广州市分公司', '从化区营业部'],
    kind: 'county',
  },
  {
    code: '0306',
    parentCode: '03',
    names: ['总部', '广东省公司', '深圳市分公司'],
    kind: 'city',
  },
  { code: '04', parentCode: '00', names: ['总部', '广西壮族自治区公司'], kind: 'province' },
];

const PATHS: Record<string, string> = {
  '00': '/00/',
  '03': '/00/03/',
  '0305': '/00/03/0305/',
  '030501': '/00/03/0305/030501/',
  '0306': '/00/03/0306/',
  '04': '/00/04/',
};

/** Inserts the org tree above into the test server's database. */
export async function createAdminOrg(): Promise<void> {
  await OrgUnitModel.insertMany(
    ADMIN_TEST_UNITS.map((unit) => ({
      code: unit.code,
      name: unit.names[unit.names.length - 1],
      parentCode: unit.parentCode,
      path: PATHS[unit.code],
      pathNames: unit.names,
      level: unit.names.length - 1,
      kind: unit.kind,
    })),
  );
}

/**
 * Puts an employee on the roster, logs in as a sandbox learner and binds it to the employee over
 * HTTP. Returns the learner's bearer token.
 */
export async function loginAsEmployee(
  server: TestServer,
  employeeNo: string,
  name: string,
  orgUnitCode: string,
): Promise<string> {
  await createEmployee(employeeNo, name, orgUnitCode);
  const token = await server.loginAs(`learner-${employeeNo}`);
  const bind = await server.request('POST', '/api/me/binding', {
    token,
    body: { employeeNo, name },
  });
  if (bind.status !== 200) throw new Error(`binding ${employeeNo} failed: ${bind.text}`);
  return token;
}
