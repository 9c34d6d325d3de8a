import type { ApiErrorBody } from '@wxlearn/api-types';
import ExcelJS from 'exceljs';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantManager } from '../src/modules/admin/grants.service.js';
import { buildHoursExport } from '../src/modules/admin/hours-export.service.js';
import { resolveManagerScope } from '../src/modules/admin/manager-scope.js';
import { CourseModel } from '../src/modules/catalog/course.model.js';
import { LegacyRecordModel } from '../src/modules/hours/legacy-record.model.js';
import { setRequirement } from '../src/modules/hours/requirements.js';
import { BindingModel } from '../src/modules/learners/binding.model.js';
import { CourseCompletionModel } from '../src/modules/learning/course-completion.model.js';
import { LessonProgressModel } from '../src/modules/learning/lesson-progress.model.js';
import { createEmployee } from './builders.js';
import { createAdminOrg, loginAsEmployee } from './admin-fixtures.js';
import { startTestServer, type TestServer } from './harness.js';

let server: TestServer;
/** Manager of 广州市分公司 (0305), itself employed at the province office outside that subtree. */
let managerToken: string;
const NOW = new Date('2025-06-01T04:00:00Z');

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const GUANGZHOU = '总部 / 广东省公司 / 广州市分公司';
const CONGHUA = '总部 / 广东省公司 / 广州市分公司 / 从化区营业部';

async function createCourse(code: string, title: string) {
  const course = await CourseModel.create({
    code,
    title,
    category: '测试',
    creditHours: 1,
    published: true,
  });
  return course._id;
}

async function bindLearner(employeeNo: string, orgUnitCode: string) {
  const learnerId = new Types.ObjectId();
  await BindingModel.create({ learnerId, employeeNo, orgUnitCode, boundAt: NOW });
  return learnerId;
}

function completion(
  learnerId: Types.ObjectId,
  courseId: Types.ObjectId,
  completedAt: string,
  year: number,
  creditHours: number,
) {
  return {
    learnerId,
    courseId,
    completedAt: new Date(completedAt),
    year,
    creditHours,
    hoursSet: true,
  };
}

function legacy(
  employeeNo: string,
  name: string,
  title: string,
  completedOn: string,
  hours: number,
) {
  return {
    sourceSystem: '旧学习平台',
    employeeNo,
    name,
    courseTitle: title,
    completedOn,
    year: Number(completedOn.slice(0, 4)),
    hours,
    importedFrom: `legacy.csv:${title}`,
  };
}

// Fixture. In 广州市分公司 (0305): 李一, bound, with two courses completed in 2025 and one in 2024
// of a course since removed; 张三, never bound. In its county 从化区营业部 (030501): 王二, unbound,
// with legacy records. Outside the subtree: 赵四 in 深圳市分公司 and the manager 钱经理 at the
// province office. The 2025 requirements are 10 hours set on the province and 3 on the county.
beforeAll(async () => {
  server = await startTestServer();
  server.deps.now = () => NOW;
  await createAdminOrg();

  managerToken = await loginAsEmployee(server, 'M0001', '钱经理', '03');
  await grantManager('M0001', '0305', NOW);

  await createEmployee('A1001', '李一', '0305');
  await createEmployee('A1002', '王二', '030501');
  await createEmployee('A1003', '张三', '0305');
  await createEmployee('B2001', '赵四', '0306');

  const safety = await createCourse('export-safety', '安全生产规范');
  const service = await createCourse('export-service', '客户服务礼仪');
  const removedCourse = new Types.ObjectId();
  const li = await bindLearner('A1001', '0305');
  const zhao = await bindLearner('B2001', '0306');
  await CourseCompletionModel.create([
    completion(li, safety, '2025-03-03T02:00:00Z', 2025, 2.5),
    // 01:30 on 1 January in Asia/Shanghai.
    completion(li, service, '2024-12-31T17:30:00Z', 2025, 1.2),
    completion(li, removedCourse, '2024-06-01T02:00:00Z', 2024, 1),
    completion(zhao, safety, '2025-04-01T02:00:00Z', 2025, 2.5),
  ]);
  await LessonProgressModel.create([
    {
      learnerId: li,
      lessonId: new Types.ObjectId(),
      courseId: safety,
      creditedMs: 9_000_000,
      creditedByYear: [
        { year: 2024, creditedMs: 3_600_000 },
        { year: 2025, creditedMs: 5_400_000 },
      ],
      complete: true,
      completedAt: new Date('2025-03-03T02:00:00Z'),
      computedAt: NOW,
    },
    {
      learnerId: li,
      lessonId: new Types.ObjectId(),
      courseId: service,
      creditedMs: 900_000,
      creditedByYear: [{ year: 2025, creditedMs: 900_000 }],
      complete: false,
      computedAt: NOW,
    },
  ]);
  await LegacyRecordModel.create([
    legacy('A1002', '王二', '安全生产培训', '2025-01-15', 3.5),
    legacy('A1002', '王二', '往年培训', '2024-12-31', 8),
    legacy('B2001', '赵四', '深圳培训', '2025-02-01', 6),
  ]);
  await setRequirement({ orgUnitCode: '03', year: 2025, requiredHours: 10 });
  await setRequirement({ orgUnitCode: '030501', year: 2025, requiredHours: 3 });
});

afterAll(async () => {
  await server?.close();
});

async function download(query: string, token = managerToken) {
  const response = await fetch(`${server.url}/api/admin/hours/export${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { response, content: Buffer.from(await response.arrayBuffer()) };
}

async function readWorkbook(content: Buffer) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(content as unknown as ExcelJS.Buffer);
  return workbook;
}

/** Returns every row of a sheet as an array of cell values, header included. */
function sheetValues(sheet: ExcelJS.Worksheet, columns: number): unknown[][] {
  const rows: unknown[][] = [];
  for (let number = 1; number <= sheet.rowCount; number++) {
    const row = sheet.getRow(number);
    const values: unknown[] = [];
    for (let column = 1; column <= columns; column++) values.push(row.getCell(column).value);
    rows.push(values);
  }
  return rows;
}

const SUMMARY_HEADER = [
  '工号',
  '姓名',
  '单位',
  '要求学时',
  '已获学时',
  '其中平台学时',
  '其中历史导入学时',
  '还差学时',
  '学习时长（小时）',
  '是否达标',
];
const RECORD_HEADER = ['工号', '姓名', '单位', '课程名称', '学时', '完成日期', '来源'];

const day = (date: string) => new Date(`${date}T00:00:00.000Z`);

describe('hours export', () => {
  it('returns an xlsx attachment with a Chinese file name', async () => {
    const { response } = await download('?year=2025&orgUnitCode=0305');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(XLSX_TYPE);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const disposition = response.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(
      /^attachment; filename="hours-0305-2025\.xlsx"; filename\*=UTF-8''/,
    );
    const encoded = disposition.split("filename*=UTF-8''")[1] ?? '';
    expect(decodeURIComponent(encoded)).toBe('学时记录-广州市分公司-2025.xlsx');
  });

  it('sums each employee of the subtree', async () => {
    const workbook = await readWorkbook((await download('?year=2025&orgUnitCode=0305')).content);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['汇总', '学时记录']);

    const summary = workbook.getWorksheet('汇总')!;
    // Employees by unit (the city before its county), then by employee number.
    expect(sheetValues(summary, SUMMARY_HEADER.length)).toEqual([
      SUMMARY_HEADER,
      ['A1001', '李一', GUANGZHOU, 10, 3.7, 3.7, 0, 6.3, 1.8, '否'],
      ['A1003', '张三', GUANGZHOU, 10, 0, 0, 0, 10, 0, '否'],
      ['A1002', '王二', CONGHUA, 3, 3.5, 0, 3.5, 0, 0, '是'],
    ]);
  });

  it('lists every record of the year', async () => {
    const workbook = await readWorkbook((await download('?year=2025&orgUnitCode=0305')).content);
    const records = workbook.getWorksheet('学时记录')!;
    expect(sheetValues(records, RECORD_HEADER.length)).toEqual([
      RECORD_HEADER,
      ['A1001', '李一', GUANGZHOU, '客户服务礼仪', 1.2, day('2025-01-01'), '平台学习'],
      ['A1001', '李一', GUANGZHOU, '安全生产规范', 2.5, day('2025-03-03'), '平台学习'],
      ['A1002', '王二', CONGHUA, '安全生产培训', 3.5, day('2025-01-15'), '旧学习平台'],
    ]);
  });

  it('leaves out employees outside the subtree', async () => {
    const workbook = await readWorkbook((await download('?year=2025&orgUnitCode=0305')).content);
    for (const sheet of workbook.worksheets) {
      const employeeNos = sheet.getColumn(1).values;
      expect(employeeNos, sheet.name).not.toContain('B2001');
      expect(employeeNos, sheet.name).not.toContain('M0001');
    }
  });

  it('formats headers, widths and numbers', async () => {
    const workbook = await readWorkbook((await download('?year=2025&orgUnitCode=0305')).content);
    for (const sheet of workbook.worksheets) {
      expect(sheet.views[0]?.state, sheet.name).toBe('frozen');
      expect((sheet.views[0] as { ySplit?: number } | undefined)?.ySplit, sheet.name).toBe(1);
      expect(sheet.getRow(1).getCell(1).font?.bold, sheet.name).toBe(true);
      expect(sheet.getColumn(3).width, sheet.name).toBe(44);
    }
    const summary = workbook.getWorksheet('汇总')!;
    expect(summary.getRow(2).getCell(5).numFmt).toBe('0.0');
    const records = workbook.getWorksheet('学时记录')!;
    expect(records.getRow(2).getCell(6).numFmt).toBe('yyyy-mm-dd');
  });

  it('marks a year without requirements and keeps years apart', async () => {
    const workbook = await readWorkbook((await download('?year=2024&orgUnitCode=0305')).content);
    expect(sheetValues(workbook.getWorksheet('汇总')!, SUMMARY_HEADER.length)).toEqual([
      SUMMARY_HEADER,
      ['A1001', '李一', GUANGZHOU, null, 1, 1, 0, null, 1, '未设置要求'],
      ['A1003', '张三', GUANGZHOU, null, 0, 0, 0, null, 0, '未设置要求'],
      ['A1002', '王二', CONGHUA, null, 8, 0, 8, null, 0, '未设置要求'],
    ]);
    expect(sheetValues(workbook.getWorksheet('学时记录')!, RECORD_HEADER.length)).toEqual([
      RECORD_HEADER,
      ['A1001', '李一', GUANGZHOU, '（已下架课程）', 1, day('2024-06-01'), '平台学习'],
      ['A1002', '王二', CONGHUA, '往年培训', 8, day('2024-12-31'), '旧学习平台'],
    ]);
  });

  it('exports a county alone', async () => {
    const { response, content } = await download('?year=2025&orgUnitCode=030501');
    expect(response.status).toBe(200);
    const summary = (await readWorkbook(content)).getWorksheet('汇总')!;
    expect(sheetValues(summary, 1)).toEqual([['工号'], ['A1002']]);
  });

  it('gives the same file contents in chunks of one employee', async () => {
    const learnerId = (await BindingModel.findOne({ employeeNo: 'M0001' }).lean())!.learnerId;
    const scope = (await resolveManagerScope(learnerId))!;
    const whole = await readWorkbook((await buildHoursExport(scope, '0305', 2025, NOW)).content);
    const chunked = await readWorkbook(
      (await buildHoursExport(scope, '0305', 2025, NOW, 1)).content,
    );
    for (const name of ['汇总', '学时记录']) {
      const expected = sheetValues(whole.getWorksheet(name)!, SUMMARY_HEADER.length);
      expect(sheetValues(chunked.getWorksheet(name)!, SUMMARY_HEADER.length), name).toEqual(
        expected,
      );
    }
  });
});

describe('hours export access and input', () => {
  async function errorOf(query: string, token?: string) {
    const response = await fetch(`${server.url}/api/admin/hours/export${query}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: response.status, body: (await response.json()) as ApiErrorBody };
  }

  it('rejects a request without a token with 401', async () => {
    const { status } = await errorOf('?year=2025&orgUnitCode=0305');
    expect(status).toBe(401);
  });

  it('rejects a learner without a grant with 403', async () => {
    const token = await loginAsEmployee(server, 'A1009', '孙学员', '0305');
    const { status, body } = await errorOf('?year=2025&orgUnitCode=0305', token);
    expect(status).toBe(403);
    expect(body.error.id).toBe('forbidden');
  });

  for (const code of ['03', '0306', '00']) {
    it(`rejects unit ${code} outside the subtree with 403`, async () => {
      const { status, body } = await errorOf(`?year=2025&orgUnitCode=${code}`, managerToken);
      expect(status).toBe(403);
      expect(body.error.id).toBe('forbidden');
    });
  }

  it('returns 404 for an unknown unit', async () => {
    const { status, body } = await errorOf('?year=2025&orgUnitCode=99', managerToken);
    expect(status).toBe(404);
    expect(body.error.id).toBe('not_found');
  });

  const badQueries: [string, string][] = [
    ['year 1999', '?year=1999&orgUnitCode=0305'],
    ['next year', '?year=2026&orgUnitCode=0305'],
    ['a year that is not a number', '?year=abcd&orgUnitCode=0305'],
    ['a missing year', '?orgUnitCode=0305'],
    ['a missing unit', '?year=2025'],
    ['an unknown parameter', '?year=2025&orgUnitCode=0305&format=csv'],
  ];
  for (const [name, query] of badQueries) {
    it(`rejects ${name} with 400`, async () => {
      const { status, body } = await errorOf(query, managerToken);
      expect(status).toBe(400);
      expect(body.error.id).toBe('validation_failed');
    });
  }
});
