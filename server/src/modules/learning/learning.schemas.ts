import { z } from 'zod';

/** Maximum heartbeats in one batch, which is 50 minutes of a replayed offline queue at 15 s. */
export const MAX_HEARTBEATS_PER_BATCH = 200;

const objectId = z.string().regex(/^[0-9a-fA-F]{24}$/, 'must be a 24-character hexadecimal id');

export const startSessionBody = z.strictObject({
  lessonId: objectId,
  clientSessionId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,64}$/, 'use 8 to 64 letters, digits, "_" or "-"'),
});

/** Checks types only, because the crediting rules decide whether a heartbeat counts. */
const heartbeat = z.strictObject({
  seq: z.number().int().min(1).max(1_000_000_000),
  clientMs: z.number().min(0).max(Number.MAX_SAFE_INTEGER),
  position: z.number().min(0).max(1_000_000).nullable().optional(),
  playbackRate: z.number().positive().max(16).optional(),
  paused: z.boolean().optional(),
  hidden: z.boolean().optional(),
  resumed: z.boolean().optional(),
});

export type HeartbeatBody = z.infer<typeof heartbeat>;

export const heartbeatBatchBody = z.strictObject({
  heartbeats: z.array(heartbeat).min(1).max(MAX_HEARTBEATS_PER_BATCH),
});

export const endSessionBody = z.strictObject({
  finalHeartbeat: heartbeat.optional(),
});

export const sessionParams = z.object({ id: objectId });
export const lessonParams = z.object({ lessonId: objectId });
