import { seededShuffle } from './seeded-shuffle.js';

export interface SplitOptions {
  /** Share of the items to hold out, in [0, 1]; the count is round(n × fraction). */
  heldOutFraction: number;
  seed: number;
}

export interface SplitResult<T> {
  train: T[];
  heldOut: T[];
}

/**
 * Deterministic, disjoint train / held-out partition: the first round(n × heldOutFraction)
 * positions of seededShuffle(0..n−1, seed) are held out. Both parts keep the input order —
 * membership is what the split decides; ordering is left to balance() or sample().
 * Together the parts are exactly the input, position by position.
 */
export function split<T>(items: readonly T[], options: SplitOptions): SplitResult<T> {
  const { heldOutFraction, seed } = options;
  if (!Number.isFinite(heldOutFraction) || heldOutFraction < 0 || heldOutFraction > 1) {
    throw new RangeError(`heldOutFraction must be in [0, 1], got ${heldOutFraction}`);
  }
  const heldOutCount = Math.round(items.length * heldOutFraction);
  const positions = seededShuffle(
    items.map((_, index) => index),
    seed,
  );
  const heldOutPositions = new Set(positions.slice(0, heldOutCount));
  const train: T[] = [];
  const heldOut: T[] = [];
  items.forEach((item, index) => (heldOutPositions.has(index) ? heldOut : train).push(item));
  return { train, heldOut };
}
