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

/** Body of `POST /api/me/push-opt-out` and response of it and of `GET /api/me/push-opt-out`. */
export interface PushOptOut {
  /** True when the learner receives no weekly course message. */
  optedOut: boolean;
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
