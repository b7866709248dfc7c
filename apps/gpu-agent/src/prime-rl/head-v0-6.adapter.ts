import { join } from 'node:path';

import type { TrainSpecDto } from '@brier/contracts';

import { CALIBRATED_QA_ENV_ID, calibratedQaRun, GPU_MEMORY_UTILIZATION } from './calibrated-qa-run.js';
import { standaloneInferenceServer } from './inference-server-launch.js';
import { checkGpuIds } from './launch-checks.js';
import {
  PrimeRlConfigError,
  type PrimeRlAdapter,
  type PrimeRlInferenceLaunch,
  type PrimeRlInferenceServer,
  type PrimeRlLaunch,
  type PrimeRlLayout,
  type PrimeRlRun,
} from './prime-rl-adapter.js';
import { PRIME_RL_PINS } from './prime-rl-pins.js';
import { resumeStepArgs, rlLaunch } from './rl-launch.js';

/**
 * `[deployment]` of v0.6.0: GPU counts, not ids. rl_local (src/prime_rl/entrypoints/rl.py at
 * 38494cc) hands out the launcher's CUDA_VISIBLE_DEVICES in order, inference first, trainer next,
 * and never lets the two share a GPU (it refuses more requested GPUs than visible ones), so a
 * run needs two GPUs at least: vLLM on the first reserved GPU, the trainer on the rest.
 */
export function headDeployment(gpuIds: readonly number[]): {
  num_infer_gpus: number;
  num_train_gpus: number;
} {
  checkGpuIds(gpuIds, 'a train run');
  if (gpuIds.length < 2) {
    throw new PrimeRlConfigError(
      `prime-rl v0.6.0 runs vLLM and the trainer on separate GPUs: a train run needs at least 2 (got ${gpuIds.length})`,
    );
  }
  return { num_infer_gpus: 1, num_train_gpus: gpuIds.length - 1 };
}

/**
 * v0.6.0 has no `max_async_level`: rollouts always come from a policy one step behind (#2631),
 * and `orchestrator.max_off_policy_steps` (default 8) bounds how stale a rollout may be. 0 (the
 * seed's synchronous mode) and 1 both become the nearest thing, a bound of 1; anything looser
 * would mean something else, so it is refused rather than guessed.
 */
export function headMaxOffPolicySteps(spec: Pick<TrainSpecDto, 'maxAsyncLevel'>): number {
  if (spec.maxAsyncLevel > 1) {
    throw new PrimeRlConfigError(
      `prime-rl v0.6.0 has a fixed one-step lag and no max_async_level: maxAsyncLevel ${spec.maxAsyncLevel} cannot be expressed (use 0 or 1)`,
    );
  }
  return 1;
}

/**
 * Where v0.6.0 writes things under output_dir (src/prime_rl/utils/pathing.py, entrypoints/rl.py
 * at 38494cc): each child's console in logs/<name>.log, trainer checkpoints and HF weights at the
 * top, the orchestrator's files in run_default/. The launcher writes no log file of its own.
 */
export function headLayout(outputDir: string): PrimeRlLayout {
  const logs = join(outputDir, 'logs');
  return {
    outputDir,
    orchestratorLog: join(logs, 'orchestrator.log'),
    trainerLog: join(logs, 'trainer.log'),
    inferenceLog: join(logs, 'inference.log'),
    // Its console goes to the agent's pipe; the agent keeps it here (the classic rl.log's place).
    launcherLog: join(logs, 'rl.log'),
    checkpointsDir: join(outputDir, 'checkpoints'),
    weightsDir: join(outputDir, 'weights'),
  };
}

/**
 * prime-rl v0.6.0 (38494cc), the current schema generation that still loads the verifiers v0
 * calibrated-qa env: `[deployment]` GPU counts, `orchestrator.group_size`,
 * `[[orchestrator.train.env]]`, `[orchestrator.train.sampling] max_completion_tokens`,
 * `max_off_policy_steps` instead of `max_async_level`; `[wandb]`, `[ckpt]` and
 * `ckpt.resume_step` as before (RLConfig, OrchestratorConfig in packages/prime-rl-configs).
 * Its per-step orchestrator line is the 'head' generation.
 */
export class HeadV060Adapter implements PrimeRlAdapter {
  readonly version = 'v0.6.0';
  readonly pin = PRIME_RL_PINS['v0.6.0']!;
  readonly logFormat = 'head' as const;

  buildConfig(run: PrimeRlRun): PrimeRlLaunch {
    const { spec } = run;
    const { outputDir, configPath, startStep, envArgs, wandb, ckpt } = calibratedQaRun(run);
    const deployment = headDeployment(run.gpuIds);
    const maxOffPolicySteps = headMaxOffPolicySteps(spec);
    const layout = headLayout(outputDir);

    const config: Record<string, unknown> = {
      output_dir: layout.outputDir,
      max_steps: spec.maxSteps,
      seq_len: spec.seqLen,
      deployment,
      model: { name: spec.model },
      wandb,
      trainer: { optim: { lr: spec.learningRate } },
      orchestrator: {
        batch_size: spec.batchSize,
        group_size: spec.rolloutsPerExample,
        max_off_policy_steps: maxOffPolicySteps,
        // The renderer map resolves "auto" from the model name and has no entry for Gemma-2
        // (shared/docs/prime-rl.md §2, §8); "default" renders with the model's chat template.
        renderer: { name: 'default' },
        train: {
          sampling: { max_completion_tokens: spec.maxTokens, temperature: spec.temperature },
          env: [{ id: CALIBRATED_QA_ENV_ID, args: envArgs }],
        },
      },
      // The table's presence starts vLLM, as in v0.4.0.
      inference: { gpu_memory_utilization: GPU_MEMORY_UTILIZATION },
    };
    if (ckpt !== undefined) config['ckpt'] = ckpt;
    return rlLaunch({ config, configPath, layout, gpuIds: run.gpuIds, startStep });
  }

  /** `ckpt.resume_step` is still a shared key at v0.6.0 (propagated to trainer and orchestrator). */
  resumeArgs(step: number): string[] {
    return resumeStepArgs(step);
  }

  /** The `inference` entry point takes v0.4.0's flags (single-node: vLLM on server.port, no router). */
  buildInferenceServer(server: PrimeRlInferenceServer): PrimeRlInferenceLaunch {
    return standaloneInferenceServer(server);
  }
}
