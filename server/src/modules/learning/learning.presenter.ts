import type {
  HeartbeatBatchResponse,
  LearningSessionView,
  LessonProgressView,
  SessionEndResponse,
} from '@wxlearn/api-types';
import type {
  BatchOutcome,
  EndOutcome,
  LessonProgressResult,
  SessionState,
} from './learning.service.js';

/** Milliseconds to seconds, kept to the millisecond. */
const seconds = (ms: number): number => Math.round(ms) / 1000;

export function presentProgress(progress: LessonProgressResult): LessonProgressView {
  return {
    lessonId: progress.lessonId,
    creditedSeconds: seconds(progress.creditedMs),
    complete: progress.complete,
    watchedSeconds:
      progress.watchedSeconds === null ? null : Math.round(progress.watchedSeconds * 1000) / 1000,
    pagesSeen: progress.pagesSeen,
    maxScrollRatio: progress.maxScrollRatio,
    lastPosition: progress.lastPosition,
  };
}

export function presentSession(
  state: SessionState & { resumePosition: number | null },
  heartbeatIntervalMs: number,
): LearningSessionView {
  return {
    id: state.session._id.toHexString(),
    lessonId: state.session.lessonId.toHexString(),
    startedAt: state.session.startedAt.toISOString(),
    endedAt: state.endedAt?.toISOString() ?? null,
    resumePosition: state.resumePosition,
    heartbeatIntervalMs,
  };
}

export function presentBatch(outcome: BatchOutcome): HeartbeatBatchResponse {
  return {
    sessionId: outcome.sessionId,
    acceptedSeqs: outcome.acceptedSeqs,
    rejected: outcome.rejected,
  };
}

export function presentEnd(outcome: EndOutcome): SessionEndResponse {
  return {
    ...presentBatch(outcome),
    creditedSeconds: seconds(outcome.creditedMs),
    endedAt: outcome.endedAt?.toISOString() ?? null,
    lesson: presentProgress(outcome.lesson),
  };
}
