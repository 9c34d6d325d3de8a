import type { ApiErrorBody, ApiErrorId } from '@wxlearn/api-types';

/** Message shown whenever the request did not reach the server or no response came back. */
export const NETWORK_ERROR_MESSAGE = '网络不给力，请检查网络后重试';

/** Message for server failures and responses that are not in the API's error format. */
export const SERVER_ERROR_MESSAGE = '服务暂时不可用，请稍后重试';

/** Message for a client error whose id this build does not know yet. */
const UNKNOWN_REQUEST_ERROR_MESSAGE = '请求失败，请稍后重试';

/** Learner-facing text for each API error id. */
const MESSAGES_BY_ID: Record<ApiErrorId, string> = {
  validation_failed: '提交的内容有误，请检查后重试',
  unauthenticated: '登录已失效，请重新进入小程序',
  session_expired: '登录已过期，请重新进入小程序',
  forbidden: '没有权限访问该内容',
  not_found: '内容不存在或已下架',
  method_not_allowed: '当前版本不支持该操作，请更新小程序后重试',
  invalid_login_code: '登录失败，请稍后重试',
  login_code_reused: '登录失败，请稍后重试',
  wechat_unavailable: '微信服务暂时不可用，请稍后重试',
  employee_not_found: '未找到该员工，请核对工号和姓名',
  employee_already_bound: '该工号已被其他微信账号绑定，如有疑问请联系管理员',
  learner_already_bound: '你已绑定工号，无需重复绑定',
  attempt_submitted: '本次测验已提交',
  attempt_expired: '答题时间已到，无法继续作答',
  attempt_limit_reached: '已达到该测验的最多作答次数',
  attempt_not_submitted: '本次测验尚未交卷，暂无成绩',
  quiz_unavailable: '该测验暂不可用',
  question_not_in_attempt: '题目不属于本次测验，请刷新后重试',
  heartbeat_out_of_order: '学习进度记录顺序异常，请重新打开本课',
  heartbeat_clock_ahead: '设备时间异常，请重新打开本课',
  too_many_heartbeats: '学习进度提交过于频繁，请重新打开本课',
  too_many_sessions: '今天打开课程过于频繁，请稍后再学',
  too_many_subscription_grants: '本周订阅提醒的次数已达上限，下周再来订阅吧',
  heartbeat_clock_backwards: '设备时间异常，请重新打开本课',
  faq_entry_exists: '该问答条目已存在',
  faq_entry_disabled: '该问答条目已停用，请先启用',
  handoff_state_conflict: '该问题已被其他客服处理',
  rate_limited: '操作太频繁，请稍后再试',
  payload_too_large: '提交的内容过大',
  purchase_required: '购买后即可学习本课程',
  course_not_for_sale: '该课程免费，直接报名即可',
  course_already_purchased: '你已购买该课程',
  payment_unavailable: '支付暂不可用，请稍后再试',
  order_not_paid: '订单尚未支付',
  order_not_pending: '订单已失效，请重新购买',
  refund_exceeds_paid: '退款金额超过可退金额',
  refund_pending: '退款正在处理，请稍后再试',
  service_unavailable: SERVER_ERROR_MESSAGE,
  internal_error: SERVER_ERROR_MESSAGE,
};

/** A non-2xx response of the API, with the stable error id that callers switch on. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly id: ApiErrorId,
    message: string,
    readonly requestId: string | null,
    /** Chinese text for the learner. */
    readonly userMessage: string,
  ) {
    super(message);
  }
}

/** The request failed before a response arrived: no network, DNS failure, timeout, aborted. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  readonly userMessage = NETWORK_ERROR_MESSAGE;
}

/** `wx.login` failed, so no login code could be obtained. */
export class WechatLoginError extends Error {
  override readonly name = 'WechatLoginError';
  readonly userMessage = '微信登录失败，请稍后重试';
}

/** Logging in is not possible on this platform build (H5 without the development login). */
export class LoginUnavailableError extends Error {
  override readonly name = 'LoginUnavailableError';
  readonly userMessage = 'H5 正式版暂不支持登录，请在微信中打开小程序使用';
}

/** `wx.requestPayment` failed for a reason other than the learner cancelling. */
export class PaymentError extends Error {
  override readonly name = 'PaymentError';
  readonly userMessage = '支付失败，请稍后重试';
}

/** Paying is not possible on this platform build (H5 without the development login). */
export class PaymentUnavailableError extends Error {
  override readonly name = 'PaymentUnavailableError';
  readonly userMessage = 'H5 正式版暂不支持支付，请在微信中打开小程序购买';
}

function isApiErrorBody(body: unknown): body is ApiErrorBody {
  if (typeof body !== 'object' || body === null) return false;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  return typeof (error as { id?: unknown }).id === 'string';
}

/** Fallback id for a response without the API's error body, chosen by HTTP status. */
function idForStatus(status: number): ApiErrorId {
  if (status === 400) return 'validation_failed';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 429) return 'rate_limited';
  return 'internal_error';
}

/** Builds the ApiError for a non-2xx response from its status and body. */
export function toApiError(status: number, body: unknown): ApiError {
  if (isApiErrorBody(body)) {
    const { id, message, requestId } = body.error;
    // A newer server may send ids that this build does not list.
    const fallback = status >= 500 ? SERVER_ERROR_MESSAGE : UNKNOWN_REQUEST_ERROR_MESSAGE;
    const userMessage = MESSAGES_BY_ID[id] ?? fallback;
    return new ApiError(status, id, message, requestId ?? null, userMessage);
  }
  const id = idForStatus(status);
  return new ApiError(
    status,
    id,
    `HTTP ${status} without an API error body`,
    null,
    MESSAGES_BY_ID[id],
  );
}

/** Returns the Chinese text to show for any error thrown by the services. */
export function userMessageOf(error: unknown): string {
  if (error instanceof ApiError) return error.userMessage;
  if (error instanceof NetworkError) return error.userMessage;
  if (error instanceof WechatLoginError) return error.userMessage;
  if (error instanceof LoginUnavailableError) return error.userMessage;
  if (error instanceof PaymentError) return error.userMessage;
  if (error instanceof PaymentUnavailableError) return error.userMessage;
  return SERVER_ERROR_MESSAGE;
}
