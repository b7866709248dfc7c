import { validateRunSpec, type ClaimRunResponse, type SpecOfKind } from '@brier/contracts';

import { primeRlAdapter, UnknownPrimeRlVersionError } from '../prime-rl/adapter-registry.js';
import type { PrimeRlAdapter } from '../prime-rl/prime-rl-adapter.js';
import { AttemptSetupError } from './run-executor.js';

/**
 * The claimed spec, validated again with the API's own rules (the agent may be newer or older than
 * the API that stored it). A spec that does not validate is a setup error: retrying won't change it.
 */
export function claimedSpec<K extends 'train' | 'eval'>(claim: ClaimRunResponse, kind: K): SpecOfKind[K] {
  if (claim.kind !== kind)
    throw new AttemptSetupError(`run ${claim.runId} is a ${claim.kind} run, not ${kind}`);
  const result = validateRunSpec(kind, claim.spec);
  if (!result.ok) {
    const problems = result.errors.map((error) => `${error.path}: ${error.message}`).join('; ');
    throw new AttemptSetupError(`the run's spec is not valid for this agent: ${problems}`);
  }
  return result.value;
}

/** The adapter of a prime-rl version; one this agent has none for is a setup error. */
export function adapterFor(version: string): PrimeRlAdapter {
  try {
    return primeRlAdapter(version);
  } catch (error) {
    if (error instanceof UnknownPrimeRlVersionError) throw new AttemptSetupError(error.message);
    throw error;
  }
}
