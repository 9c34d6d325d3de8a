/** Tunable numbers of the crediting rules. Every field must be a positive finite number. */
export interface CreditRules {
  /** Period at which the client sends heartbeats while a lesson is open and visible, in ms. */
  heartbeatIntervalMs: number;
  /**
   * Extra time allowed on top of `heartbeatIntervalMs` for timer and network jitter, in ms. The
   * gap between two consecutive accepted heartbeats credits at most the sum of both.
   */
  heartbeatToleranceMs: number;
  /**
   * Allowed excess of the client's elapsed time since the first heartbeat over the server's
   * elapsed time since the session start, in ms. It covers clock drift and the clock offset
   * between server instances. A heartbeat beyond it is rejected.
   */
  clockSkewMs: number;
  /**
   * Maximum time a heartbeat is taken to have waited in the client's queue before it was
   * received, in ms. A heartbeat whose clock claims an older production time is placed on the
   * server timeline this long before its receipt instead. A higher value places honest replays
   * of old queues more exactly, but lets a client clock that under-reports elapsed time move
   * more credit into idle time, where it overlaps no other session.
   */
  maxQueueDelayMs: number;
  /**
   * Highest playback rate taken into account when deciding whether a video position moved by
   * playing or by seeking. Higher claimed rates are treated as this rate.
   */
  maxPlaybackRate: number;
  /** Credit of one video lesson is capped at its duration times this factor. */
  videoCreditFactor: number;
  /**
   * Slack in media seconds for a forward move of the video position to still count as played,
   * covering the granularity of the player's position updates.
   */
  videoPositionToleranceSeconds: number;
  /** Share of a video's distinct seconds, from 0 to 1, that completes the lesson. */
  videoCompleteShare: number;
  /** Minimum credited time per page that completes a document lesson, in seconds. */
  documentMinSecondsPerPage: number;
  /**
   * Reading pace behind the minimum credited time of an article, in words per minute, where a
   * word is one Chinese character or one Latin word (the lesson's `wordCount`).
   */
  articleWordsPerMinute: number;
  /** Share of the article, from 0 to 1, that must have been on screen to complete it. */
  articleMinScrollRatio: number;
}

/**
 * Default rules. The reading pace of 500 words per minute is an estimate of a fast pace for
 * Chinese text, chosen so that the minimum reading time is a floor an attentive reader passes.
 */
export const DEFAULT_CREDIT_RULES: Readonly<CreditRules> = Object.freeze({
  heartbeatIntervalMs: 15_000,
  heartbeatToleranceMs: 5_000,
  clockSkewMs: 2_000,
  maxQueueDelayMs: 30 * 60_000,
  maxPlaybackRate: 2,
  videoCreditFactor: 1.5,
  videoPositionToleranceSeconds: 2,
  videoCompleteShare: 0.9,
  documentMinSecondsPerPage: 10,
  articleWordsPerMinute: 500,
  articleMinScrollRatio: 0.9,
});

const SHARE_FIELDS = ['videoCompleteShare', 'articleMinScrollRatio'] as const;

/**
 * Checks that every rule is a positive finite number and that shares are at most 1.
 * Throws an Error naming the first invalid field, because a wrong rule would silently change
 * every learner's hours.
 */
export function assertValidRules(rules: CreditRules): void {
  for (const [field, value] of Object.entries(rules)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new Error(`invalid credit rule ${field}: ${String(value)}, expected a positive number`);
    }
  }
  for (const field of SHARE_FIELDS) {
    if (rules[field] > 1) {
      throw new Error(`invalid credit rule ${field}: ${rules[field]}, expected a share up to 1`);
    }
  }
}

/** Returns the most a single gap between consecutive heartbeats can credit, in ms. */
export function maxGapCreditMs(rules: CreditRules): number {
  return rules.heartbeatIntervalMs + rules.heartbeatToleranceMs;
}
