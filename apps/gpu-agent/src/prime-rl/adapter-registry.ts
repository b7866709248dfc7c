import { ClassicV040Adapter } from './classic-v0-4.adapter.js';
import { HeadV060Adapter } from './head-v0-6.adapter.js';
import { Main559b447Adapter } from './main-559b447.adapter.js';
import type { PrimeRlAdapter } from './prime-rl-adapter.js';

/**
 * The prime-rl versions this agent can drive, one adapter each: the classic schema (v0.4.0), the
 * last release with verifiers v0 envs (v0.6.0: `[deployment]`, `group_size`,
 * `[[orchestrator.train.env]]`) and main at 559b447 (`[[orchestrator.train.source]]` with a
 * verifiers v1 taskset). Another generation is one more file implementing PrimeRlAdapter, added
 * here and to PRIME_RL_PINS.
 */
const ADAPTERS: readonly PrimeRlAdapter[] = [
  new ClassicV040Adapter(),
  new HeadV060Adapter(),
  new Main559b447Adapter(),
];

const BY_VERSION: ReadonlyMap<string, PrimeRlAdapter> = new Map(
  ADAPTERS.map((adapter) => [adapter.version, adapter]),
);

/** A run or a host asked for a prime-rl version this agent has no config adapter for. */
export class UnknownPrimeRlVersionError extends Error {
  constructor(readonly version: string) {
    const shown = /^[\w.@/-]{1,64}$/.test(version) ? version : JSON.stringify(version.slice(0, 64));
    super(
      `prime-rl version ${shown} has no config adapter in this agent (known: ${knownPrimeRlVersions().join(', ')}); ` +
        'prime-rl renames config keys between releases, so an unknown version cannot be guessed',
    );
    this.name = 'UnknownPrimeRlVersionError';
  }
}

export function knownPrimeRlVersions(): string[] {
  return [...BY_VERSION.keys()];
}

/** The adapter for `version`; throws UnknownPrimeRlVersionError for any other. */
export function primeRlAdapter(version: string): PrimeRlAdapter {
  const adapter = BY_VERSION.get(version);
  if (adapter === undefined) throw new UnknownPrimeRlVersionError(version);
  return adapter;
}
