/** Body of every non-2xx response. */
export interface ApiErrorBody {
  error: {
    /** Stable snake_case code that clients switch on, such as `code_already_used`. */
    id: ApiErrorId;
    /** Human-readable English explanation for developers and logs. */
    message: string;
    requestId: string;
    /** Per-field problems of a rejected request body or query. */
    details?: { path: string; message: string }[];
  };
}

export type ApiErrorId =
  | 'validation_failed'
  | 'unauthenticated'
  | 'session_expired'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'invalid_login_code'
  | 'login_code_reused'
  | 'wechat_unavailable'
  | 'employee_not_found'
  | 'employee_already_bound'
  | 'learner_already_bound'
  | 'attempt_submitted'
  | 'attempt_expired'
  | 'attempt_limit_reached'
  | 'attempt_not_submitted'
  | 'quiz_unavailable'
  | 'question_not_in_attempt'
  | 'heartbeat_out_of_order'
  | 'heartbeat_clock_ahead'
  | 'too_many_heartbeats'
  | 'too_many_sessions'
  | 'too_many_subscription_grants'
  | 'heartbeat_clock_backwards'
  | 'rate_limited'
  | 'payload_too_large'
  | 'purchase_required'
  | 'course_not_for_sale'
  | 'course_already_purchased'
  | 'payment_unavailable'
  | 'order_not_paid'
  | 'order_not_pending'
  | 'refund_exceeds_paid'
  | 'refund_pending'
  | 'faq_entry_exists'
  | 'faq_entry_disabled'
  | 'handoff_state_conflict'
  | 'service_unavailable'
  | 'internal_error';

export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
}
