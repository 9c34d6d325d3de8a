import type { CourseHoursView, HourRecordView, MyHoursResponse } from '@wxlearn/api-types';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import {
  courseHoursText,
  formatHours,
  formatLearningTime,
  missingHoursText,
  newestFirst,
  parseYearParam,
  progressPercent,
  recordSourceText,
  requiredHoursText,
  selectableYears,
  shanghaiYear,
} from '../../src/packages/me/hours-format';
import { routes } from '../../src/routes';
import { createApi } from '../../src/services/api';
import { ApiError } from '../../src/services/errors';
import { createApiClient } from '../../src/services/http';
import { devLoginCode } from '../../src/services/login';
import { createTaroSessionStore } from '../../src/services/session';
import { startFakeApi, type FakeApi } from '../support/fake-api';

function course(overrides: Partial<CourseHoursView>): CourseHoursView {
  return {
    courseId: '65a000000000000000000001',
    title: 'CMU 15-445：数据库系统',
    learningSeconds: 600,
    complete: false,
    completedAt: null,
    creditHours: 4,
    earnedHours: 0,
    ...overrides,
  };
}

function record(overrides: Partial<HourRecordView>): HourRecordView {
  return {
    kind: 'legacy',
    title: '安全生产法规解读',
    hours: 2,
    completedOn: '2025-03-01',
    source: '原培训管理系统',
    courseId: null,
    ...overrides,
  };
}

describe('formatHours', () => {
  test.each([
    [12, '12.0'],
    [6.5, '6.5'],
    [0, '0.0'],
    [1.05, '1.1'],
    [43.49, '43.5'],
    [0.04, '0.0'],
  ])('formats %d as %s', (hours, text) => {
    expect(formatHours(hours)).toBe(text);
  });
});

describe('formatLearningTime', () => {
  test.each([
    [12_000, '3小时20分'],
    [3_600, '1小时'],
    [3_659, '1小时'],
    [3_660, '1小时1分'],
    [2_700, '45分'],
    [59, '0分'],
    [0, '0分'],
    [-30, '0分'],
    [90_000, '25小时'],
  ])('formats %d seconds as %s', (seconds, text) => {
    expect(formatLearningTime(seconds)).toBe(text);
  });
});

describe('year list', () => {
  test('runs from this year to 2020', () => {
    expect(selectableYears(2026)).toEqual([2026, 2025, 2024, 2023, 2022, 2021, 2020]);
  });

  test('has only 2020 in 2020', () => {
    expect(selectableYears(2020)).toEqual([2020]);
  });

  test('keeps a clock set before 2020', () => {
    expect(selectableYears(2019)).toEqual([2019]);
  });

  test.each([
    ['2024', 2024],
    ['2020', 2020],
    ['2026', 2026],
    ['2027', 2026],
    ['2019', 2026],
    ['', 2026],
    ['20x4', 2026],
    ['2024.5', 2026],
  ])('page parameter %j selects %d', (value, year) => {
    expect(parseYearParam(value, 2026)).toBe(year);
  });

  test('Shanghai year turns at 16:00 UTC', () => {
    expect(shanghaiYear('2025-12-31T15:59:59.000Z')).toBe(2025);
    expect(shanghaiYear('2025-12-31T16:00:00.000Z')).toBe(2026);
    expect(shanghaiYear(new Date('2026-06-01T00:00:00.000Z'))).toBe(2026);
  });
});

describe('progressPercent', () => {
  test.each([
    [6.5, 50, 13],
    [0, 50, 0],
    [50, 48, 100],
    [24, 48, 50],
    [3, 0, 100],
  ])('%d of %d hours is %d percent', (earned, required, percent) => {
    expect(progressPercent(earned, required)).toBe(percent);
  });

  test('is null without a requirement', () => {
    expect(progressPercent(6.5, null)).toBeNull();
  });
});

describe('summary lines', () => {
  const summary = (overrides: Partial<MyHoursResponse>): MyHoursResponse => ({
    year: 2026,
    bound: true,
    earnedHours: 6.5,
    requiredHours: 50,
    missingHours: 43.5,
    learningSeconds: 0,
    courses: [],
    records: [],
    ...overrides,
  });

  test('required hours or the reason for none', () => {
    expect(requiredHoursText(summary({}))).toBe('50.0');
    expect(requiredHoursText(summary({ requiredHours: null }))).toBe('本单位未设置年度要求');
    const unbound = summary({ bound: false, requiredHours: null });
    expect(requiredHoursText(unbound)).toBe('绑定员工身份后显示');
  });

  test('missing hours or done', () => {
    expect(missingHoursText(43.5)).toBe('43.5 学时');
    expect(missingHoursText(0)).toBe('已完成');
    expect(missingHoursText(null)).toBeNull();
  });
});

describe('courseHoursText', () => {
  test('earned hours of a course completed this year', () => {
    const completed = course({
      complete: true,
      completedAt: '2026-03-01T02:00:00.000Z',
      earnedHours: 4,
    });
    expect(courseHoursText(completed, 2026)).toBe('4.0 学时');
  });

  test('hours a course in progress will credit', () => {
    expect(courseHoursText(course({ creditHours: 2.5 }), 2026)).toBe('完成后计 2.5 学时');
  });

  test('course without hours', () => {
    expect(courseHoursText(course({ creditHours: null }), 2026)).toBe('未设置学时');
    const completed = course({ creditHours: null, complete: true, completedAt: '2026-03-01' });
    expect(courseHoursText(completed, 2026)).toBe('未设置学时');
  });

  test('course completed in an earlier year', () => {
    // 2025-12-31 20:00 UTC is already 2026-01-01 in Shanghai.
    const completed = course({ complete: true, completedAt: '2025-12-31T20:00:00.000Z' });
    expect(courseHoursText(completed, 2027)).toBe('已计入2026年学时');
  });
});

describe('records', () => {
  test('newestFirst sorts by date and keeps ties in order', () => {
    const sorted = newestFirst([
      record({ title: 'a', completedOn: '2025-03-01' }),
      record({ title: 'b', completedOn: '2025-11-20' }),
      record({ title: 'c', completedOn: '2025-03-01' }),
      record({ title: 'd', completedOn: '2025-06-15' }),
    ]);
    expect(sorted.map((item) => item.title)).toEqual(['b', 'd', 'a', 'c']);
  });

  test('source tag falls back when blank', () => {
    expect(recordSourceText(record({}))).toBe('原培训管理系统');
    expect(recordSourceText(record({ kind: 'course', source: '平台学习' }))).toBe('平台学习');
    expect(recordSourceText(record({ kind: 'course', source: ' ' }))).toBe('平台学习');
    expect(recordSourceText(record({ source: '' }))).toBe('历史记录');
  });

  test('route carries an optional year', () => {
    expect(routes.myHours()).toBe('/packages/me/hours/index');
    expect(routes.myHours(2024)).toBe('/packages/me/hours/index?year=2024');
  });
});

describe('getMyHours', () => {
  let server: FakeApi;

  beforeEach(async () => {
    localStorage.clear();
    server = await startFakeApi();
  });

  afterEach(async () => {
    await server.close();
  });

  function apiFor(learner: string) {
    const sessionStore = createTaroSessionStore('test.session');
    return createApi(
      createApiClient({
        baseUrl: server.url,
        sessionStore,
        obtainLoginCode: devLoginCode(learner),
      }),
    );
  }

  test('defaults to this year', async () => {
    const hours = await apiFor('carol').getMyHours();
    expect(hours.year).toBe(shanghaiYear(Date.now()));
    expect(hours.bound).toBe(false);
    expect(hours.requiredHours).toBeNull();
    expect(hours.earnedHours).toBe(4);
    expect(hours.learningSeconds).toBe(16_200);
    expect(hours.courses).toHaveLength(3);
    expect(hours.records.map((item) => item.kind)).toEqual(['course']);
  });

  test('sends the requested year', async () => {
    const lastYear = shanghaiYear(Date.now()) - 1;
    const hours = await apiFor('carol').getMyHours(lastYear);
    expect(hours.year).toBe(lastYear);
    expect(hours.records).toEqual([]);
  });

  test('bound learner gets requirement and legacy records', async () => {
    const api = apiFor('dave');
    await api.bindEmployee({ employeeNo: 'E1001', name: '张三' });
    const hours = await api.getMyHours();
    expect(hours.bound).toBe(true);
    expect(hours.requiredHours).toBe(50);
    expect(hours.earnedHours).toBe(6.5);
    expect(hours.missingHours).toBe(43.5);
    expect(hours.records.map((item) => item.source)).toEqual(['平台学习', '原培训管理系统']);
  });

  test('rejects a future year', async () => {
    const error = await apiFor('carol')
      .getMyHours(shanghaiYear(Date.now()) + 1)
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).id).toBe('validation_failed');
  });
});
