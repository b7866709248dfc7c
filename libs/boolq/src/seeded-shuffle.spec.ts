import { describe, expect, it } from 'vitest';

import { MAX_SEED, seededShuffle } from './seeded-shuffle.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('seededShuffle', () => {
  it('is a permutation and leaves the input alone', () => {
    const input = range(100);
    const out = seededShuffle(input, 42);
    expect(input).toEqual(range(100));
    expect([...out].sort((a, b) => a - b)).toEqual(input);
    expect(out).not.toEqual(input);
  });

  it('is the same for the same seed and differs for another', () => {
    expect(seededShuffle(range(50), 7)).toEqual(seededShuffle(range(50), 7));
    expect(seededShuffle(range(50), 7)).not.toEqual(seededShuffle(range(50), 8));
  });

  it("pins Brier's permutation, so a change in pure-rand or the algorithm is noticed", () => {
    expect(seededShuffle(range(10), 42)).toEqual([5, 4, 9, 7, 6, 2, 1, 3, 0, 8]);
  });

  it('handles empty and single-item inputs', () => {
    expect(seededShuffle([], 1)).toEqual([]);
    expect(seededShuffle(['a'], 1)).toEqual(['a']);
  });

  it('rejects seeds pure-rand would truncate', () => {
    for (const seed of [-1, 1.5, MAX_SEED + 1, Number.NaN]) {
      expect(() => seededShuffle([1, 2], seed)).toThrow(RangeError);
    }
    expect(() => seededShuffle([1, 2], MAX_SEED)).not.toThrow();
  });
});
