import os from 'node:os';
import { isDuplicateKeyError } from '../db/errors.js';
import { ClaimModel } from './claim.model.js';

/** Claims a job's period for this server copy; returns false when another copy claimed it first. */
export async function claimPeriod(job: string, period: string, now: Date): Promise<boolean> {
  try {
    await ClaimModel.create({
      job,
      period,
      claimedAt: now,
      claimedBy: `${os.hostname()}:${process.pid}`,
    });
    return true;
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}

/** The 10-minute period of an instant in UTC, such as `2026-12-04T10:10`. */
export function tenMinutePeriod(now: Date): string {
  const iso = now.toISOString();
  return `${iso.slice(0, 15)}0`;
}
