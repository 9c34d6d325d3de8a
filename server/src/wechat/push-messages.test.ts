import { describe, expect, it } from 'vitest';
import { WechatApiError, WechatTransportError } from './api-client.js';
import {
  backoffDelayMs,
  MessageRateLimitedError,
  MessageRejectedError,
  MessageTransientError,
  toSendError,
} from './push-messages.js';

describe('toSendError', () => {
  it.each([
    [40003, 'invalid_openid'],
    [43004, 'not_following'],
    [43101, 'subscription_refused'],
    [40037, 'message_rejected'],
  ])('makes errcode %i a permanent rejection (%s)', (errcode, reason) => {
    const error = toSendError('template_send', new WechatApiError('template_send', errcode, ''));
    expect(error).toBeInstanceOf(MessageRejectedError);
    expect((error as MessageRejectedError).reason).toBe(reason);
  });

  it.each([45009, 45011])('makes errcode %i a rate limit', (errcode) => {
    const error = toSendError('template_send', new WechatApiError('template_send', errcode, ''));
    expect(error).toBeInstanceOf(MessageRateLimitedError);
  });

  it('makes a busy WeChat transient and surely not delivered', () => {
    const error = toSendError('template_send', new WechatApiError('template_send', -1, ''));
    expect(error).toBeInstanceOf(MessageTransientError);
    expect((error as MessageTransientError).maybeDelivered).toBe(false);
  });

  it('makes a failed token fetch transient and not delivered', () => {
    const error = toSendError('template_send', new WechatTransportError('stable_token', 'down'));
    expect(error).toBeInstanceOf(MessageTransientError);
    expect((error as MessageTransientError).maybeDelivered).toBe(false);
  });
});

describe('backoffDelayMs', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1_000 };

  it('doubles per retry up to the maximum', () => {
    const full = (retry: number) => backoffDelayMs(retry, policy, () => 1);
    expect([1, 2, 3, 4, 5].map(full)).toEqual([100, 200, 400, 800, 1_000]);
  });

  it('draws at least half of the delay', () => {
    expect(backoffDelayMs(3, policy, () => 0)).toBe(200);
  });
});
