// Buying a paid course: the order from the server, the payment on this platform, and the wait
// until the server has the payment. The weapp build pays with `wx.requestPayment`. The browser
// has none, so the development H5 build has the server make the WeChat sandbox pay, as the
// development login does. A production H5 build cannot pay.
import Taro from '@tarojs/taro';
import type { CoursePurchaseView, JsapiPaymentParams, OrderView } from '@wxlearn/api-types';

import type { Api } from './api';
import { debugLog } from './debug';
import { isDevLoginEnabled } from './env';
import { PaymentError, PaymentUnavailableError } from './errors';

/**
 * `paid`: the server has the payment. `pending`: paid here, but the server has not confirmed it
 * before the timeout. `closed`: the order expired unpaid.
 */
export type PurchaseOutcome = 'paid' | 'cancelled' | 'pending' | 'closed';

export interface PurchaseResult {
  outcome: PurchaseOutcome;
  order: OrderView;
}

export interface PurchaseOptions {
  /** `wx.requestPayment`; defaults to Taro's. */
  requestPayment?: (params: JsapiPaymentParams) => Promise<unknown>;
  /** Time between two reads of the order, in milliseconds. */
  pollIntervalMs?: number;
  /** Time after which the wait gives up and reports `pending`, in milliseconds. */
  pollTimeoutMs?: number;
}

const DEFAULT_POLL_INTERVAL_MS = 1_000;
const DEFAULT_POLL_TIMEOUT_MS = 30_000;

/**
 * True on iOS: WeChat reports `ios`, and a browser `iOS` when its user agent names iOS (iPadOS
 * Safari names macOS, so it counts as a desktop).
 */
export function isIosDevice(): boolean {
  try {
    return Taro.getSystemInfoSync().platform.toLowerCase() === 'ios';
  } catch {
    return false;
  }
}

/**
 * True when this device must not show the price and the buy button: WeChat does not allow
 * selling virtual goods in mini-programs on iOS, and the server's PAY_HIDE_ON_IOS is on.
 */
export function isPurchaseHidden(purchase: CoursePurchaseView): boolean {
  return purchase.hideOnIos && isIosDevice();
}

/** Returns true when the learner cancelled `wx.requestPayment`, whose errMsg then ends in `cancel`. */
function isCancellation(error: unknown): boolean {
  const message = (error as { errMsg?: unknown } | null)?.errMsg;
  return typeof message === 'string' && /cancel/.test(message);
}

/** Pays an order on this platform. Returns false when the learner cancelled. */
async function pay(
  api: Api,
  order: OrderView,
  params: JsapiPaymentParams,
  options: PurchaseOptions,
) {
  // Compared with the literal platform, as in login.ts, so each build keeps only its own branch.
  if (process.env.TARO_ENV !== 'h5') {
    const requestPayment =
      options.requestPayment ?? ((payment: JsapiPaymentParams) => Taro.requestPayment(payment));
    try {
      await requestPayment(params);
      return true;
    } catch (error) {
      if (isCancellation(error)) return false;
      debugLog('requestPayment failed', { error: String((error as { errMsg?: string }).errMsg) });
      throw new PaymentError(`wx.requestPayment failed: ${String(error)}`);
    }
  }
  if (!isDevLoginEnabled()) {
    throw new PaymentUnavailableError('this H5 build cannot pay: build it with DEV_LOGIN=true');
  }
  await api.devPayOrder(order.id);
  return true;
}

/** Reads the order until it is paid or closed, or until the timeout. */
async function waitForPayment(api: Api, orderId: string, options: PurchaseOptions) {
  const interval = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const deadline = Date.now() + (options.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS);
  for (;;) {
    const order = await api.getOrder(orderId);
    if (order.state !== 'pending' || Date.now() >= deadline) return order;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/**
 * Buys a paid course: creates (or reuses) the order, pays it on this platform and waits until
 * the server has the payment. Throws ApiError, NetworkError, PaymentError or
 * PaymentUnavailableError, each with a message for the learner.
 */
export async function purchaseCourse(
  api: Api,
  courseId: string,
  options: PurchaseOptions = {},
): Promise<PurchaseResult> {
  const created = await api.createOrder(courseId);
  const paid = await pay(api, created.order, created.payment, options);
  if (!paid) return { outcome: 'cancelled', order: created.order };
  const order = await waitForPayment(api, created.order.id, options);
  return { outcome: order.state, order };
}
