import type { CheckpointRefDto, EvalTargetDto } from '@brier/contracts';

import type { EvalModel } from './eval-ports.js';

/**
 * What runEvaluation should ask, from a spec's target: a model id is served as it is, a
 * checkpoint is served from the HF weights its training run wrote (the caller knows where run
 * directories live: `checkpointWeights` returns e.g. `<run dir>/rl/weights/step_N`, absolute),
 * an endpoint is asked directly (its API key, if any, is the agent host's to add).
 */
export function evalModelFor(
  target: EvalTargetDto,
  checkpointWeights: (checkpoint: CheckpointRefDto) => string,
): EvalModel {
  if (target.endpoint !== undefined) {
    return { kind: 'endpoint', baseUrl: target.endpoint.baseUrl, model: target.endpoint.model };
  }
  if (target.checkpoint !== undefined) {
    return { kind: 'serve', modelNameOrPath: checkpointWeights(target.checkpoint) };
  }
  if (target.model !== undefined) return { kind: 'serve', modelNameOrPath: target.model };
  throw new Error('an eval target needs a model, a checkpoint or an endpoint');
}
