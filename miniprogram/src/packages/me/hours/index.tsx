import { Button, Picker, Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import type { CourseHoursView, HourRecordView, MyHoursResponse } from '@wxlearn/api-types';
import { useMemo, useState } from 'react';

import { EmptyView, StatusView } from '../../../components/StatusView';
import { useRemoteData } from '../../../hooks/useRemoteData';
import { readParam, routes } from '../../../routes';
import { getApi } from '../../../services/api';
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
} from '../hours-format';
import './index.scss';

interface YearSwitcherProps {
  /** Selectable years, newest first. */
  years: number[];
  year: number;
  onChange: (year: number) => void;
}

/** Renders arrows that step one year back or forward, and the year, which opens a year picker. */
function YearSwitcher({ years, year, onChange }: YearSwitcherProps) {
  const index = years.indexOf(year);
  const older = years[index + 1];
  const newer = index > 0 ? years[index - 1] : undefined;
  const arrowClass = (target: number | undefined) =>
    target === undefined ? 'year-arrow year-arrow-disabled' : 'year-arrow';

  return (
    <View className="year-switcher">
      <Text
        className={arrowClass(older)}
        data-testid="hours-year-previous"
        onClick={() => older !== undefined && onChange(older)}
      >
        ‹
      </Text>
      <Picker
        mode="selector"
        range={years.map((item) => `${item}年`)}
        value={Math.max(0, index)}
        onChange={(event) => {
          const picked = years[Number(event.detail.value)];
          if (picked !== undefined) onChange(picked);
        }}
      >
        <Text className="year-label" data-testid="hours-year">{`${year}年 ▾`}</Text>
      </Picker>
      <Text
        className={arrowClass(newer)}
        data-testid="hours-year-next"
        onClick={() => newer !== undefined && onChange(newer)}
      >
        ›
      </Text>
    </View>
  );
}

function SummaryCard({ hours }: { hours: MyHoursResponse }) {
  const percent = progressPercent(hours.earnedHours, hours.requiredHours);
  const missing = missingHoursText(hours.missingHours);

  return (
    <View className="card hours-summary" data-testid="hours-summary">
      <View className="summary-row">
        <Text className="summary-label">已获学时</Text>
        <Text className="summary-earned" data-testid="hours-earned">
          {formatHours(hours.earnedHours)}
        </Text>
      </View>
      <View className="summary-row">
        <Text className="summary-label">要求学时</Text>
        <Text className="summary-value" data-testid="hours-required">
          {requiredHoursText(hours)}
        </Text>
      </View>
      {missing !== null && (
        <View className="summary-row">
          <Text className="summary-label">还差</Text>
          <Text
            className={missing === '已完成' ? 'summary-value summary-done' : 'summary-value'}
            data-testid="hours-missing"
          >
            {missing}
          </Text>
        </View>
      )}
      {percent !== null && (
        <View className="progress-track" data-testid="hours-progress" data-percent={percent}>
          <View className="progress-fill" style={{ width: `${percent}%` }} />
        </View>
      )}
      <Text className="summary-learning" data-testid="hours-learning-time">
        {`学习时长 ${formatLearningTime(hours.learningSeconds)}（不等于学时）`}
      </Text>
    </View>
  );
}

function BindingNotice() {
  return (
    <View className="card binding-notice" data-testid="hours-binding-notice">
      <Text className="binding-notice-text">
        尚未绑定员工身份。在“我的”页面绑定后，可查看本单位的年度学时要求和历史系统导入的学时记录。
      </Text>
      <Button
        className="primary-button binding-notice-button"
        data-testid="hours-go-binding"
        onClick={() => void Taro.switchTab({ url: routes.me() })}
      >
        去绑定
      </Button>
    </View>
  );
}

function CourseRow({ course, year }: { course: CourseHoursView; year: number }) {
  return (
    <View
      className="course-hours-item"
      data-testid="hours-course-item"
      data-course-id={course.courseId}
      onClick={() => void Taro.navigateTo({ url: routes.courseDetail(course.courseId) })}
    >
      <View className="course-hours-main">
        <Text className="course-hours-title">{course.title}</Text>
        <Text className="muted">{`学习时长 ${formatLearningTime(course.learningSeconds)}`}</Text>
      </View>
      <View className="course-hours-side">
        <Text
          className={course.complete ? 'course-state course-state-done' : 'course-state'}
          data-testid="hours-course-state"
        >
          {course.complete ? '已完成' : '学习中'}
        </Text>
        <Text className="course-hours-credit" data-testid="hours-course-credit">
          {courseHoursText(course, year)}
        </Text>
      </View>
    </View>
  );
}

function RecordRow({ record }: { record: HourRecordView }) {
  return (
    <View className="record-item" data-testid="hours-record-item" data-kind={record.kind}>
      <View className="record-main">
        <Text className="record-title">{record.title}</Text>
        <View className="record-meta">
          <Text
            className={record.kind === 'course' ? 'record-source' : 'record-source record-legacy'}
            data-testid="hours-record-source"
          >
            {recordSourceText(record)}
          </Text>
          <Text className="muted">{record.completedOn}</Text>
        </View>
      </View>
      <Text className="record-hours">{`${formatHours(record.hours)} 学时`}</Text>
    </View>
  );
}

function HoursBody({ hours }: { hours: MyHoursResponse }) {
  const records = newestFirst(hours.records);

  return (
    <View>
      <SummaryCard hours={hours} />
      {!hours.bound && <BindingNotice />}

      {hours.courses.length > 0 && (
        <View className="section">
          <Text className="section-title">按课程</Text>
          <View className="card">
            {hours.courses.map((course) => (
              <CourseRow key={course.courseId} course={course} year={hours.year} />
            ))}
          </View>
        </View>
      )}

      <View className="section">
        <Text className="section-title">学时记录</Text>
        {records.length === 0 ? (
          <View data-testid="hours-empty">
            <EmptyView text="没有学时记录" />
          </View>
        ) : (
          <View className="card">
            {records.map((record, index) => (
              <RecordRow key={`${record.completedOn}-${index}`} record={record} />
            ))}
          </View>
        )}
      </View>
    </View>
  );
}

export default function MyHoursPage() {
  const params = useRouter().params;
  const currentYear = useMemo(() => shanghaiYear(Date.now()), []);
  const years = useMemo(() => selectableYears(currentYear), [currentYear]);
  const [year, setYear] = useState(() => parseYearParam(readParam(params, 'year'), currentYear));
  // The requested year travels with the response, so the previous year's numbers are never shown
  // under the newly selected year while its request is in flight.
  const hours = useRemoteData(
    async () => ({ year, response: await getApi().getMyHours(year) }),
    [year],
  );
  const yearHours = hours.data?.year === year ? hours.data.response : undefined;

  return (
    <View className="page hours-page">
      <YearSwitcher years={years} year={year} onChange={setYear} />
      <StatusView
        loading={hours.loading && !yearHours}
        error={hours.error}
        onRetry={hours.reload}
      />
      {yearHours && <HoursBody hours={yearHours} />}
    </View>
  );
}
