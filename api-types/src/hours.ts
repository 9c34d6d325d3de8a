// Course hours (学时): what a learner earned in a calendar year, what their unit requires, and the
// records behind the numbers. Official hours and raw learning time are kept apart: official hours
// come from completed courses and imported legacy records, learning time from credited heartbeats.
// Years are calendar years in Asia/Shanghai.

/** Query of `GET /api/me/hours`. The year defaults to the current one. */
export interface MyHoursQuery {
  year?: number;
}

/** One course the learner studied or completed in the year. */
export interface CourseHoursView {
  courseId: string;
  title: string;
  /** Learning time credited in this course during the year, in seconds. */
  learningSeconds: number;
  complete: boolean;
  /** When the course became complete, or null. */
  completedAt: string | null;
  /** Official hours this course credits on completion, or null when the course has none set. */
  creditHours: number | null;
  /** Official hours earned in the year from this course: creditHours when completed in the year. */
  earnedHours: number;
}

/** One line of the record list: a completed course or an imported legacy record. */
export interface HourRecordView {
  kind: 'course' | 'legacy';
  title: string;
  hours: number;
  /** Calendar date of completion in Asia/Shanghai, `YYYY-MM-DD`. */
  completedOn: string;
  /** `平台学习` for courses completed here, else the legacy system's name. */
  source: string;
  /** The course, for records of this platform; null for legacy records. */
  courseId: string | null;
}

/** Response of `GET /api/me/hours`. Hours have one decimal. */
export interface MyHoursResponse {
  year: number;
  /** False until the learner is bound to an employee: then no requirement and no legacy records. */
  bound: boolean;
  /** Official hours earned in the year: completed courses plus legacy records. */
  earnedHours: number;
  /** Hours the learner's org unit requires for the year, or null when none is set. */
  requiredHours: number | null;
  /** max(0, required - earned), or null when no requirement is set. */
  missingHours: number | null;
  /** Raw learning time credited in the year, in seconds, shown apart from official hours. */
  learningSeconds: number;
  courses: CourseHoursView[];
  /** Newest first. */
  records: HourRecordView[];
}

/** Body of `PUT /api/admin/hour-requirements/:orgUnitCode/:year`. */
export interface SetHourRequirementRequest {
  requiredHours: number;
}

/** A requirement as the admin API lists it. */
export interface HourRequirementView {
  orgUnitCode: string;
  orgUnitName: string;
  year: number;
  requiredHours: number;
}

/** Response of `GET /api/admin/hour-requirements?year=&orgUnitCode=`. */
export interface HourRequirementListResponse {
  items: HourRequirementView[];
}
