/**
 * Recomputes every learner's derived records from the ledger and reports where the stored ones
 * differ: lesson progress (credited time, per-year time, completion, resume position) and course
 * completions. With `fix`, writes the recomputed records, as the end call would have.
 */
import type { Types } from 'mongoose';
import { LessonModel } from '../catalog/lesson.model.js';
import { DEFAULT_CREDIT_RULES, type CreditRules } from './credit-rules.js';
import { CourseCompletionModel } from './course-completion.model.js';
import {
  completeCourseIfDone,
  computeCredits,
  derivedProgress,
  settleCredits,
} from './learning-ledger.js';
import { MAX_SESSION_MS } from './heartbeat-intake.js';
import {
  LearningSessionModel,
  SessionEndModel,
  type LearningSession,
} from './learning-session.model.js';
import { LessonProgressModel } from './lesson-progress.model.js';

export interface LedgerDifference {
  learnerId: string;
  lessonId?: string;
  courseId?: string;
  field: string;
  stored: unknown;
  recomputed: unknown;
}

export interface LedgerReport {
  learners: number;
  lessons: number;
  /** Lessons skipped because their latest session can still earn credit (not ended, < 12 h). */
  openLessons: number;
  differences: LedgerDifference[];
  fixed: boolean;
}

export interface VerifyOptions {
  now: Date;
  fix?: boolean;
  rules?: CreditRules;
  /** Called for each learner checked, to report progress on large databases. */
  onLearner?: (checked: number) => void;
}

/** Recomputes and compares every learner with at least one learning session. */
export async function verifyLedger(options: VerifyOptions): Promise<LedgerReport> {
  const rules = options.rules ?? DEFAULT_CREDIT_RULES;
  const learnerIds = new Map<string, Types.ObjectId>();
  for (const item of await LearningSessionModel.find({}, { learnerId: 1 }).lean()) {
    learnerIds.set(item.learnerId.toHexString(), item.learnerId);
  }
  const report: LedgerReport = {
    learners: 0,
    lessons: 0,
    openLessons: 0,
    differences: [],
    fixed: false,
  };
  for (const learnerId of learnerIds.values()) {
    const found = await verifyLearner(learnerId, options.now, rules);
    report.learners++;
    report.lessons += found.lessons;
    report.openLessons += found.openLessons;
    report.differences.push(...found.differences);
    if (options.fix && found.differences.length > 0) {
      await settleCredits(learnerId, found.latestSessions, options.now, rules);
      for (const courseId of found.courseIds) {
        await completeCourseIfDone(learnerId, courseId, options.now);
      }
      report.fixed = true;
    }
    options.onLearner?.(report.learners);
  }
  return report;
}

async function verifyLearner(
  learnerId: Types.ObjectId,
  now: Date,
  rules: CreditRules,
): Promise<{
  lessons: number;
  openLessons: number;
  differences: LedgerDifference[];
  latestSessions: LearningSession[];
  courseIds: Types.ObjectId[];
}> {
  const learner = learnerId.toHexString();
  const sessions = await LearningSessionModel.find({ learnerId }).sort({ startedAt: -1 }).lean();
  const latestOfLesson = new Map<string, LearningSession>();
  for (const session of sessions) {
    const key = session.lessonId.toHexString();
    if (!latestOfLesson.has(key)) latestOfLesson.set(key, session as LearningSession);
  }
  // A lesson whose latest session is still open changes with every heartbeat until the session
  // is settled, so comparing it would report lag, not errors.
  let openLessons = 0;
  for (const [key, session] of latestOfLesson) {
    const open = now.getTime() - session.startedAt.getTime() < MAX_SESSION_MS;
    if (open && !(await SessionEndModel.exists({ sessionId: session._id }))) {
      latestOfLesson.delete(key);
      openLessons++;
    }
  }
  const computedList = await computeCredits(learnerId, [...latestOfLesson.values()], now, rules);
  const [storedProgress, completions] = await Promise.all([
    LessonProgressModel.find({ learnerId }).lean(),
    CourseCompletionModel.find({ learnerId }).lean(),
  ]);
  const storedOf = new Map(storedProgress.map((item) => [item.lessonId.toHexString(), item]));

  const differences: LedgerDifference[] = [];
  const completeLessons = new Set<string>();
  const courseIds = new Map<string, Types.ObjectId>();
  for (const computed of computedList) {
    const { session } = computed;
    const lessonKey = session.lessonId.toHexString();
    courseIds.set(session.courseId.toHexString(), session.courseId);
    const derived = derivedProgress(computed);
    if (derived.complete) completeLessons.add(lessonKey);
    const stored = storedOf.get(lessonKey);
    const note = (field: string, storedValue: unknown, recomputed: unknown) =>
      differences.push({
        learnerId: learner,
        lessonId: lessonKey,
        field,
        stored: storedValue,
        recomputed,
      });
    if (!stored) {
      if (derived.creditedMs > 0 || derived.complete)
        note('lessonProgress', null, derived.creditedMs);
      continue;
    }
    if (stored.creditedMs !== derived.creditedMs)
      note('creditedMs', stored.creditedMs, derived.creditedMs);
    const storedYears = stored.creditedByYear.map(({ year, creditedMs }) => ({ year, creditedMs }));
    if (JSON.stringify(storedYears) !== JSON.stringify(derived.creditedByYear)) {
      note('creditedByYear', storedYears, derived.creditedByYear);
    }
    if (stored.complete !== derived.complete) note('complete', stored.complete, derived.complete);
    if ((stored.lastPosition ?? null) !== derived.lastPosition) {
      note('lastPosition', stored.lastPosition ?? null, derived.lastPosition);
    }
  }

  // A completion must rest on complete lessons, and complete lessons must have their completion.
  const completed = new Set(completions.map((item) => item.courseId.toHexString()));
  for (const [courseKey, courseId] of courseIds) {
    const lessons = await LessonModel.find({ courseId }, { optional: 1 }).lean();
    const required = lessons.filter((lesson) => lesson.optional !== true);
    const allDone =
      required.length > 0 &&
      required.every((lesson) => completeLessons.has(lesson._id.toHexString()));
    if (allDone !== completed.has(courseKey)) {
      differences.push({
        learnerId: learner,
        courseId: courseKey,
        field: 'courseCompletion',
        stored: completed.has(courseKey),
        recomputed: allDone,
      });
    }
  }
  return {
    lessons: latestOfLesson.size,
    openLessons,
    differences,
    latestSessions: [...latestOfLesson.values()],
    courseIds: [...courseIds.values()],
  };
}
