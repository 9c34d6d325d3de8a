// The learner's side of the weekly course push: recording the open of a pushed message's link,
// requesting a subscription message and recording the learner's choice, and the link of an
// in-app notice.
import Taro from '@tarojs/taro';
import type { PushNotice, SubscribeMessageChoice } from '@wxlearn/api-types';

import { COURSE_DETAIL_PAGE, routes } from '../routes';
import type { Api } from './api';
import { debugLog } from './debug';
import { NetworkError } from './errors';

/** Click tokens whose open was recorded since the app started, or is being recorded. */
const openedTokens = new Set<string>();

/**
 * Records the open of a pushed message's link (`pt` on the course page), once per click token
 * while the app runs. Never rejects: the course page opens whether or not the record is written,
 * so a failure only goes to the console, and the next open of the link tries again.
 */
export async function recordPushOpenOnce(api: Api, clickToken: string): Promise<void> {
  if (clickToken === '' || openedTokens.has(clickToken)) return;
  openedTokens.add(clickToken);
  try {
    await api.recordPushOpen(clickToken);
  } catch (error) {
    openedTokens.delete(clickToken);
    // Logged without the token: it identifies the learner's delivery.
    console.warn('[wxlearn] recording the push link open failed', String(error));
  }
}

/**
 * `accepted`: the learner allowed one message. `declined`: the learner rejected it.
 * `unavailable`: WeChat banned or filtered the template, or the call failed (the learner may
 * have turned subscription messages off in WeChat's settings). `unsupported`: this platform has
 * no subscription messages (H5).
 */
export type SubscribeOutcome = 'accepted' | 'declined' | 'unavailable' | 'unsupported';

/** `wx.requestSubscribeMessage` reduced to what this app uses: template id to choice. */
export type RequestSubscribeMessage = (templateIds: string[]) => Promise<Record<string, unknown>>;

export interface SubscribeOptions {
  /** Replaces Taro's `requestSubscribeMessage`, for tests. */
  requestSubscribeMessage?: RequestSubscribeMessage;
  /** Maximum number of `POST /api/me/subscriptions` calls, the first one included. */
  maxAttempts?: number;
  /** Wait before a retry, in milliseconds. */
  retryDelayMs?: number;
}

const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_RETRY_DELAY_MS = 1_000;
const CHOICES: readonly SubscribeMessageChoice[] = ['accept', 'reject', 'ban', 'filter'];

/** True where `wx.requestSubscribeMessage` exists: the weapp build, not H5. */
export function isSubscribeMessageSupported(): boolean {
  // Compared with the literal platform, as in payment.ts, so the H5 build drops the weapp branch.
  if (process.env.TARO_ENV === 'h5') return false;
  return typeof Taro.requestSubscribeMessage === 'function';
}

/**
 * Returns a new id for one requestSubscribeMessage call: 20 characters of `[0-9a-z]`, within the
 * server's 8 to 64. It only has to be unique among the learner's calls, so Math.random is enough.
 */
export function newRequestId(): string {
  const time = Date.now().toString(36).padStart(9, '0').slice(-9);
  let random = '';
  while (random.length < 11) random += Math.random().toString(36).slice(2);
  return `${time}${random.slice(0, 11)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Sends the choices of one requestSubscribeMessage call. After a network failure it sends the
 * same requestId again, so the server records each grant once however many calls arrive. An
 * error response is not retried. Returns the number of grants the server recorded.
 */
export async function sendSubscriptionChoices(
  api: Api,
  requestId: string,
  results: Record<string, SubscribeMessageChoice>,
  options: SubscribeOptions = {},
): Promise<number> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await api.recordSubscriptionGrants({ requestId, results });
      return response.recorded;
    } catch (error) {
      if (!(error instanceof NetworkError) || attempt >= maxAttempts) throw error;
      debugLog('subscription grants not sent, retrying', { attempt });
      await sleep(retryDelayMs);
    }
  }
}

function defaultRequestSubscribeMessage(templateIds: string[]): Promise<Record<string, unknown>> {
  // Taro 4.2's option type requires `entityIds`, which only Alipay reads, so the weapp-only
  // option is cast.
  const option = { tmplIds: templateIds } as Taro.requestSubscribeMessage.Option;
  return Taro.requestSubscribeMessage(option) as Promise<Record<string, unknown>>;
}

/**
 * Asks the learner to allow one weekly-recommendation message and sends the choice to the server
 * with a new requestId. Call it straight from a tap handler, before any other await: WeChat shows
 * the dialog only in response to a tap. Rejects with ApiError or NetworkError when the choice could
 * not be sent.
 */
export async function subscribeWeeklyMessage(
  api: Api,
  templateId: string,
  options: SubscribeOptions = {},
): Promise<SubscribeOutcome> {
  const requestSubscribeMessage =
    options.requestSubscribeMessage ??
    (isSubscribeMessageSupported() ? defaultRequestSubscribeMessage : null);
  if (requestSubscribeMessage === null) return 'unsupported';

  let choice: unknown;
  try {
    choice = (await requestSubscribeMessage([templateId]))[templateId];
  } catch (error) {
    debugLog('requestSubscribeMessage failed', {
      errCode: (error as { errCode?: unknown } | null)?.errCode,
    });
    return 'unavailable';
  }
  if (!CHOICES.includes(choice as SubscribeMessageChoice)) return 'unavailable';

  const learnerChoice = choice as SubscribeMessageChoice;
  await sendSubscriptionChoices(api, newRequestId(), { [templateId]: learnerChoice }, options);
  if (learnerChoice === 'accept') return 'accepted';
  return learnerChoice === 'reject' ? 'declined' : 'unavailable';
}

/**
 * Returns the page that an in-app notice opens: its own link with a leading slash. The link carries
 * the click token, so the course page records the open. A link to any other page is replaced by
 * the plain course page.
 */
export function noticeLink(notice: PushNotice): string {
  const path = notice.path.startsWith('/') ? notice.path : `/${notice.path}`;
  if (path.startsWith(`${COURSE_DETAIL_PAGE}?`)) return path;
  return routes.courseDetail(notice.courseId);
}

/** Chinese text of the toast after a subscription request, for each outcome. */
export const SUBSCRIBE_TOASTS: Record<SubscribeOutcome, string> = {
  accepted: '已订阅，下次推荐将通过微信提醒你',
  declined: '未订阅提醒',
  unavailable: '暂时无法订阅，请检查微信消息设置',
  unsupported: '当前环境不支持订阅提醒',
};
