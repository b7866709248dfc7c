import type { CheckpointRefDto, EvalTargetDto } from '@brier/contracts';

import type { EvalModel } from './eval-ports.js';

/** The agent host's key for one endpoint origin (EVAL_ENDPOINT_ORIGIN, EVAL_ENDPOINT_API_KEY). */
export interface EndpointKey {
  origin: string;
  apiKey: string;
}

/**
 * What runEvaluation should ask, from a spec's target: a model id is served as it is, a
 * checkpoint is served from the HF weights its training run wrote (the caller knows where run
 * directories live: `checkpointWeights` returns e.g. `<run dir>/rl/weights/step_N`, absolute),
 * an endpoint is asked directly. The host's key goes only to the origin it was given for: anyone
 * who may submit runs names the endpoint, and must not be able to send the key elsewhere.
 */
export function evalModelFor(
  target: EvalTargetDto,
  checkpointWeights: (checkpoint: CheckpointRefDto) => string,
  endpointKey?: EndpointKey,
): EvalModel {
  if (target.endpoint !== undefined) {
    const { baseUrl, model } = target.endpoint;
    const keyed = endpointKey !== undefined && new URL(baseUrl).origin === new URL(endpointKey.origin).origin;
    return { kind: 'endpoint', baseUrl, model, ...(keyed ? { apiKey: endpointKey.apiKey } : {}) };
  }
  if (target.checkpoint !== undefined) {
    return { kind: 'serve', modelNameOrPath: checkpointWeights(target.checkpoint) };
  }
  if (target.model !== undefined) return { kind: 'serve', modelNameOrPath: target.model };
  throw new Error('an eval target needs a model, a checkpoint or an endpoint');
}
