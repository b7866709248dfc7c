import { PRIME_RL_VERSIONS } from '@brier/contracts';
import { describe, expect, it } from 'vitest';

import { knownPrimeRlVersions, primeRlAdapter, UnknownPrimeRlVersionError } from './adapter-registry.js';
import { PRIME_RL_PINS } from './prime-rl-pins.js';

describe('the prime-rl adapter registry', () => {
  it('has an adapter, with a full-commit pin, for every version a run spec can name', () => {
    for (const version of PRIME_RL_VERSIONS) {
      const adapter = primeRlAdapter(version);
      expect(adapter.version).toBe(version);
      expect(adapter.pin).toBe(PRIME_RL_PINS[version]);
      expect(adapter.pin.sha).toMatch(/^[0-9a-f]{40}$/);
    }
    expect(knownPrimeRlVersions()).toEqual(['v0.4.0', 'v0.6.0', 'main-559b447']);
    expect(primeRlAdapter('v0.4.0').logFormat).toBe('classic');
    expect(primeRlAdapter('v0.6.0').logFormat).toBe('head');
    expect(primeRlAdapter('main-559b447').logFormat).toBe('head');
  });

  it.each(['main', 'main-559b44', 'v0.5.0', 'V0.4.0', '', 'v0.4.0\n'])(
    'refuses version %j with a clear error',
    (version) => {
      expect(() => primeRlAdapter(version)).toThrow(UnknownPrimeRlVersionError);
      expect(() => primeRlAdapter(version)).toThrow(
        /has no config adapter in this agent \(known: v0\.4\.0, v0\.6\.0, main-559b447\)/,
      );
    },
  );
});
