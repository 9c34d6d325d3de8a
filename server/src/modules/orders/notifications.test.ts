import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { withinDeadline, type NotificationReply } from './notifications.js';

const log = pino({ level: 'silent' });

describe('withinDeadline', () => {
  it('returns the reply of a handling that finishes in time', async () => {
    const reply = await withinDeadline(Promise.resolve({ status: 204 }), 1_000, log);
    expect(reply).toEqual({ status: 204 });
  });

  it('responds 503 when the handling is still running at the deadline', async () => {
    const never = new Promise<NotificationReply>(() => undefined);
    const startedAt = Date.now();
    const reply = await withinDeadline(never, 50, log);
    expect(reply.status).toBe(503);
    expect(reply.body?.code).toBe('FAIL');
    expect(Date.now() - startedAt).toBeLessThan(1_000);
  });

  it('responds 500 when the handling fails', async () => {
    const reply = await withinDeadline(Promise.reject(new Error('database gone')), 1_000, log);
    expect(reply.status).toBe(500);
    expect(reply.body?.code).toBe('FAIL');
  });
});
