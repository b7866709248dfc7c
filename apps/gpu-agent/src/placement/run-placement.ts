import { gpuMatchesType, missingLabels, type RunJobData } from '@brier/contracts';

import { gpuAvailability, type FreeGpuOptions } from '../gpus/free-gpus.js';
import type { GpuInventory } from '../gpus/gpu-inventory.js';

export type RunResources = RunJobData['resources'];

/**
 * Where a run can go on this agent:
 * - `fits`: these GPUs (physical indices, lowest first) are free and match;
 * - `busy`: the agent could run it, but not now (its matching GPUs are reserved or in use);
 * - `never`: this agent cannot run it at all (too few matching GPUs, labels missing, another
 *   prime-rl version).
 */
export type Placement =
  | { kind: 'fits'; gpuIndices: number[] }
  | { kind: 'busy'; reason: string }
  | { kind: 'never'; reason: string };

export interface PlacementInput {
  inventory: GpuInventory;
  agentLabels: readonly string[];
  /** The prime-rl version this agent drives (PRIME_RL_VERSION). */
  primeRlVersion: string;
  /** GPUs this agent has reserved for its runs. */
  reserved: Iterable<number>;
  /** PIDs of the agent's own process groups (their GPU use is not foreign). */
  ownPids: Iterable<number>;
  options?: FreeGpuOptions;
}

/** Pure: which GPUs a run would take here, or why it can't. */
export function placeRun(resources: RunResources, input: PlacementInput): Placement {
  const missing = missingLabels(resources.labels, input.agentLabels);
  if (missing.length > 0) {
    return { kind: 'never', reason: `this agent lacks label(s) ${missing.join(', ')}` };
  }
  if (resources.primeRlVersion && resources.primeRlVersion !== input.primeRlVersion) {
    return {
      kind: 'never',
      reason: `the run is written for prime-rl ${resources.primeRlVersion}; this agent drives ${input.primeRlVersion}`,
    };
  }
  if (resources.gpuCount === 0) return { kind: 'fits', gpuIndices: [] };
  const matching = gpuAvailability(input.inventory, input.reserved, input.ownPids, input.options).filter(
    (availability) => gpuMatchesType(availability.gpu.name, resources.gpuType),
  );
  const wanted = resources.gpuType ? `${resources.gpuType} GPU(s)` : 'GPU(s)';
  if (matching.length < resources.gpuCount) {
    return {
      kind: 'never',
      reason: `the run needs ${resources.gpuCount} ${wanted}; this agent has ${matching.length}`,
    };
  }
  const free = matching.filter((availability) => availability.state === 'free');
  if (free.length < resources.gpuCount) {
    const states = matching.map((availability) => `${availability.gpu.index}: ${availability.state}`);
    return {
      kind: 'busy',
      reason: `the run needs ${resources.gpuCount} free ${wanted}; ${free.length} free (${states.join(', ')})`,
    };
  }
  return { kind: 'fits', gpuIndices: free.slice(0, resources.gpuCount).map((a) => a.gpu.index) };
}
