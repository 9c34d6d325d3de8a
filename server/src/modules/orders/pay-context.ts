import type { AppDeps } from '../../app.js';
import type { Logger } from '../../logger.js';
import type { WechatPay } from '../../wechat/pay-client.js';
import { paymentUnavailable } from './orders.errors.js';

/** Dependencies of the order services: WeChat Pay, the order lifetime, a clock and a logger. */
export interface PayContext {
  pay: WechatPay;
  /** Minutes an unpaid order stays payable (ORDER_CLOSE_MINUTES). */
  orderCloseMinutes: number;
  now(): Date;
  logger: Logger;
}

/** Returns the pay context of the app, or null when WeChat Pay is not configured. */
export function payContextOf(deps: AppDeps, logger: Logger = deps.logger): PayContext | null {
  if (!deps.pay) return null;
  return {
    pay: deps.pay,
    orderCloseMinutes: deps.config.ORDER_CLOSE_MINUTES,
    now: () => deps.now?.() ?? new Date(),
    logger,
  };
}

/** Returns the pay context, or throws 503 `payment_unavailable` when WeChat Pay is not configured. */
export function requirePayContext(deps: AppDeps, logger: Logger): PayContext {
  const context = payContextOf(deps, logger);
  if (!context) throw paymentUnavailable();
  return context;
}
