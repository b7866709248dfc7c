/** Where prime-rl comes from, and the exact commit each supported version means. */
export const PRIME_RL_REPOSITORY = 'https://github.com/PrimeIntellect-ai/prime-rl.git';

export interface PrimeRlPin {
  /** The name runs and the agent's PRIME_RL_VERSION use. */
  version: string;
  /** The full commit the release tag points at; a checkout is verified against it, not the tag. */
  sha: string;
}

/**
 * v0.4.0 is the last release of the classic config schema (shared/docs/prime-rl.md §0). The tag
 * `v0.4.0` points at f870f3cbd8de5b731d880d8715bf76e983337862 ("Feature: bring your own
 * algorithms (#1715)"), read from a mirror of PrimeIntellect-ai/prime-rl.
 */
export const PRIME_RL_PINS: Readonly<Record<string, PrimeRlPin>> = {
  'v0.4.0': { version: 'v0.4.0', sha: 'f870f3cbd8de5b731d880d8715bf76e983337862' },
};
