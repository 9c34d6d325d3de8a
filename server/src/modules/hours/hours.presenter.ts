import type { MyHoursResponse } from '@wxlearn/api-types';
import type { MyHours } from './my-hours.service.js';

const wholeSeconds = (ms: number): number => Math.floor(ms / 1000);

export function presentMyHours(hours: MyHours): MyHoursResponse {
  return {
    year: hours.year,
    bound: hours.bound,
    earnedHours: hours.earnedHours,
    requiredHours: hours.requiredHours,
    missingHours: hours.missingHours,
    learningSeconds: wholeSeconds(hours.learningMs),
    courses: hours.courses.map((course) => ({
      courseId: course.courseId,
      title: course.title,
      learningSeconds: wholeSeconds(course.learningMs),
      complete: course.complete,
      completedAt: course.completedAt?.toISOString() ?? null,
      creditHours: course.creditHours,
      earnedHours: course.earnedHours,
    })),
    records: hours.records.map((record) => ({ ...record })),
  };
}
