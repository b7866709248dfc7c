import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** Largest accepted seed: pure-rand's xoroshiro128plus takes 32 bits, so larger seeds would alias smaller ones. */
export const MAX_SEED = 0xffff_ffff;

/** Reject seeds that pure-rand would silently truncate (fractions, negatives, ≥ 2^32), so no two seeds alias. */
export function assertSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
  }
}

/**
 * Brier's seeded shuffle, returning a new array (the input is left alone):
 * xoroshiro128plus(seed) from pure-rand drives a front-to-back Fisher–Yates, where position i
 * (0 ≤ i < n − 1) swaps with j = uniformInt(rng, i, n − 1).
 * This permutation is Brier's own: it is NOT the one Hugging Face `datasets.shuffle(seed=…)`
 * (NumPy PCG64) gives, so the same seed selects different rows than the seed repo did. Only the
 * procedure is the seed's; the exact rows are reproducible within Brier, across runs and machines.
 * Front-to-back means the first k elements depend only on the first k draws, which makes
 * `sample(k)` a prefix of `sample(k + 1)` for the same seed.
 */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  assertSeed(seed);
  const out = items.slice();
  const rng = xoroshiro128plus(seed);
  for (let i = 0; i < out.length - 1; i += 1) {
    const j = uniformInt(rng, i, out.length - 1);
    const held = out[i] as T;
    out[i] = out[j] as T;
    out[j] = held;
  }
  return out;
}
