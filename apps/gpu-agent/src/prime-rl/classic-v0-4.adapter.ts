import { join } from 'node:path';

import {
  type PrimeRlAdapter,
  type PrimeRlInferenceLaunch,
  type PrimeRlInferenceServer,
  type PrimeRlLaunch,
  type PrimeRlLayout,
  type PrimeRlRun,
} from './prime-rl-adapter.js';
import {
  CALIBRATED_QA_ENV_ID,
  calibratedQaRun,
  GPU_MEMORY_UTILIZATION,
  SHARED_GPU_MEMORY_UTILIZATION,
} from './calibrated-qa-run.js';
import { standaloneInferenceServer } from './inference-server-launch.js';
import { checkGpuIds, checkPort } from './launch-checks.js';
import { PRIME_RL_PINS } from './prime-rl-pins.js';
import { outputDirFlags, resumeStepArgs, rlLaunch } from './rl-launch.js';

/**
 * GPUs for vLLM and for the trainer. In v0.4.0 these are PHYSICAL indices: rl.py starts each
 * child with `CUDA_VISIBLE_DEVICES=<its ids>`, replacing whatever the launcher inherited
 * (src/prime_rl/rl.py at f870f3c), so ids relative to an outer CUDA_VISIBLE_DEVICES would land
 * on the wrong GPUs. One GPU: both share it (PR #971). Two or more: vLLM on the first, the
 * trainer on the rest.
 */
export function classicGpuSplit(gpuIds: readonly number[]): { inference: number[]; trainer: number[] } {
  checkGpuIds(gpuIds, 'a train run');
  const [first, ...rest] = gpuIds as [number, ...number[]];
  return rest.length === 0 ? { inference: [first], trainer: [first] } : { inference: [first], trainer: rest };
}

/** Where v0.4.0 writes things under output_dir (prime-rl.md §4; src/prime_rl/utils/pathing.py). */
export function classicLayout(outputDir: string): PrimeRlLayout {
  return {
    outputDir,
    orchestratorLog: join(outputDir, 'logs', 'orchestrator.stdout'),
    trainerLog: join(outputDir, 'logs', 'trainer.stdout'),
    inferenceLog: join(outputDir, 'logs', 'inference.stdout'),
    launcherLog: join(outputDir, 'logs', 'rl.log'),
    checkpointsDir: join(outputDir, 'checkpoints'),
    weightsDir: join(outputDir, 'weights'),
  };
}

/**
 * prime-rl v0.4.0, the classic schema the seed ran: `inference_gpu_ids`/`trainer_gpu_ids`,
 * `max_async_level`, `orchestrator.rollouts_per_example`, `[[orchestrator.env]]`, `ckpt.resume_step`.
 */
export class ClassicV040Adapter implements PrimeRlAdapter {
  readonly version = 'v0.4.0';
  readonly pin = PRIME_RL_PINS['v0.4.0']!;
  readonly logFormat = 'classic' as const;
  readonly localPorts = { inference: [0] } as const;

  buildConfig(run: PrimeRlRun): PrimeRlLaunch {
    const { spec } = run;
    const { outputDir, configPath, startStep, envArgs, wandb, ckpt } = calibratedQaRun(run);
    const gpus = classicGpuSplit(run.gpuIds);
    const sharedGpu = gpus.inference.some((id) => gpus.trainer.includes(id));
    const port = checkPort(run.ports['inference'], 'ports.inference');
    const layout = classicLayout(outputDir);

    const config: Record<string, unknown> = {
      inference_gpu_ids: gpus.inference,
      trainer_gpu_ids: gpus.trainer,
      output_dir: layout.outputDir,
      max_steps: spec.maxSteps,
      seq_len: spec.seqLen,
      max_async_level: spec.maxAsyncLevel,
      model: { name: spec.model },
      wandb,
      trainer: { optim: { lr: spec.learningRate } },
      orchestrator: {
        batch_size: spec.batchSize,
        rollouts_per_example: spec.rolloutsPerExample,
        sampling: { max_tokens: spec.maxTokens, temperature: spec.temperature },
        env: [{ id: CALIBRATED_QA_ENV_ID, args: envArgs }],
        // The orchestrator generates from, and sends new weights to, this run's own vLLM.
        client: { base_url: [`http://127.0.0.1:${port}/v1`] },
      },
      // The table's presence starts vLLM (rl.py: "If None, will not start an inference process").
      inference: {
        gpu_memory_utilization: sharedGpu ? SHARED_GPU_MEMORY_UTILIZATION : GPU_MEMORY_UTILIZATION,
        // Loopback only: the server has no API key.
        server: { host: '127.0.0.1', port },
      },
    };
    if (ckpt !== undefined) config['ckpt'] = ckpt;
    return rlLaunch({
      config,
      configPath,
      layout,
      gpuIds: run.gpuIds,
      flags: outputDirFlags(layout.outputDir, startStep),
    });
  }

  resumeArgs(step: number): string[] {
    return resumeStepArgs(step);
  }

  /** v0.4.0's `inference` entry point (src/prime_rl/inference/server.py at f870f3c). */
  buildInferenceServer(server: PrimeRlInferenceServer): PrimeRlInferenceLaunch {
    return standaloneInferenceServer(server);
  }
}
