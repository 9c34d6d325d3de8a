import type { DeliveryChannel, ResultState } from './delivery.model.js';

/** Outcome counts of a batch or a whole run. */
export interface PushRunCounts {
  deliveries: number;
  sent: number;
  sentByChannel: Record<DeliveryChannel, number>;
  /**
   * Sent deliveries that went out on a later channel than planned, by reason: `daily_quota` when
   * WeChat's daily quota of the planned channel ran out and an in-app notice was written instead.
   */
  fellBack: Record<string, number>;
  /** Skipped deliveries by reason, such as `opted_out`. */
  skipped: Record<string, number>;
  /** Failed deliveries by reason, such as `subscription_refused`. */
  failed: Record<string, number>;
  /** Deliveries whose last call may have reached WeChat without a response, so the outcome is unknown. */
  unconfirmed: number;
}

export function emptyCounts(): PushRunCounts {
  return {
    deliveries: 0,
    sent: 0,
    sentByChannel: { template: 0, subscription: 0, in_app: 0 },
    fellBack: {},
    skipped: {},
    failed: {},
    unconfirmed: 0,
  };
}

/** Adds one delivery result to the counts. */
export function countResult(
  counts: PushRunCounts,
  result: { state: ResultState; channel: DeliveryChannel | null; reason: string | null },
): void {
  counts.deliveries += 1;
  const reason = result.reason ?? 'unknown';
  switch (result.state) {
    case 'sent':
      counts.sent += 1;
      if (result.channel !== null) counts.sentByChannel[result.channel] += 1;
      if (result.reason !== null) counts.fellBack[reason] = (counts.fellBack[reason] ?? 0) + 1;
      break;
    case 'skipped':
      counts.skipped[reason] = (counts.skipped[reason] ?? 0) + 1;
      break;
    case 'failed':
      counts.failed[reason] = (counts.failed[reason] ?? 0) + 1;
      break;
    case 'unconfirmed':
      counts.unconfirmed += 1;
      break;
  }
}

/** Adds `other` into `total`. */
export function addCounts(total: PushRunCounts, other: PushRunCounts): void {
  total.deliveries += other.deliveries;
  total.sent += other.sent;
  for (const channel of Object.keys(total.sentByChannel) as DeliveryChannel[]) {
    total.sentByChannel[channel] += other.sentByChannel[channel] ?? 0;
  }
  // Batches counted before fallbacks were reported have no fellBack.
  for (const [reason, count] of Object.entries(other.fellBack ?? {})) {
    total.fellBack[reason] = (total.fellBack[reason] ?? 0) + count;
  }
  for (const [reason, count] of Object.entries(other.skipped)) {
    total.skipped[reason] = (total.skipped[reason] ?? 0) + count;
  }
  for (const [reason, count] of Object.entries(other.failed)) {
    total.failed[reason] = (total.failed[reason] ?? 0) + count;
  }
  total.unconfirmed += other.unconfirmed;
}
