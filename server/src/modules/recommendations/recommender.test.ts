import { describe, expect, it } from 'vitest';
import { NO_GROUP, RecommendationModelBuilder, type HistoryItem } from './model-builder.js';
import type { RecommendationModel } from './recommendation-model.js';
import { Recommender, type LearnerContext, type RecommendationPick } from './recommender.js';

const DAY_MS = 86_400_000;
const NOW = new Date('2026-03-10T02:00:00Z');
const LONG_AGO = new Date('2024-01-01T00:00:00Z');
const RECENTLY_MS = NOW.getTime() - 5 * DAY_MS;

interface FixtureCourse {
  code: string;
  title: string;
  category: string;
  description?: string;
  createdAt?: Date;
  lessons?: string[];
}

// Eight courses in five categories. 营销 has four, so the category cap has something to cut.
const COURSES: FixtureCourse[] = [
  { code: 'db1', title: '数据库系统原理', category: '信息技术', description: '关系模型、SQL 查询、索引与事务，数据库的存储与恢复。', lessons: ['关系模型', '索引', '事务'] }, // prettier-ignore
  { code: 'db2', title: '数据库索引与查询优化', category: '信息技术', description: 'B+ 树索引、查询计划与代价估计，让数据库查询更快。' }, // prettier-ignore
  { code: 'safety', title: '安全生产规范', category: '安全生产', description: '隐患排查、应急预案与劳动防护。' }, // prettier-ignore
  { code: 'sales1', title: '客户拜访技巧', category: '市场营销', description: '拜访前的准备与沟通。' }, // prettier-ignore
  { code: 'sales2', title: '终端陈列指导', category: '市场营销', description: '货架陈列与价签规范。' }, // prettier-ignore
  { code: 'sales3', title: '品牌培育方法', category: '市场营销', description: '品牌定位与消费者调研。' }, // prettier-ignore
  { code: 'sales4', title: '零售户经营分析', category: '市场营销', description: '经营数据解读与建议。' }, // prettier-ignore
  { code: 'law', title: '专卖法规解读', category: '法律合规', description: '法规条文与执法案例。' }, // prettier-ignore
  { code: 'new', title: '数字化转型概论', category: '通用管理', description: '数字化的方法与组织。', createdAt: new Date(NOW.getTime() - 3 * DAY_MS) }, // prettier-ignore
];

interface FixtureLearner {
  unit?: string;
  post?: string;
  /** Course codes; a `!` suffix marks a completed course. */
  history: string[];
  recent?: boolean;
}

interface Fixture {
  units?: [code: string, parent: string | null][];
  assignments?: { unit: string; post?: string; course: string; dueOn: string }[];
  learners: FixtureLearner[];
}

function buildModel(fixture: Fixture): RecommendationModel {
  const builder = new RecommendationModelBuilder(NOW);
  for (const course of COURSES) {
    builder.addCourse({
      id: course.code,
      code: course.code,
      title: course.title,
      category: course.category,
      createdAt: course.createdAt ?? LONG_AGO,
      description: course.description,
      lessons: (course.lessons ?? ['第一课']).map((title, index) => ({
        id: `${course.code}-lesson-${index + 1}`,
        title,
        optional: false,
      })),
    });
  }
  for (const [code, parent] of fixture.units ?? []) builder.addUnit(code, parent);
  for (const assignment of fixture.assignments ?? []) {
    builder.addAssignment({
      orgUnitCode: assignment.unit,
      post: assignment.post ?? null,
      courseId: assignment.course,
      dueOn: assignment.dueOn,
    });
  }
  for (const learner of fixture.learners) {
    const ref = learner.unit ? builder.groupOf(learner.unit, learner.post ?? null) : NO_GROUP;
    if (learner.unit) builder.addMember(ref);
    builder.addHistory(ref, history(builder, learner.history, learner.recent ?? false));
  }
  return builder.finish();
}

function history(
  source: { courseIndexOf(id: string): number | undefined },
  codes: string[],
  recent = false,
): HistoryItem[] {
  return codes.map((entry) => {
    const code = entry.replace(/!$/, '');
    const course = source.courseIndexOf(code);
    if (course === undefined) throw new Error(`unknown fixture course ${code}`);
    return { course, completed: entry.endsWith('!'), atMs: recent ? RECENTLY_MS : 0 };
  });
}

function contextOf(
  model: RecommendationModel,
  learner: Partial<Omit<LearnerContext, 'history'>> & { unit?: number; history?: string[] },
): LearnerContext {
  const unit = learner.unit ?? -1;
  return {
    group: learner.group ?? -1,
    unit,
    post: learner.post ?? null,
    history: history({ courseIndexOf: (id) => model.courseIndex.get(id) }, learner.history ?? []),
    inProgress: learner.inProgress ?? [],
  };
}

function codes(model: RecommendationModel, picks: RecommendationPick[]): string[] {
  return picks.map((pick) => model.courses[pick.course]!.code);
}

const course = (model: RecommendationModel, code: string) => model.courseIndex.get(code)!;

describe('Recommender exclusions', () => {
  const model = buildModel({
    learners: [
      { history: ['db1', 'sales1'], recent: true },
      { history: ['sales1', 'sales2'], recent: true },
      { history: ['safety', 'law'], recent: true },
    ],
  });
  const recommender = new Recommender(model);

  it('leaves out enrolled and completed courses', () => {
    const picks = recommender.recommend(contextOf(model, { history: ['sales1', 'safety!'] }), {
      limit: 10,
      maxPerCategory: 10,
    });
    expect(codes(model, picks)).not.toContain('sales1');
    expect(codes(model, picks)).not.toContain('safety');
    expect(picks).toHaveLength(COURSES.length - 2);
  });

  it('returns a course in progress with its next lesson', () => {
    const db1 = course(model, 'db1');
    const picks = recommender.recommend(
      contextOf(model, {
        history: ['db1'],
        inProgress: [{ course: db1, nextLesson: 1, lastStudiedAtMs: NOW.getTime() - DAY_MS }],
      }),
    );
    expect(picks[0]!.course).toBe(db1);
    expect(picks[0]!.kind).toBe('continue');
    expect(picks[0]!.reason).toBe('继续学习：索引');
    expect(picks[0]!.lesson).toBe(1);
  });

  it('leaves out a completed course even with progress records', () => {
    const db1 = course(model, 'db1');
    const picks = recommender.recommend(
      contextOf(model, {
        history: ['db1!'],
        inProgress: [{ course: db1, nextLesson: 2, lastStudiedAtMs: NOW.getTime() }],
      }),
      { limit: 10, maxPerCategory: 10 },
    );
    expect(codes(model, picks)).not.toContain('db1');
  });

  it('returns at most two courses in progress, most recent first', () => {
    const inProgress = ['db1', 'db2', 'law'].map((code, index) => ({
      course: course(model, code),
      nextLesson: 0,
      lastStudiedAtMs: NOW.getTime() - index * DAY_MS,
    }));
    const picks = recommender.recommend(
      contextOf(model, { history: ['db1', 'db2', 'law'], inProgress }),
    );
    const continuing = picks.filter((pick) => pick.kind === 'continue');
    expect(codes(model, continuing)).toEqual(['db1', 'db2']);
    expect(codes(model, picks)).not.toContain('law');
  });
});

describe('Recommender required courses', () => {
  const model = buildModel({
    units: [
      ['HQ', null],
      ['GD', 'HQ'],
      ['GZ', 'GD'],
    ],
    assignments: [
      { unit: 'HQ', course: 'law', dueOn: '2026-06-30' },
      { unit: 'GD', course: 'safety', dueOn: '2026-04-15' },
      { unit: 'GD', post: '客户经理', course: 'sales2', dueOn: '2026-05-01' },
      { unit: 'GD', post: '配送员', course: 'sales3', dueOn: '2026-03-20' },
      // The city unit moves the head office's date earlier for its own employees.
      { unit: 'GZ', course: 'law', dueOn: '2026-03-01' },
    ],
    learners: [
      { unit: 'GZ', post: '客户经理', history: ['sales1', 'sales4'] },
      { unit: 'GZ', post: '客户经理', history: ['sales1', 'sales4'] },
      { unit: 'GZ', post: '客户经理', history: ['sales1', 'sales4'] },
    ],
  });
  const recommender = new Recommender(model);
  const gz = model.unitIndex.get('GZ')!;
  const group = model.groupIndex.get(`${gz}\t客户经理`)!;

  it('puts required courses first, earliest due first, with inherited ones', () => {
    const picks = recommender.recommend(contextOf(model, { unit: gz, group, post: '客户经理' }), {
      now: NOW,
    });
    expect(codes(model, picks).slice(0, 3)).toEqual(['law', 'safety', 'sales2']);
    expect(picks.slice(0, 3).map((pick) => pick.kind)).toEqual([
      'required',
      'required',
      'required',
    ]);
    expect(picks.slice(0, 3).map((pick) => pick.dueOn)).toEqual([
      '2026-03-01',
      '2026-04-15',
      '2026-05-01',
    ]);
  });

  it('words the reason with the due date, or as overdue', () => {
    const picks = recommender.recommend(contextOf(model, { unit: gz, group, post: '客户经理' }), {
      now: NOW,
    });
    expect(picks[0]!.reason).toBe('本单位要求，已于3月1日到期');
    expect(picks[1]!.reason).toBe('本单位要求，4月15日前完成');
  });

  it('applies post-specific assignments only to that post', () => {
    const picks = recommender.recommend(contextOf(model, { unit: gz, post: '配送员' }), {
      now: NOW,
    });
    const required = codes(
      model,
      picks.filter((pick) => pick.kind === 'required'),
    );
    expect(required).toEqual(['law', 'sales3', 'safety']);
  });

  it('drops completed required courses and keeps enrolled ones', () => {
    const picks = recommender.recommend(
      contextOf(model, { unit: gz, post: '客户经理', history: ['law!', 'safety'] }),
      { now: NOW },
    );
    const required = codes(
      model,
      picks.filter((pick) => pick.kind === 'required'),
    );
    expect(required).toEqual(['safety', 'sales2']);
  });

  it('gives a learner outside the subtree no required course', () => {
    const picks = recommender.recommend(contextOf(model, {}), { now: NOW });
    expect(picks.filter((pick) => pick.kind === 'required')).toEqual([]);
  });

  it('attaches the next lesson of a required course in progress', () => {
    const law = course(model, 'law');
    const picks = recommender.recommend(
      contextOf(model, {
        unit: gz,
        post: '客户经理',
        history: ['law'],
        inProgress: [{ course: law, nextLesson: 0, lastStudiedAtMs: NOW.getTime() }],
      }),
      { now: NOW },
    );
    expect(picks[0]!.course).toBe(law);
    expect(picks[0]!.kind).toBe('required');
    expect(picks[0]!.lesson).toBe(0);
    expect(picks.filter((pick) => pick.kind === 'continue')).toEqual([]);
  });
});

describe('Recommender diversity', () => {
  // Every learner of the group took all four 营销 courses, so peers rank them above the rest.
  const salesTakers = Array.from({ length: 6 }, () => ({
    unit: 'U1',
    post: '营销员',
    history: ['sales1', 'sales2', 'sales3', 'sales4'],
  }));
  const model = buildModel({
    learners: [...salesTakers, { unit: 'U1', post: '营销员', history: ['law', 'safety'] }],
  });
  const recommender = new Recommender(model);
  const u1 = model.unitIndex.get('U1')!;
  const group = model.groupIndex.get(`${u1}\t营销员`)!;
  const learner = contextOf(model, { unit: u1, group, post: '营销员' });

  it('keeps at most two courses of one category in the top 5', () => {
    const picks = recommender.recommend(learner, { limit: 5 });
    const categories = picks.map((pick) => model.courses[pick.course]!.category);
    expect(picks).toHaveLength(5);
    expect(categories.filter((category) => category === '市场营销')).toHaveLength(2);
  });

  it('ranks the capped category first without the cap', () => {
    const picks = recommender.recommend(learner, { limit: 5, maxPerCategory: 5 });
    const categories = picks.map((pick) => model.courses[pick.course]!.category);
    expect(categories.slice(0, 4)).toEqual(['市场营销', '市场营销', '市场营销', '市场营销']);
  });

  it('fills the list from the capped category when nothing else is left', () => {
    const picks = recommender.recommend(
      contextOf(model, {
        unit: u1,
        group,
        post: '营销员',
        history: ['db1', 'db2', 'safety', 'law', 'new'],
      }),
      { limit: 4 },
    );
    expect(codes(model, picks).sort()).toEqual(['sales1', 'sales2', 'sales3', 'sales4']);
  });
});

describe('Recommender reasons', () => {
  const model = buildModel({
    learners: [
      // Eight of ten learners of U1/客户经理 took sales1, and no other learner did.
      ...Array.from({ length: 8 }, () => ({ unit: 'U1', post: '客户经理', history: ['sales1'] })),
      { unit: 'U1', post: '客户经理', history: [] },
      { unit: 'U1', post: '客户经理', history: [] },
      // Unbound learners who took safety together with sales3, recently.
      ...Array.from({ length: 10 }, () => ({ history: ['safety', 'sales3'], recent: true })),
      // An unbound learner who recently took law.
      { history: ['law'], recent: true },
    ],
  });
  const recommender = new Recommender(model);

  it('explains a peers pick with the number of learners in the unit', () => {
    const u1 = model.unitIndex.get('U1')!;
    const group = model.groupIndex.get(`${u1}\t客户经理`)!;
    const [first] = recommender.recommend(contextOf(model, { unit: u1, group, post: '客户经理' }));
    expect(model.courses[first!.course]!.code).toBe('sales1');
    expect(first!.kind).toBe('peers');
    expect(first!.reason).toBe('同部门 8 人在学');
  });

  it('explains a co-occurrence pick with the course taken', () => {
    const [first] = recommender.recommend(contextOf(model, { history: ['safety'] }));
    expect(model.courses[first!.course]!.code).toBe('sales3');
    expect(first!.kind).toBe('alsoTaken');
    expect(first!.reason).toBe('学过《安全生产规范》的人也在学');
  });

  it('explains a content pick with the similar course', () => {
    const [first] = recommender.recommend(contextOf(model, { history: ['db1!'] }));
    expect(model.courses[first!.course]!.code).toBe('db2');
    expect(first!.kind).toBe('similar');
    expect(first!.reason).toBe('与你学过的《数据库系统原理》相似');
  });

  it('explains picks of a learner with no history as popular or new', () => {
    // A 3-day-old course outranks one with a single recent enrolment, but not one with ten.
    const picks = recommender.recommend(contextOf(model, {}), { limit: 4, maxPerCategory: 4 });
    expect(codes(model, picks)).toEqual(['safety', 'sales3', 'new', 'law']);
    expect(picks.map((pick) => pick.reason)).toEqual([
      '近期热门',
      '近期热门',
      '新上线',
      '近期热门',
    ]);
  });

  it('cuts long course titles in reasons', () => {
    const long = new RecommendationModelBuilder(NOW);
    const a = long.addCourse({
      id: 'a',
      code: 'a',
      title: '一门标题非常非常长的安全生产管理课程',
      category: '安全生产',
      createdAt: LONG_AGO,
    });
    const b = long.addCourse({
      id: 'b',
      code: 'b',
      title: '营销',
      category: '市场营销',
      createdAt: LONG_AGO,
    });
    for (let learner = 0; learner < 3; learner++) {
      long.addHistory(NO_GROUP, [
        { course: a, completed: false, atMs: 0 },
        { course: b, completed: false, atMs: 0 },
      ]);
    }
    const built = long.finish();
    const [first] = new Recommender(built).recommend({
      group: -1,
      unit: -1,
      post: null,
      history: [{ course: a, completed: true, atMs: 0 }],
      inProgress: [],
    });
    expect(first!.reason).toBe('学过《一门标题非常非常长的安全生…》的人也在学');
  });
});

describe('Recommender state', () => {
  it('gives the same picks when asked twice, so scratch arrays are reset', () => {
    const model = buildModel({
      learners: [
        { history: ['db1', 'db2'], recent: true },
        { history: ['db1', 'db2'], recent: true },
        { history: ['sales1', 'safety'], recent: true },
      ],
    });
    const recommender = new Recommender(model);
    const learner = contextOf(model, { history: ['db1'] });
    const first = recommender.recommend(learner);
    recommender.recommend(contextOf(model, { history: ['sales1', 'safety'] }));
    expect(recommender.recommend(learner)).toEqual(first);
  });
});
