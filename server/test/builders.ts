import { EmployeeModel } from '../src/modules/org/employee.model.js';
import { OrgUnitModel } from '../src/modules/org/org-unit.model.js';

/** Inserts a three-level org path (head office, province, city) and returns the city unit's code. */
export async function createOrgPath(suffix: string): Promise<string> {
  const units = [
    { code: 'HQ', name: '总部', parentCode: null, path: '/HQ/', pathNames: ['总部'], level: 0 },
    {
      code: `P${suffix}`,
      name: '广东省公司',
      parentCode: 'HQ',
      path: `/HQ/P${suffix}/`,
      pathNames: ['总部', '广东省公司'],
      level: 1,
    },
    {
      code: `C${suffix}`,
      name: '广州市分公司',
      parentCode: `P${suffix}`,
      path: `/HQ/P${suffix}/C${suffix}/`,
      pathNames: ['总部', '广东省公司', '广州市分公司'],
      level: 2,
    },
  ];
  for (const unit of units) {
    await OrgUnitModel.updateOne(
      { code: unit.code },
      { $setOnInsert: { ...unit, kind: 'unit' } },
      { upsert: true },
    );
  }
  return `C${suffix}`;
}

export async function createEmployee(employeeNo: string, name: string, orgUnitCode: string) {
  return EmployeeModel.create({ employeeNo, name, orgUnitCode, post: '客户经理' });
}
