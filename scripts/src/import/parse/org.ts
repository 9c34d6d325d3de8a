// Deterministic generator of an organisation shaped like the reference customer (a national
// company with provincial, city and county units plus plants) and of an employee roster.
import { base, Faker, zh_CN } from '@faker-js/faker';
import type { EmployeeRecord, OrgUnitKind, OrgUnitRecord } from './types.js';

/** Number of units per level. */
export interface OrgShape {
  /** Provincial units, named after real provinces; at most 31. */
  provinces: number;
  /** Units directly under the head office (industrial and service companies). */
  directUnits: number;
  /** City units, spread over the provincial units. */
  cities: number;
  /** County units, spread over the city units. */
  counties: number;
  /** Plants and other companies, spread over the direct units. */
  plantsAndCompanies: number;
}

/**
 * The reference customer: head office, 58 provincial and direct units (31 + 27), 446 city
 * units, 2,283 county units and 300 plants and other companies: 3,088 units in all.
 */
export const REFERENCE_ORG_SHAPE: Readonly<OrgShape> = {
  provinces: 31,
  directUnits: 27,
  cities: 446,
  counties: 2283,
  plantsAndCompanies: 300,
};

export const HEAD_OFFICE_CODE = '00';

// The 31 province-level divisions of mainland China.
const PROVINCES = [
  '北京市', '天津市', '河北省', '山西省', '内蒙古自治区', '辽宁省', '吉林省', '黑龙江省',
  '上海市', '江苏省', '浙江省', '安徽省', '福建省', '江西省', '山东省', '河南省', '湖北省',
  '湖南省', '广东省', '广西壮族自治区', '海南省', '重庆市', '四川省', '贵州省', '云南省',
  '西藏自治区', '陕西省', '甘肃省', '青海省', '宁夏回族自治区', '新疆维吾尔自治区',
]; // prettier-ignore

// Short province names for the industrial companies among the direct units.
const INDUSTRIAL_REGIONS = [
  '北京', '上海', '天津', '河北', '山西', '内蒙古', '辽宁', '吉林', '黑龙江', '江苏', '浙江',
  '安徽', '福建', '江西', '山东', '河南', '湖北', '湖南', '广东', '广西', '重庆', '四川',
  '贵州', '云南', '陕西', '甘肃', '新疆',
]; // prettier-ignore

const SERVICE_UNITS = [
  '物资供应有限公司', '进出口有限责任公司', '科学研究院', '信息中心', '培训中心', '物流有限公司',
  '财务有限公司', '投资管理有限公司', '机械有限公司', '印刷有限公司', '传媒中心',
]; // prettier-ignore

// Characters for plausible two- and three-character place names.
const PLACE_FIRST = [...'东西南北安宁平清永福长新兴丰华嘉金云龙泰德江河山阳青白丹古昌临广宜建恩和武文成定']; // prettier-ignore
const PLACE_MIDDLE = [...'水石林松岭川溪源桥湖梅沙'];
const PLACE_LAST = [
  ...'阳山平安州城江川源远定和康兴昌丰泉林宁乐都宾化明台庆武陵水溪亭阴湖口乡桥海原德峰',
];

const PLANT_SUFFIXES = ['生产厂', '制造厂', '加工厂'];
const COMPANY_SUFFIXES = ['分公司', '服务中心', '配送中心', '实业公司'];

const POSTS: Record<OrgUnitKind, readonly string[]> = {
  headOffice: ['部门经理', '主管', '专员', '科员', '财务专员', '人事专员', '信息管理员', '审计专员'],
  province: ['部门经理', '主管', '专员', '科员', '财务专员', '人事专员', '信息管理员', '审计专员'],
  direct: ['部门经理', '主管', '专员', '科员', '财务专员', '人事专员', '技术员'],
  city: ['客户经理', '营销员', '专卖管理员', '专卖稽查员', '财务专员', '人事专员', '信息管理员', '物流调度员', '部门经理'],
  county: ['客户经理', '客户经理', '营销员', '营销员', '专卖管理员', '专卖稽查员', '配送员', '仓储管理员', '综合管理员'],
  plant: ['操作工', '操作工', '设备维修工', '质检员', '班组长', '车间主任', '工艺员', '安全员', '仓储管理员'],
  company: ['业务员', '财务专员', '综合管理员', '技术员', '部门经理'],
}; // prettier-ignore

// Share of employees per unit kind; plants and county sales offices employ most people.
const EMPLOYEE_SHARE: Record<OrgUnitKind, number> = {
  headOffice: 0.005,
  province: 0.04,
  direct: 0.015,
  city: 0.2,
  county: 0.55,
  plant: 0.16,
  company: 0.03,
};

const MOBILE_PREFIXES = [
  '130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '155',
  '156', '157', '158', '159', '166', '176', '177', '178', '180', '181', '182', '183', '185',
  '186', '187', '188', '189', '191', '198', '199',
]; // prettier-ignore

function createFaker(seed: number): Faker {
  const faker = new Faker({ locale: [zh_CN, base] });
  faker.seed(seed);
  return faker;
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * Splits `total` items over `parents` parents: each parent gets at least one when there are
 * enough items, the rest go to random parents. Throws when a parent would get more than 99
 * children, the most a two-digit code segment can number.
 */
function spread(faker: Faker, total: number, parents: number, childLabel: string): number[] {
  const counts = new Array<number>(parents).fill(0);
  if (parents === 0) {
    if (total > 0)
      throw new RangeError(`cannot place ${total} ${childLabel}: there is no parent unit`);
    return counts;
  }
  let remaining = total;
  for (let i = 0; i < parents && remaining > 0; i++, remaining--) counts[i] = 1;
  for (; remaining > 0; remaining--) {
    const index = faker.number.int({ max: parents - 1 });
    counts[index] = (counts[index] ?? 0) + 1;
  }
  const largest = Math.max(...counts);
  if (largest > 99) {
    throw new RangeError(
      `${largest} ${childLabel} under one parent; codes allow at most 99 per parent`,
    );
  }
  return counts;
}

/** Yields unique place names: shuffled two-character names, then three-character ones. */
function* placeNames(faker: Faker): Generator<string> {
  const twoCharacter = PLACE_FIRST.flatMap((first) => PLACE_LAST.map((last) => first + last));
  yield* faker.helpers.shuffle(twoCharacter);
  const threeCharacter = PLACE_FIRST.flatMap((first) =>
    PLACE_MIDDLE.flatMap((middle) => PLACE_LAST.map((last) => first + middle + last)),
  );
  yield* faker.helpers.shuffle(threeCharacter);
  throw new RangeError('ran out of generated place names');
}

/**
 * Generates the org units, parents before children. Codes: head office `00`, provincial and
 * direct units `01`…, and each unit below them its parent's code plus a two-digit number,
 * so a code's prefixes name its ancestors (county `030512` is in city `0305`, province `03`).
 * The same seed and shape give the same units with the same @faker-js/faker version.
 */
export function generateOrg(
  options: { seed?: number; shape?: Partial<OrgShape> } = {},
): OrgUnitRecord[] {
  const shape: OrgShape = { ...REFERENCE_ORG_SHAPE, ...options.shape };
  if (shape.provinces > PROVINCES.length) {
    throw new RangeError(`at most ${PROVINCES.length} provincial units, got ${shape.provinces}`);
  }
  if (shape.provinces + shape.directUnits > 99) {
    throw new RangeError('at most 99 provincial and direct units');
  }
  const faker = createFaker(options.seed ?? 1);
  const names = placeNames(faker);
  const nextPlace = (): string => names.next().value as string;

  const units: OrgUnitRecord[] = [
    { code: HEAD_OFFICE_CODE, name: '总公司', parentCode: null, level: 0, kind: 'headOffice' },
  ];
  const provinces: OrgUnitRecord[] = PROVINCES.slice(0, shape.provinces).map((province, i) => ({
    code: pad2(i + 1),
    name: `${province}分公司`,
    parentCode: HEAD_OFFICE_CODE,
    level: 1,
    kind: 'province',
  }));
  const directUnits: OrgUnitRecord[] = [];
  const industrialCount = Math.min(INDUSTRIAL_REGIONS.length, Math.ceil(shape.directUnits * 0.6));
  for (let i = 0; i < shape.directUnits; i++) {
    const name =
      i < industrialCount
        ? `${INDUSTRIAL_REGIONS[i]}工业有限责任公司`
        : (SERVICE_UNITS[i - industrialCount] ?? `第${i - industrialCount + 1}直属单位`);
    directUnits.push({
      code: pad2(shape.provinces + i + 1),
      name,
      parentCode: HEAD_OFFICE_CODE,
      level: 1,
      kind: 'direct',
    });
  }
  units.push(...provinces, ...directUnits);

  const cities: OrgUnitRecord[] = [];
  spread(faker, shape.cities, provinces.length, 'city units').forEach((count, p) => {
    const parent = provinces[p] as OrgUnitRecord;
    for (let i = 1; i <= count; i++) {
      cities.push({
        code: parent.code + pad2(i),
        name: `${nextPlace()}市分公司`,
        parentCode: parent.code,
        level: 2,
        kind: 'city',
      });
    }
  });
  const plants: OrgUnitRecord[] = [];
  spread(faker, shape.plantsAndCompanies, directUnits.length, 'plants and companies').forEach(
    (count, d) => {
      const parent = directUnits[d] as OrgUnitRecord;
      const industrial = d < industrialCount;
      for (let i = 1; i <= count; i++) {
        const suffix = faker.helpers.arrayElement(industrial ? PLANT_SUFFIXES : COMPANY_SUFFIXES);
        plants.push({
          code: parent.code + pad2(i),
          name: `${nextPlace()}${suffix}`,
          parentCode: parent.code,
          level: 2,
          kind: industrial ? 'plant' : 'company',
        });
      }
    },
  );
  units.push(...cities, ...plants);

  spread(faker, shape.counties, cities.length, 'county units').forEach((count, c) => {
    const parent = cities[c] as OrgUnitRecord;
    for (let i = 1; i <= count; i++) {
      units.push({
        code: parent.code + pad2(i),
        name: `${nextPlace()}县营业部`,
        parentCode: parent.code,
        level: 3,
        kind: 'county',
      });
    }
  });
  return units;
}

function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  if (typeof value === 'object' && value !== null) {
    return Object.values(value).flatMap((item) => stringList(item));
  }
  return [];
}

/**
 * Yields `count` employees (default 2,000) spread over the units by kind (most in county
 * offices and plants). Employee numbers have 8 digits: the 2-digit provincial segment of the
 * unit's code (`00` for the head office) and a 6-digit counter within it, so they are unique
 * without a lookup. Work per employee is constant, so 600,000 take a second or two.
 * Names are a faker zh_CN family name and given name.
 */
export function* generateEmployees(
  units: readonly OrgUnitRecord[],
  options: { seed?: number; count?: number } = {},
): Generator<EmployeeRecord> {
  const count = options.count ?? 2000;
  const faker = createFaker((options.seed ?? 1) + 7919);
  const person = faker.rawDefinitions.person ?? {};
  const familyNames = stringList(person.last_name);
  const givenNames = [...new Set(stringList(person.first_name))];
  if (familyNames.length === 0 || givenNames.length === 0) {
    throw new Error('@faker-js/faker zh_CN has no person names');
  }

  const unitsByKind = new Map<OrgUnitKind, OrgUnitRecord[]>();
  for (const unit of units) {
    const list = unitsByKind.get(unit.kind) ?? [];
    list.push(unit);
    unitsByKind.set(unit.kind, list);
  }
  const kinds = [...unitsByKind.keys()];
  if (kinds.length === 0 && count > 0) {
    throw new RangeError('cannot generate employees without org units');
  }
  const totalShare = kinds.reduce((sum, kind) => sum + EMPLOYEE_SHARE[kind], 0);
  const cumulative: number[] = [];
  let running = 0;
  for (const kind of kinds) {
    running += EMPLOYEE_SHARE[kind] / totalShare;
    cumulative.push(running);
  }

  const counters = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const draw = faker.number.float();
    const kindIndex = cumulative.findIndex((limit) => draw < limit);
    // A draw at the rounded-down end of the last interval belongs to the last kind.
    const kind = kinds[kindIndex === -1 ? kinds.length - 1 : kindIndex] as OrgUnitKind;
    const candidates = unitsByKind.get(kind) as OrgUnitRecord[];
    const unit = candidates[faker.number.int({ max: candidates.length - 1 })] as OrgUnitRecord;

    const segment = unit.code.slice(0, 2);
    const sequence = (counters.get(segment) ?? 0) + 1;
    if (sequence > 999_999) {
      throw new RangeError(`more than 999,999 employees in provincial segment ${segment}`);
    }
    counters.set(segment, sequence);

    const employee: EmployeeRecord = {
      employeeNo: segment + String(sequence).padStart(6, '0'),
      name:
        (familyNames[faker.number.int({ max: familyNames.length - 1 })] as string) +
        (givenNames[faker.number.int({ max: givenNames.length - 1 })] as string),
      orgUnitCode: unit.code,
      post: faker.helpers.arrayElement(POSTS[kind]),
    };
    if (faker.number.int({ max: 9 }) > 0) {
      employee.mobile =
        faker.helpers.arrayElement(MOBILE_PREFIXES) +
        String(faker.number.int({ max: 99_999_999 })).padStart(8, '0');
    }
    yield employee;
  }
}
