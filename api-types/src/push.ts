/** What wx.requestSubscribeMessage returned for one template. */
export type SubscribeMessageChoice = 'accept' | 'reject' | 'ban' | 'filter';

/** Body of `POST /api/me/subscriptions`: the result of one wx.requestSubscribeMessage call. */
export interface SubscriptionGrantRequest {
  /**
   * Id the client generates once per requestSubscribeMessage call (8 to 64 letters, digits, `_`
   * or `-`), so a retried request records no second grant.
   */
  requestId: string;
  /** Choice per template id, as returned by requestSubscribeMessage. */
  results: Record<string, SubscribeMessageChoice>;
}

export interface SubscriptionGrantResponse {
  /** Grants recorded by this request: one per accepted template, 0 for a retry. */
  recorded: number;
}

/** Body and response of `POST /api/me/push-opt-out`. */
export interface PushOptOut {
  /** True when the learner receives no weekly course message. */
  optedOut: boolean;
}

/** Response of `GET /api/me/push-opt-out`. */
export interface PushOptOutStatus extends PushOptOut {
  /**
   * Subscription-message template that the mini-program passes to wx.requestSubscribeMessage, or
   * null when the server sends no subscription messages.
   */
  subscribeTemplateId: string | null;
}

/** A weekly message shown inside the mini-program. */
export interface PushNotice {
  id: string;
  title: string;
  body: string;
  /** Mini-program page to open, with the click token. */
  path: string;
  courseId: string;
  createdAt: string;
}

/** Response of `GET /api/me/notices`, newest first. */
export interface PushNoticeList {
  items: PushNotice[];
}

/** Response of `GET /api/push/open?t=TOKEN`: where the message's link leads. */
export interface PushOpenResponse {
  /** Mini-program page of the course, with a leading slash, for Taro.navigateTo. */
  path: string;
  courseId: string;
}

/** One weekly push run, as operators see it in `GET /api/admin/push/runs`. */
export interface PushRunView {
  /** ISO week of the run in the push time zone, such as `2026-W49`. */
  week: string;
  state: 'running' | 'completed';
  /** 1, plus one for each time another server copy took over a stopped run. */
  attempt: number;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  /** Final counts; null while the run is going on. */
  counts: {
    deliveries: number;
    sent: number;
    sentByChannel: Record<'template' | 'subscription' | 'in_app', number>;
    /** Sent on a later channel than planned, by reason, such as `daily_quota`. */
    fellBack: Record<string, number>;
    /** Skipped deliveries by reason, such as `opted_out`. */
    skipped: Record<string, number>;
    /** Failed deliveries by reason, such as `subscription_refused`. */
    failed: Record<string, number>;
    /** Deliveries whose outcome is unknown: the call may have reached WeChat without a response. */
    unconfirmed: number;
  } | null;
  /** Learners who opened the message's link (first open per delivery). */
  opens: number;
}

/** Response of `GET /api/admin/push/runs`, newest week first. */
export interface PushRunList {
  items: PushRunView[];
}
