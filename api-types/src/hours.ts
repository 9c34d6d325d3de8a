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
  /**
   * The ancestor unit that sets this requirement, when the item shows what is in force at the root
   * of the caller's scope without being set there. Null for a requirement set on the unit itself.
   */
  inheritedFrom: { orgUnitCode: string; orgUnitName: string } | null;
}

/**
 * Query of `GET /api/admin/hour-requirements`: a year from 2000 to 2100 and optionally one unit
 * of the caller's scope (default: all of it).
 */
export interface HourRequirementListQuery {
  year: number;
  orgUnitCode?: string;
}

/**
 * Response of `GET /api/admin/hour-requirements`. For each scope root: first the requirement
 * inherited from above (when the root sets none itself), then the requirements set on units of
 * its subtree, parents before children.
 */
export interface HourRequirementListResponse {
  items: HourRequirementView[];
}

/**
 * Query of `GET /api/admin/hours/export`, which returns an xlsx file of the hours of every roster
 * employee in the unit's subtree: a year from 2000 to the current one, and a unit in the caller's
 * scope.
 */
export interface HoursExportQuery {
  year: number;
  orgUnitCode: string;
}
