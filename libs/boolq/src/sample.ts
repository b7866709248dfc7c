import { seededShuffle } from './seeded-shuffle.js';

/**
 * k items drawn without replacement, deterministically from `seed`, in drawn order: the first k
 * of seededShuffle(items, seed). So sample(items, k, s) is a prefix of sample(items, k + 1, s).
 * Items are distinct by position; repeated values in the input may both be drawn.
 */
export function sample<T>(items: readonly T[], k: number, seed: number): T[] {
  if (!Number.isInteger(k) || k < 0 || k > items.length) {
    throw new RangeError(`k must be an integer in [0, ${items.length}], got ${k}`);
  }
  return seededShuffle(items, seed).slice(0, k);
}
