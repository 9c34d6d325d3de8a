// Deterministic generator of a course catalog and of learners' enrolments with planted structure,
// for the recommendation benchmark and the offline evaluation at the reference customer's scale
// (600,000 employees, 7,000 courses). What a recommender can find in it, by construction:
// - each post prefers 2–4 topics (客户经理 → 营销, 客户, 零售, 品牌);
// - each unit runs a few campaign courses, and a county office also takes its city's;
// - a learner often goes on to the next level of the same series (安全入门 → 安全基础);
// - the rest is global popularity, Zipf-distributed.
// Enrolment draws: 25% next level of the previous course (from the 2nd enrolment on), 25% a
// campaign course of the learner's unit, 30% a course of a topic of the post, 20% global.
// The same seed gives the same data with the same @faker-js/faker version (for the roster).
import type { CourseRecord, EmployeeRecord, OrgUnitRecord } from '../import/parse/types.js';
import type { CourseInput } from '@wxlearn/server/modules/recommendations/model-builder.js';

const DAY_MS = 86_400_000;

/** Small, fast, seedable PRNG (mulberry32); plenty for test data, not for anything secret. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Topic {
  name: string;
  category: string;
  /** Words that descriptions of the topic's courses are written from. */
  words: string[];
}

// prettier-ignore
const TOPICS: Topic[] = [
  { name: '安全', category: '安全生产', words: ['隐患排查', '应急预案', '劳动防护', '安全责任', '事故案例', '风险辨识', '危险作业', '安全检查', '安全培训', '作业许可'] },
  { name: '消防', category: '安全生产', words: ['火灾预防', '灭火器材', '疏散演练', '消防设施', '电气火灾', '动火作业', '消防检查', '初期火灾'] },
  { name: '营销', category: '市场营销', words: ['市场调研', '营销策划', '促销活动', '渠道管理', '终端建设', '营销数据', '客户细分', '品类管理'] },
  { name: '客户', category: '市场营销', words: ['客户拜访', '客户关系', '需求挖掘', '服务规范', '投诉处理', '客户满意度', '沟通话术', '客户档案'] },
  { name: '零售', category: '市场营销', words: ['零售终端', '陈列规范', '库存周转', '经营分析', '店铺管理', '现代终端', '零售户', '价签管理'] },
  { name: '品牌', category: '市场营销', words: ['品牌培育', '品牌定位', '消费者调研', '新品上市', '品牌传播', '口碑管理', '品牌价值', '规格结构'] },
  { name: '财务', category: '财务管理', words: ['会计核算', '财务报表', '预算管理', '成本控制', '资金管理', '内部控制', '费用报销', '财务分析'] },
  { name: '税务', category: '财务管理', words: ['增值税', '企业所得税', '发票管理', '税收筹划', '纳税申报', '税务风险', '个人所得税', '税收优惠'] },
  { name: '法律', category: '法律合规', words: ['合同管理', '劳动合同', '民法典', '法律风险', '诉讼程序', '知识产权', '证据规则', '法律责任'] },
  { name: '合规', category: '法律合规', words: ['合规管理', '廉洁从业', '反腐倡廉', '合规审查', '制度建设', '审计监督', '违规案例', '合规文化'] },
  { name: '专卖', category: '法律合规', words: ['专卖法规', '许可证管理', '市场检查', '案件查处', '执法程序', '证据收集', '行政处罚', '市场监管'] },
  { name: '领导力', category: '通用管理', words: ['团队建设', '目标管理', '授权激励', '绩效面谈', '决策方法', '变革管理', '领导风格', '执行力'] },
  { name: '沟通', category: '通用管理', words: ['有效沟通', '公文写作', '会议组织', '商务礼仪', '跨部门协作', '演讲表达', '冲突处理', '汇报技巧'] },
  { name: '项目', category: '通用管理', words: ['项目计划', '进度控制', '风险管理', '项目预算', '干系人', '工作分解', '项目收尾', '敏捷方法'] },
  { name: '人力资源', category: '通用管理', words: ['招聘面试', '薪酬体系', '绩效考核', '员工培训', '劳动关系', '岗位分析', '人才盘点', '职业发展'] },
  { name: '数据', category: '信息技术', words: ['数据分析', '数据库', '数据治理', '报表工具', '数据可视化', '统计方法', '数据质量', '指标体系'] },
  { name: '数字化', category: '信息技术', words: ['数字化转型', '信息系统', '网络安全', '云计算', '移动办公', '流程自动化', '人工智能', '信息安全'] },
  { name: '物流', category: '物流仓储', words: ['配送线路', '车辆调度', '送货服务', '物流成本', '运输安全', '物流信息', '分拣作业', '订单处理'] },
  { name: '仓储', category: '物流仓储', words: ['入库验收', '库存盘点', '仓库安全', '货位管理', '出库复核', '仓储设备', '温湿度控制', '仓储作业'] },
  { name: '设备', category: '生产技术', words: ['设备维护', '故障诊断', '点检定修', '润滑管理', '设备保养', '备品备件', '设备安全', '精益维修'] },
  { name: '质量', category: '生产技术', words: ['质量检验', '质量体系', '过程控制', '抽样检验', '质量改进', '不合格品', '质量追溯', '统计过程控制'] },
  { name: '工艺', category: '生产技术', words: ['工艺标准', '工艺参数', '卷接包', '制丝工艺', '工艺纪律', '工艺改进', '操作规程', '技术创新'] },
  { name: '党建', category: '党建学习', words: ['党章党规', '理论学习', '组织生活', '党风廉政', '主题教育', '基层党建', '党员发展', '党性修养'] },
];

/** Topic of the real catalog's computer-science courses, offered to IT posts. */
const REAL_TOPIC = '计算机';

// prettier-ignore
const POST_TOPICS: Record<string, string[]> = {
  部门经理: ['领导力', '沟通', '项目', '人力资源'], 主管: ['领导力', '沟通', '项目'],
  车间主任: ['领导力', '安全', '质量', '设备'], 班组长: ['领导力', '安全', '工艺'],
  专员: ['沟通', '党建', '合规'], 科员: ['沟通', '党建', '合规'], 综合管理员: ['沟通', '党建', '合规'],
  财务专员: ['财务', '税务', '合规'], 审计专员: ['财务', '合规', '税务'],
  人事专员: ['人力资源', '沟通', '法律'],
  信息管理员: ['数据', '数字化', REAL_TOPIC], 技术员: ['数字化', REAL_TOPIC, '数据'],
  客户经理: ['营销', '客户', '零售', '品牌'], 营销员: ['营销', '客户', '零售', '品牌'],
  业务员: ['客户', '营销', '零售'],
  专卖管理员: ['专卖', '法律', '合规'], 专卖稽查员: ['专卖', '法律'],
  物流调度员: ['物流', '仓储', '安全'], 配送员: ['物流', '安全', '客户'],
  仓储管理员: ['仓储', '物流', '消防'],
  操作工: ['工艺', '设备', '安全'], 设备维修工: ['设备', '安全', '消防'],
  质检员: ['质量', '工艺'], 工艺员: ['工艺', '质量', '设备'],
  安全员: ['安全', '消防', '设备'],
};

const LEVELS = ['入门', '基础', '进阶', '专题'];
const GENERIC_WORDS = ['岗位实践', '案例分析', '制度解读', '工作方法', '实操演练', '经验分享'];

export interface GeneratedCourse extends CourseInput {
  topic: number;
  /** Series within the topic, and level within the series (0 入门 … 3 专题); -1 for real courses. */
  series: number;
  level: number;
}

export interface GeneratedCatalog {
  courses: GeneratedCourse[];
  topics: string[];
  /** Course indices of each topic, most popular first. */
  topicCourses: number[][];
  /** Every course, most popular first. */
  globalOrder: number[];
  /** Index of the next level of the same series, or -1. */
  nextLevel: Int32Array;
}

/**
 * Generates `count` courses: the real catalog's courses (topic 计算机, their own categories) plus
 * courses of 23 enterprise topics in series of four levels, each titled like
 * `安全进阶：隐患排查（第12期）` and described from its topic's vocabulary. About 2% were created
 * within the last 30 days.
 */
export function generateCatalog(options: {
  count: number;
  realCourses: readonly CourseRecord[];
  now: Date;
  seed?: number;
}): GeneratedCatalog {
  const random = seededRandom(options.seed ?? 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const createdAt = () => {
    const ageDays = random() < 0.02 ? random() * 30 : 30 + random() * 700;
    return new Date(options.now.getTime() - ageDays * DAY_MS);
  };
  const topics = [...TOPICS.map((topic) => topic.name), REAL_TOPIC];
  const realTopic = topics.length - 1;
  const courses: GeneratedCourse[] = [];

  for (const [index, record] of options.realCourses.entries()) {
    if (courses.length >= options.count) break;
    courses.push({
      id: `GEN-R${String(index).padStart(4, '0')}`,
      code: `GEN-R${String(index).padStart(4, '0')}`,
      title: record.title,
      category: record.category,
      description: record.description,
      createdAt: createdAt(),
      topic: realTopic,
      series: -1,
      level: -1,
    });
  }
  const seriesCount = new Array<number>(TOPICS.length).fill(0);
  for (let index = 0; courses.length < options.count; index++) {
    const topicIndex = Math.floor(index / LEVELS.length) % TOPICS.length;
    const topic = TOPICS[topicIndex]!;
    const level = index % LEVELS.length;
    if (level === 0) seriesCount[topicIndex]!++;
    const series = seriesCount[topicIndex]!;
    const focus = pick(topic.words);
    const others = [pick(topic.words), pick(topic.words), pick(topic.words)];
    const code = `GEN-${String(courses.length).padStart(5, '0')}`;
    courses.push({
      id: code,
      code,
      title: `${topic.name}${LEVELS[level]}：${focus}（第${series}期）`,
      category: topic.category,
      description:
        `本课程围绕${topic.name}${LEVELS[level]}展开，重点讲解${focus}、${others[0]}与${others[1]}，` +
        `并结合${others[2]}的${pick(GENERIC_WORDS)}。`,
      createdAt: createdAt(),
      topic: topicIndex,
      series,
      level,
    });
  }

  const nextLevel = new Int32Array(courses.length).fill(-1);
  const bySeries = new Map<string, number>();
  courses.forEach((course, index) => {
    if (course.series >= 0) bySeries.set(`${course.topic}/${course.series}/${course.level}`, index);
  });
  courses.forEach((course, index) => {
    if (course.series < 0) return;
    const next = bySeries.get(`${course.topic}/${course.series}/${course.level + 1}`);
    if (next !== undefined) nextLevel[index] = next;
  });

  const shuffle = (list: number[]) => {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    return list;
  };
  const topicCourses = topics.map((_, topic) =>
    shuffle(courses.flatMap((course, index) => (course.topic === topic ? [index] : []))),
  );
  const globalOrder = shuffle(courses.map((_, index) => index));
  return { courses, topics, topicCourses, nextLevel, globalOrder };
}

/** Samples ranks 0 … n-1 with probability proportional to 1 / (rank + 1). */
class ZipfSampler {
  private readonly cumulative: Float64Array;

  constructor(size: number) {
    this.cumulative = new Float64Array(size);
    let sum = 0;
    for (let rank = 0; rank < size; rank++) {
      sum += 1 / (rank + 1);
      this.cumulative[rank] = sum;
    }
  }

  sample(random: () => number): number {
    const target = random() * this.cumulative[this.cumulative.length - 1]!;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

export interface GeneratedEnrolments {
  /** Course indices in enrolment order. */
  courses: number[];
  atMs: number[];
  completed: boolean[];
}

/** Draws learners' enrolments from the planted structure; one instance per catalog and org. */
export class EnrolmentGenerator {
  private readonly topicIndex: Map<string, number>;
  private readonly topicSamplers: ZipfSampler[];
  private readonly globalSampler: ZipfSampler;
  private readonly campaigns = new Map<string, number[]>();

  constructor(
    private readonly catalog: GeneratedCatalog,
    units: readonly OrgUnitRecord[],
    private readonly options: { now: Date; seed?: number },
  ) {
    this.topicIndex = new Map(catalog.topics.map((name, index) => [name, index]));
    this.topicSamplers = catalog.topicCourses.map((list) => new ZipfSampler(list.length));
    this.globalSampler = new ZipfSampler(catalog.courses.length);

    // Units are listed parents first, so a county finds its city's campaigns already drawn.
    const random = seededRandom((options.seed ?? 1) * 7 + 3);
    const own = new Map<string, number[]>();
    for (const unit of units) {
      const count = unit.level === 3 ? 2 : 6;
      const courses = Array.from({ length: count }, () => this.topicCourse(random));
      own.set(unit.code, courses);
      const inherited = unit.level === 3 && unit.parentCode ? (own.get(unit.parentCode) ?? []) : [];
      this.campaigns.set(unit.code, [...courses, ...inherited]);
    }
  }

  private topicCourse(random: () => number, topic?: number): number {
    const chosen = topic ?? Math.floor(random() * this.catalog.topicCourses.length);
    const list = this.catalog.topicCourses[chosen]!;
    return list[this.topicSamplers[chosen]!.sample(random)]!;
  }

  /** Enrolments of the learner with this index, who is this employee; the same every time. */
  enrolmentsOf(learner: number, employee: EmployeeRecord): GeneratedEnrolments {
    const random = seededRandom(Math.imul(learner + 1, 0x9e3779b1) ^ (this.options.seed ?? 1));
    // 2, 3, 4 or 5 enrolments with probabilities 35%, 35%, 20% and 10% (3.05 on average).
    const draw = random();
    let count = 5;
    if (draw < 0.35) count = 2;
    else if (draw < 0.7) count = 3;
    else if (draw < 0.9) count = 4;
    const postTopics = (POST_TOPICS[employee.post] ?? ['沟通']).map((name) =>
      this.topicIndex.get(name)!,
    );
    const campaigns = this.campaigns.get(employee.orgUnitCode) ?? [];

    const courses: number[] = [];
    for (let attempt = 0; courses.length < count && attempt < count * 10; attempt++) {
      const kind = random();
      const previous = courses.at(-1);
      let course: number;
      if (previous !== undefined && kind < 0.25) {
        const next = this.catalog.nextLevel[previous]!;
        course = next >= 0 ? next : this.topicCourse(random, this.catalog.courses[previous]!.topic);
      } else if (kind < 0.5 && campaigns.length > 0) {
        course = campaigns[Math.floor(random() * campaigns.length)]!;
      } else if (kind < 0.8) {
        course = this.topicCourse(random, postTopics[Math.floor(random() * postTopics.length)]);
      } else {
        course = this.catalog.globalOrder[this.globalSampler.sample(random)]!;
      }
      if (!courses.includes(course)) courses.push(course);
    }

    const nowMs = this.options.now.getTime();
    const atMs = courses
      .map(() => nowMs - random() * 400 * DAY_MS)
      .sort((a, b) => a - b)
      .map(Math.round);
    const completed = courses.map(() => random() < 0.5);
    return { courses, atMs, completed };
  }
}

export interface GeneratedLearner {
  index: number;
  employee: EmployeeRecord;
  enrolments: GeneratedEnrolments;
}

/** Yields one learner per generated employee, bound to it, with their enrolments. */
export function* generateLearners(
  employees: Iterable<EmployeeRecord>,
  generator: EnrolmentGenerator,
): Generator<GeneratedLearner> {
  let index = 0;
  for (const employee of employees) {
    yield { index, employee, enrolments: generator.enrolmentsOf(index, employee) };
    index++;
  }
}
