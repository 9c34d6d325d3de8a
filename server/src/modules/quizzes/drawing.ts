import { randomInt } from 'node:crypto';

/** Returns `count` items picked uniformly at random without repetition (partial Fisher-Yates). */
export function pickRandom<T>(items: readonly T[], count: number): T[] {
  const pool = [...items];
  const picked = Math.min(count, pool.length);
  for (let i = 0; i < picked; i++) {
    const j = randomInt(i, pool.length);
    [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
  }
  return pool.slice(0, picked);
}

export function shuffle<T>(items: readonly T[]): T[] {
  return pickRandom(items, items.length);
}
