// Learning sessions, heartbeats and course-hour credit. Positions are video seconds, document
// pages (1-based) or the share of an article on screen (0 to 1), depending on the lesson type.

/** Body of `POST /api/learning/sessions`. */
export interface StartSessionRequest {
  lessonId: string;
  /** Chosen by the client once per session, so a retried start returns the same session. */
  clientSessionId: string;
}

/** Response of `POST /api/learning/sessions`. */
export interface LearningSessionView {
  id: string;
  lessonId: string;
  startedAt: string;
  endedAt: string | null;
  /** Position at which the learner stopped last time, on any device, or null. */
  resumePosition: number | null;
  /** Period at which the client sends heartbeats while the lesson is open and visible. */
  heartbeatIntervalMs: number;
}

/** One heartbeat produced by the client. */
export interface HeartbeatPayload {
  /** 1, 2, … per session, never reused. */
  seq: number;
  /** Client monotonic clock in ms. Only differences between heartbeats matter. */
  clientMs: number;
  position?: number | null;
  playbackRate?: number;
  paused?: boolean;
  hidden?: boolean;
  resumed?: boolean;
}

/** Body of `POST /api/learning/sessions/:id/heartbeats`: 1 to 200 heartbeats in seq order. */
export interface HeartbeatBatchRequest {
  heartbeats: HeartbeatPayload[];
}

/** Body of `POST /api/learning/sessions/:id/end`. */
export interface EndSessionRequest {
  finalHeartbeat?: HeartbeatPayload;
}

export type HeartbeatRejectionReason =
  | 'invalid'
  | 'wrong_session'
  | 'duplicate'
  | 'late'
  | 'clock_backwards'
  | 'ahead_of_server_clock'
  | 'before_start'
  | 'after_end';

/** A learner's progress in one lesson, over all their sessions of it. */
export interface LessonProgressView {
  lessonId: string;
  /** Credited seconds, overlapping sessions on several devices counted once. */
  creditedSeconds: number;
  complete: boolean;
  /** Distinct video seconds watched (video lessons), else null. */
  watchedSeconds: number | null;
  /** Pages seen (document lessons), else null. */
  pagesSeen: number[] | null;
  /** Highest share of the article on screen (article lessons), else null. */
  maxScrollRatio: number | null;
  /** Resume position, from the latest heartbeat with a position on any device, or null. */
  lastPosition: number | null;
}

/**
 * Response of the heartbeat call. The client removes every seq of `acceptedSeqs` and `rejected`
 * from its offline queue: a rejected heartbeat never counts, even when resent. An accepted
 * heartbeat is stored; whether and how much it credits is decided when the session's credit is
 * computed (end call, progress, my hours), from everything stored by then.
 */
export interface HeartbeatBatchResponse {
  sessionId: string;
  acceptedSeqs: number[];
  rejected: { seq: number; reason: HeartbeatRejectionReason }[];
}

/** Response of the end call: the batch outcome plus the session's and the lesson's credit. */
export interface SessionEndResponse extends HeartbeatBatchResponse {
  /** Seconds credited to this session after de-duplication with the learner's other sessions. */
  creditedSeconds: number;
  endedAt: string | null;
  lesson: LessonProgressView;
}

/** Body of `GET /api/learning/lessons/:lessonId/progress`. */
export type LessonProgressResponse = LessonProgressView;
