import { describe, expect, it } from 'vitest';

import { sample } from './sample.js';
import { split } from './split.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('sample', () => {
  const items = range(200);

  it('draws k distinct items from the input, the same for the same seed', () => {
    const drawn = sample(items, 50, 3);
    expect(drawn).toHaveLength(50);
    expect(new Set(drawn).size).toBe(50);
    expect(drawn.every((x) => items.includes(x))).toBe(true);
    expect(sample(items, 50, 3)).toEqual(drawn);
    expect(sample(items, 50, 4)).not.toEqual(drawn);
  });

  it('grows by prefix: sample(k) starts sample(k + 10)', () => {
    expect(sample(items, 60, 3).slice(0, 50)).toEqual(sample(items, 50, 3));
  });

  it('allows k = 0 and k = n, and rejects anything else', () => {
    expect(sample(items, 0, 1)).toEqual([]);
    expect([...sample(items, 200, 1)].sort((a, b) => a - b)).toEqual(items);
    for (const k of [-1, 201, 2.5]) expect(() => sample(items, k, 1)).toThrow(RangeError);
  });
});

describe('split', () => {
  const items = range(1000).map((i) => `item-${i}`);

  it('is disjoint, covers the input, and holds out round(n × fraction)', () => {
    const { train, heldOut } = split(items, { heldOutFraction: 0.2, seed: 42 });
    expect(heldOut).toHaveLength(200);
    expect(train).toHaveLength(800);
    const held = new Set(heldOut);
    expect(train.some((x) => held.has(x))).toBe(false);
    expect([...train, ...heldOut].sort()).toEqual([...items].sort());
  });

  it('keeps input order within each part', () => {
    const { train, heldOut } = split(items, { heldOutFraction: 0.3, seed: 5 });
    const order = (xs: string[]) => xs.map((x) => items.indexOf(x));
    expect(order(train)).toEqual([...order(train)].sort((a, b) => a - b));
    expect(order(heldOut)).toEqual([...order(heldOut)].sort((a, b) => a - b));
  });

  it('is the same for the same seed and differs for another', () => {
    const a = split(items, { heldOutFraction: 0.1, seed: 1 });
    expect(split(items, { heldOutFraction: 0.1, seed: 1 })).toEqual(a);
    expect(split(items, { heldOutFraction: 0.1, seed: 2 }).heldOut).not.toEqual(a.heldOut);
  });

  it('handles the edges and rejects bad fractions', () => {
    expect(split(items, { heldOutFraction: 0, seed: 1 }).heldOut).toEqual([]);
    expect(split(items, { heldOutFraction: 1, seed: 1 }).train).toEqual([]);
    expect(split([], { heldOutFraction: 0.5, seed: 1 })).toEqual({ train: [], heldOut: [] });
    for (const heldOutFraction of [-0.1, 1.1, Number.NaN]) {
      expect(() => split(items, { heldOutFraction, seed: 1 })).toThrow(RangeError);
    }
  });
});
