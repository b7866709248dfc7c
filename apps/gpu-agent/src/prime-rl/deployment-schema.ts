import type { TrainSpecDto } from '@brier/contracts';

import { checkGpuIds } from './launch-checks.js';
import { PrimeRlConfigError } from './prime-rl-adapter.js';

/**
 * What the schema generations since v0.5 say the same way about GPUs and staleness, shared by
 * the v0.6.0 and main adapters (each passes its version for the messages).
 */

/**
 * `[deployment]`: GPU counts, not ids. rl_local (src/prime_rl/entrypoints/rl.py at 38494cc and
 * at 559b447) hands out the launcher's CUDA_VISIBLE_DEVICES in order, inference first, trainer
 * next, and never lets the two share a GPU (it refuses more requested GPUs than visible ones),
 * so a run needs two GPUs at least: vLLM on the first reserved GPU, the trainer on the rest.
 */
export function deploymentGpuCounts(
  gpuIds: readonly number[],
  version: string,
): { num_infer_gpus: number; num_train_gpus: number } {
  checkGpuIds(gpuIds, 'a train run');
  if (gpuIds.length < 2) {
    throw new PrimeRlConfigError(
      `prime-rl ${version} runs vLLM and the trainer on separate GPUs: a train run needs at least 2 (got ${gpuIds.length})`,
    );
  }
  return { num_infer_gpus: 1, num_train_gpus: gpuIds.length - 1 };
}

/**
 * Since v0.6.0 there is no `max_async_level`: rollouts always come from a policy one step behind
 * (#2631), and `orchestrator.max_off_policy_steps` (default 8) bounds how stale a rollout may be.
 * 0 (the seed's synchronous mode) and 1 both become the nearest thing, a bound of 1; anything
 * looser would mean something else, so it is refused rather than guessed.
 */
export function boundedOffPolicySteps(spec: Pick<TrainSpecDto, 'maxAsyncLevel'>, version: string): number {
  if (spec.maxAsyncLevel > 1) {
    throw new PrimeRlConfigError(
      `prime-rl ${version} has a fixed one-step lag and no max_async_level: maxAsyncLevel ${spec.maxAsyncLevel} cannot be expressed (use 0 or 1)`,
    );
  }
  return 1;
}
