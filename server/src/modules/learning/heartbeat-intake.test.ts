import { describe, expect, it } from 'vitest';
import { ApiError } from '../../errors.js';
import { maxSeqAt, planBatch, type SessionIntakeState } from './heartbeat-intake.js';
import { MAX_SESSION_MS } from './heartbeat-intake.js';

const START = Date.parse('2025-03-03T10:00:00+08:00');
const session = { startedAt: new Date(START) };
const rules = { clockSkewMs: 2_000 };

function state(seqs: [number, number][] = [], endedAt: number | null = null): SessionIntakeState {
  const sorted = [...seqs].sort((a, b) => a[0] - b[0]);
  return {
    storedSeqs: new Set(sorted.map(([seq]) => seq)),
    maxSeq: sorted.at(-1)?.[0] ?? 0,
    maxSeqClientMs: sorted.at(-1)?.[1] ?? null,
    reference: sorted[0] ? { seq: sorted[0][0], clientMs: sorted[0][1] } : null,
    endedAt,
  };
}

function apiErrorOf(work: () => unknown): ApiError {
  try {
    work();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('planBatch', () => {
  it('stores new seqs, skips duplicates', () => {
    const plan = planBatch(
      session,
      state([
        [1, 500],
        [2, 15_500],
      ]),
      [
        { seq: 2, clientMs: 15_500 },
        { seq: 3, clientMs: 30_500 },
      ],
      START + 30_000,
      rules,
    );
    expect(plan.store.map((item) => item.beat.seq)).toEqual([3]);
    expect(plan.rejected).toEqual([{ index: 0, seq: 2, reason: 'duplicate' }]);
  });

  it('takes first heartbeat as reference', () => {
    const plan = planBatch(
      session,
      state(),
      [
        { seq: 1, clientMs: 9_000_000 },
        { seq: 2, clientMs: 9_015_000 },
      ],
      START + 15_000,
      rules,
    );
    expect(plan.store).toHaveLength(2);
  });

  it('rejects a clock ahead with 422', () => {
    const error = apiErrorOf(() =>
      planBatch(session, state([[1, 0]]), [{ seq: 2, clientMs: 17_001 }], START + 15_000, rules),
    );
    expect(error.status).toBe(422);
    expect(error.id).toBe('heartbeat_clock_ahead');
    const within = planBatch(
      session,
      state([[1, 0]]),
      [{ seq: 2, clientMs: 17_000 }],
      START + 15_000,
      rules,
    );
    expect(within.store).toHaveLength(1);
  });

  it('rejects backward seqs with 409', () => {
    const inBatch = apiErrorOf(() =>
      planBatch(
        session,
        state(),
        [
          { seq: 2, clientMs: 0 },
          { seq: 1, clientMs: 0 },
        ],
        START + 60_000,
        rules,
      ),
    );
    expect(inBatch.status).toBe(409);
    expect(inBatch.id).toBe('heartbeat_out_of_order');
    const afterStored = apiErrorOf(() =>
      planBatch(
        session,
        state([
          [1, 0],
          [3, 30_000],
        ]),
        [{ seq: 2, clientMs: 15_000 }],
        START + 60_000,
        rules,
      ),
    );
    expect(afterStored.id).toBe('heartbeat_out_of_order');
  });

  it('rejects a backward clock with 422', () => {
    const afterStored = apiErrorOf(() =>
      planBatch(
        session,
        state([[1, 30_000]]),
        [{ seq: 2, clientMs: 29_999 }],
        START + 60_000,
        rules,
      ),
    );
    expect(afterStored.status).toBe(422);
    expect(afterStored.id).toBe('heartbeat_clock_backwards');
    const inBatch = apiErrorOf(() =>
      planBatch(
        session,
        state(),
        [
          { seq: 1, clientMs: 10_000 },
          { seq: 2, clientMs: 5_000 },
        ],
        START + 60_000,
        rules,
      ),
    );
    expect(inBatch.id).toBe('heartbeat_clock_backwards');
  });

  it('rejects too many seqs with 429', () => {
    expect(maxSeqAt(60_000)).toBe(90);
    const error = apiErrorOf(() =>
      planBatch(session, state(), [{ seq: 91, clientMs: 0 }], START + 60_000, rules),
    );
    expect(error.status).toBe(429);
    expect(error.id).toBe('too_many_heartbeats');
    expect(
      planBatch(session, state(), [{ seq: 90, clientMs: 0 }], START + 60_000, rules).store,
    ).toHaveLength(1);
  });

  it('rejects heartbeats after the end', () => {
    const ended = planBatch(
      session,
      state([[1, 0]], START + 30_000),
      [{ seq: 2, clientMs: 31_000 }],
      START + 31_000,
      rules,
    );
    expect(ended.store).toEqual([]);
    expect(ended.rejected).toEqual([{ index: 0, seq: 2, reason: 'after_end' }]);
    const tooLong = planBatch(
      session,
      state([[1, 0]]),
      [{ seq: 2, clientMs: 1_000 }],
      START + MAX_SESSION_MS,
      rules,
    );
    expect(tooLong.rejected).toEqual([{ index: 0, seq: 2, reason: 'after_end' }]);
  });
});
