import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { LearnerIdSet } from './learner-id-set.js';

describe('LearnerIdSet', () => {
  it('finds every added id and no other', () => {
    const added = Array.from({ length: 5_000 }, () => new Types.ObjectId());
    const others = Array.from({ length: 5_000 }, () => new Types.ObjectId());
    const set = new LearnerIdSet();
    for (const id of added) set.add(id);
    set.seal();

    expect(set.size).toBe(5_000);
    expect(added.every((id) => set.has(id))).toBe(true);
    expect(others.some((id) => set.has(id))).toBe(false);
  });

  it('finds ids that differ only in the last byte', () => {
    const low = new Types.ObjectId('65a1b2c3d4e5f60718293a00');
    const high = new Types.ObjectId('65a1b2c3d4e5f60718293aff');
    const set = new LearnerIdSet();
    set.add(high);
    set.add(low);
    set.seal();

    expect(set.has(low)).toBe(true);
    expect(set.has(high)).toBe(true);
    expect(set.has(new Types.ObjectId('65a1b2c3d4e5f60718293a01'))).toBe(false);
  });

  it('is empty when nothing was added', () => {
    const set = new LearnerIdSet();
    set.seal();
    expect(set.has(new Types.ObjectId())).toBe(false);
  });

  it('refuses has() before seal()', () => {
    expect(() => new LearnerIdSet().has(new Types.ObjectId())).toThrow(/not sealed/);
  });
});
