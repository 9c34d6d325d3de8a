// Handling a WeChat Pay notification once it is verified and decrypted: payment events go to the
// same code path as reconciliation, refund events to the refund service.
import type { Logger } from '../../logger.js';
import {
  PayNotificationError,
  openNotification,
  type NotificationHeaders,
} from '../../wechat/pay-notification.js';
import { PayFormatError, parseRefund, parseTransaction } from '../../wechat/pay-types.js';
import type { PayContext } from './pay-context.js';
import { applyTransaction } from './payments.service.js';
import { applyRefund } from './refunds.service.js';

/** Response to WeChat Pay: 204 acknowledges, and any other status makes it retry later. */
export interface NotificationReply {
  status: number;
  /** WeChat Pay's failure body, `{code: 'FAIL', message}`; none on success. */
  body?: { code: 'FAIL'; message: string };
}

const ACKNOWLEDGED: NotificationReply = { status: 204 };

function fail(status: number, message: string): NotificationReply {
  return { status, body: { code: 'FAIL', message } };
}

/** HTTP status of each rejection: 401 for authentication failures, 400 for a malformed body. */
const REJECTION_STATUS: Record<PayNotificationError['reason'], number> = {
  missing_header: 400,
  stale_timestamp: 401,
  unknown_serial: 401,
  invalid_signature: 401,
  invalid_body: 400,
  decryption_failed: 400,
};

/**
 * Verifies, decrypts and applies a notification. A notification that fails a check changes
 * nothing and gets 4xx. One that passes is acknowledged even when its payment is flagged for
 * review, because WeChat Pay would otherwise repeat it for 24 hours.
 */
export async function handleNotification(
  context: PayContext,
  headers: NotificationHeaders,
  rawBody: string,
  log: Logger,
): Promise<NotificationReply> {
  const { pay } = context;
  let notification;
  try {
    notification = await openNotification(
      headers,
      rawBody,
      pay.keys,
      pay.client.apiV3Key,
      context.now(),
    );
  } catch (error) {
    if (!(error instanceof PayNotificationError)) throw error;
    log.warn(
      {
        reason: error.reason,
        serial: headers.serial,
        timestamp: headers.timestamp,
        ...(error.reason === 'unknown_serial' ? { knownSerials: pay.keys.knownSerials() } : {}),
        detail: error.message,
      },
      'wechat pay notification rejected',
    );
    return fail(REJECTION_STATUS[error.reason], error.message);
  }

  const fields = { notificationId: notification.id, eventType: notification.eventType };
  try {
    if (notification.eventType.startsWith('TRANSACTION.')) {
      const transaction = parseTransaction(notification.resource);
      const outcome = await applyTransaction(context, transaction, 'notification', log);
      log.info({ ...fields, outTradeNo: transaction.outTradeNo, outcome }, 'payment notification');
      return ACKNOWLEDGED;
    }
    if (notification.eventType.startsWith('REFUND.')) {
      const refund = parseRefund(notification.resource);
      const applied = await applyRefund(context, refund, log);
      log.info({ ...fields, outRefundNo: refund.outRefundNo, applied }, 'refund notification');
      return ACKNOWLEDGED;
    }
  } catch (error) {
    if (error instanceof PayFormatError) {
      log.warn({ ...fields, detail: error.message }, 'wechat pay notification rejected');
      return fail(400, error.message);
    }
    throw error;
  }
  log.info(fields, 'wechat pay notification of another event type acknowledged');
  return ACKNOWLEDGED;
}

/** Time this server allows itself to respond; WeChat Pay waits 5 seconds before it retries. */
export const NOTIFICATION_DEADLINE_MS = 4_000;

/**
 * Runs `handle` but responds 503 when it has not finished within the deadline, so WeChat Pay gets
 * a reply before it gives up. The handling goes on and is idempotent, so WeChat Pay's retry
 * acknowledges what it finished. A failure of `handle` is logged and gets 500.
 */
export async function withinDeadline(
  handle: Promise<NotificationReply>,
  deadlineMs: number,
  log: Logger,
): Promise<NotificationReply> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<NotificationReply>((resolve) => {
    timer = setTimeout(() => {
      log.warn({ deadlineMs }, 'wechat pay notification not handled in time, responding 503');
      resolve(fail(503, 'still processing: retry later'));
    }, deadlineMs);
  });
  const settled = handle.catch((error: unknown) => {
    log.error({ err: error }, 'wechat pay notification failed');
    return fail(500, 'internal error: retry later');
  });
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}
