import type { BoolQExample } from './example.js';
import { seededShuffle } from './seeded-shuffle.js';

/**
 * Equal YES and NO, the seed's way (seed-spec §1): shuffle with `seed`, take the first n of each
 * class where n is the size of the smaller class, concatenate YES then NO, and shuffle that again
 * with the same seed (a fresh generator, as `datasets.shuffle(seed=…)` twice would be).
 * The rows chosen follow Brier's permutation (see seededShuffle), not Hugging Face's.
 * Returns 2n examples; the input is left alone.
 */
export function balance(examples: readonly BoolQExample[], seed: number): BoolQExample[] {
  const shuffled = seededShuffle(examples, seed);
  const yes = shuffled.filter((example) => example.answer);
  const no = shuffled.filter((example) => !example.answer);
  const n = Math.min(yes.length, no.length);
  return seededShuffle([...yes.slice(0, n), ...no.slice(0, n)], seed);
}
