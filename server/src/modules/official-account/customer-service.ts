import { isDuplicateKeyError } from '../../db/errors.js';
import { trusted } from '../../db/trusted.js';
import type { Logger } from '../../logger.js';
import {
  CUSTOMER_SERVICE_ERRCODE,
  type CustomerServiceErrcode,
  type OfficialAccountClient,
} from '../../wechat/official-account-client.js';
import { ServiceWindowModel } from './service-window.model.js';

/** WeChat accepts customer-service messages for 48 hours after a follower's last interaction. */
export const SERVICE_WINDOW_MS = 48 * 60 * 60 * 1000;
/** Customer-service messages allowed per interaction. */
export const SERVICE_WINDOW_MESSAGES = 5;

/** Outcome of a customer-service message. Only `sent` reached WeChat and was accepted. */
export type CustomerServiceResult =
  { kind: 'sent' } | OutsideWindow | { kind: 'rejected'; errcode: CustomerServiceErrcode };

type OutsideWindow = {
  kind: 'outside_window';
  reason: 'no_interaction' | 'expired' | 'limit_reached';
};

/**
 * Opens or renews a follower's window after a message or interaction at `at`. An older
 * interaction, such as a late retry, never moves the window back.
 */
export async function recordInteraction(openid: string, at: Date): Promise<void> {
  const renew = () =>
    ServiceWindowModel.updateOne(
      { openid, lastInboundAt: trusted({ $lt: at }) },
      { $set: { lastInboundAt: at, sentSinceInbound: 0 } },
    );
  if ((await renew()).matchedCount > 0) return;
  try {
    await ServiceWindowModel.create({ openid, lastInboundAt: at, sentSinceInbound: 0 });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    // Another request created the window first; renew it if this interaction is later.
    await renew();
  }
}

/**
 * Reserves one message of the follower's current window, or returns why none is left. The count
 * is taken before sending, so concurrent senders cannot exceed the limit.
 * NOTE: FerretDB v1 does not make this conditional `$inc` atomic, so on the local database two
 * concurrent senders can both take the last message; MongoDB makes it atomic.
 */
async function reserveMessage(
  openid: string,
  now: Date,
): Promise<OutsideWindow | { kind: 'reserved' }> {
  // A second pass covers a window renewed between the read and the reservation.
  for (let pass = 0; pass < 2; pass += 1) {
    const window = await ServiceWindowModel.findOne({ openid }).lean();
    if (!window) return { kind: 'outside_window', reason: 'no_interaction' };
    if (now.getTime() - window.lastInboundAt.getTime() >= SERVICE_WINDOW_MS) {
      return { kind: 'outside_window', reason: 'expired' };
    }
    const reserved = await ServiceWindowModel.updateOne(
      {
        openid,
        lastInboundAt: window.lastInboundAt,
        sentSinceInbound: trusted({ $lt: SERVICE_WINDOW_MESSAGES }),
      },
      { $inc: { sentSinceInbound: 1 } },
    );
    if (reserved.modifiedCount > 0) return { kind: 'reserved' };
    if (window.sentSinceInbound >= SERVICE_WINDOW_MESSAGES) {
      return { kind: 'outside_window', reason: 'limit_reached' };
    }
  }
  return { kind: 'outside_window', reason: 'limit_reached' };
}

/**
 * Sends a text customer-service message if the follower's window allows one. A closed window and
 * WeChat's rejection are returned as results; transport failures throw.
 */
export async function sendCustomerServiceText(
  client: OfficialAccountClient,
  logger: Logger,
  openid: string,
  text: string,
  now: Date,
): Promise<CustomerServiceResult> {
  const reservation = await reserveMessage(openid, now);
  if (reservation.kind !== 'reserved') {
    logger.info({ openid, reason: reservation.reason }, 'customer service message not sent');
    return reservation;
  }

  const result = await client.sendCustomText(openid, text);
  if (result.kind === 'sent') return { kind: 'sent' };

  logger.warn({ openid, errcode: result.errcode }, 'customer service message rejected by wechat');
  if (result.errcode === CUSTOMER_SERVICE_ERRCODE.outOfCountLimit) {
    // WeChat's count is the authority: close the window until the follower writes again.
    await ServiceWindowModel.updateOne(
      { openid },
      { $set: { sentSinceInbound: SERVICE_WINDOW_MESSAGES } },
    );
  }
  return { kind: 'rejected', errcode: result.errcode };
}
