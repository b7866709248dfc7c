import { beforeAll, describe, expect, it } from 'vitest';

import { balance } from './balance.js';
import { loadBundledValidation } from './data-path.js';
import type { BoolQExample } from './example.js';
import { seededShuffle } from './seeded-shuffle.js';

const ids = (examples: readonly BoolQExample[]) => examples.map((e) => e.id);

describe('balance on the validation split', () => {
  let val: BoolQExample[] = [];
  beforeAll(async () => {
    val = (await loadBundledValidation({ strict: true })).examples;
  });

  it('keeps 1,237 YES and 1,237 NO, exactly 50/50, all distinct', () => {
    const balanced = balance(val, 42);
    expect(balanced).toHaveLength(2474);
    expect(balanced.filter((e) => e.answer)).toHaveLength(1237);
    expect(balanced.filter((e) => !e.answer)).toHaveLength(1237);
    expect(new Set(ids(balanced)).size).toBe(2474);
  });

  it('is the same for the same seed and differs for another, in order and in the YES rows kept', () => {
    const a = balance(val, 42);
    expect(ids(balance(val, 42))).toEqual(ids(a));
    const b = balance(val, 43);
    expect(ids(b)).not.toEqual(ids(a));
    const yesA = new Set(ids(a.filter((e) => e.answer)));
    expect(b.filter((e) => e.answer).every((e) => yesA.has(e.id))).toBe(false);
  });

  it('leaves its input alone', () => {
    const before = ids(val);
    balance(val, 42);
    expect(ids(val)).toEqual(before);
  });
});

describe('balance, step by step', () => {
  const make = (id: string, answer: boolean): BoolQExample => ({
    id,
    question: id,
    passage: id,
    title: null,
    answer,
  });
  const data = [
    ...['y0', 'y1', 'y2', 'y3', 'y4'].map((id) => make(id, true)),
    ...['n0', 'n1'].map((id) => make(id, false)),
  ];

  it("follows the seed's recipe: shuffle, first n of each class, YES then NO, shuffle again", () => {
    const shuffled = seededShuffle(data, 9);
    const yes = shuffled.filter((e) => e.answer).slice(0, 2);
    const no = shuffled.filter((e) => !e.answer).slice(0, 2);
    expect(ids(balance(data, 9))).toEqual(ids(seededShuffle([...yes, ...no], 9)));
  });

  it('is empty when a class is missing', () => {
    expect(balance(data.slice(0, 5), 1)).toEqual([]);
    expect(balance([], 1)).toEqual([]);
  });
});
