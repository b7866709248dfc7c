import { isAbsolute, join } from 'node:path';

import { stringify } from 'smol-toml';

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

/** The verifiers environment id prime-rl loads (module calibrated_qa). */
export const CALIBRATED_QA_ENV_ID = 'calibrated-qa';
/** The seed's vLLM memory share. */
export const GPU_MEMORY_UTILIZATION = 0.9;
const DEFAULT_WANDB_PROJECT = 'brier';

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

/** At least one GPU, each an nvidia-smi index, none twice. */
function checkGpuIds(gpuIds: readonly number[], who: string): void {
  if (gpuIds.length === 0) throw new PrimeRlConfigError(`${who} needs at least one GPU (got none)`);
  for (const id of gpuIds) {
    if (!Number.isSafeInteger(id) || id < 0) {
      throw new PrimeRlConfigError(`GPU ids must be nvidia-smi indices (got ${JSON.stringify(id)})`);
    }
  }
  if (new Set(gpuIds).size !== gpuIds.length) {
    throw new PrimeRlConfigError(`GPU ids must be distinct (got ${gpuIds.join(',')})`);
  }
}

/**
 * A model argument that cannot turn into a flag or a relative path: a Hugging Face id
 * (`org/name`) or an absolute path. The prime-rl checkout is the server's cwd, so a relative
 * path would silently mean a folder inside it.
 */
function servableModel(model: string): string {
  if (model === '' || model.startsWith('-') || /\p{Cc}/u.test(model)) {
    throw new PrimeRlConfigError(
      `model must be a Hugging Face id or an absolute path (got ${JSON.stringify(model)})`,
    );
  }
  if (model.startsWith('.') || model.startsWith('~')) {
    throw new PrimeRlConfigError(`a model path must be absolute (got ${JSON.stringify(model)})`);
  }
  return model;
}

function absolute(path: string, what: string): string {
  if (path === '' || !isAbsolute(path)) {
    throw new PrimeRlConfigError(`${what} must be an absolute path (got ${JSON.stringify(path)})`);
  }
  return path;
}

function stepNumber(step: number, what: string): number {
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new PrimeRlConfigError(`${what} must be a non-negative integer (got ${JSON.stringify(step)})`);
  }
  return step;
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

  buildConfig(run: PrimeRlRun): PrimeRlLaunch {
    const { spec } = run;
    const runDir = absolute(run.runDir, 'runDir');
    const envLogPath = absolute(run.envLogPath, 'envLogPath');
    const startStep = stepNumber(run.startStep, 'startStep');
    if (startStep >= spec.maxSteps) {
      throw new PrimeRlConfigError(
        `startStep ${startStep} leaves nothing to run (maxSteps ${spec.maxSteps})`,
      );
    }
    const batchSize = run.batchSize ?? spec.batchSize;
    if (batchSize !== spec.batchSize) {
      // The env attributes rollouts to steps by index // batch_size: any other size misattributes them.
      throw new PrimeRlConfigError(
        `the env's batch_size (${batchSize}) must equal the spec's batchSize (${spec.batchSize})`,
      );
    }
    const gpus = classicGpuSplit(run.gpuIds);
    const layout = classicLayout(join(runDir, 'rl'));
    const configPath = join(runDir, 'rl.toml');

    const envArgs: Record<string, string | number | boolean> = {
      log_path: envLogPath,
      batch_size: batchSize,
      start_step: startStep,
      prompt_template: spec.promptTemplate,
      dataset_split: spec.dataset.split,
      balance: spec.dataset.balance,
      seed: spec.dataset.seed,
      max_tokens: spec.reward.maxTokens ?? spec.maxTokens,
      low_fraction: spec.reward.lowFraction,
      high_fraction: spec.reward.highFraction,
    };
    if (run.datasetPath !== undefined) envArgs['dataset_path'] = absolute(run.datasetPath, 'datasetPath');

    const wandb: Record<string, string | boolean> = {
      project: run.wandb?.project ?? DEFAULT_WANDB_PROJECT,
      offline: true,
    };
    if (run.wandb?.name !== undefined) wandb['name'] = run.wandb.name;

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
      },
      // The table's presence starts vLLM (rl.py: "If None, will not start an inference process").
      inference: { gpu_memory_utilization: GPU_MEMORY_UTILIZATION },
    };
    if (spec.checkpoints) {
      // [ckpt] saves the final step; with an interval also every `interval` steps.
      config['ckpt'] = spec.checkpointInterval === undefined ? {} : { interval: spec.checkpointInterval };
    }

    const args = [
      'run',
      '--no-sync',
      'rl',
      '@',
      configPath,
      '--output-dir',
      layout.outputDir,
      '--wandb.offline',
      'true',
    ];
    if (startStep > 0) args.push(...this.resumeArgs(startStep));

    return {
      toml: stringify(config),
      configPath,
      args,
      env: {
        CUDA_VISIBLE_DEVICES: run.gpuIds.join(','),
        // nvidia-smi numbers GPUs in PCI bus order; CUDA's default order can differ on mixed hosts.
        CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
        // rl.py starts its children with plain `uv run …`: keep them from syncing the venv, which
        // would uninstall calibrated-qa (it is not in prime-rl's lock file).
        UV_NO_SYNC: '1',
        PYTHONUNBUFFERED: '1',
        WANDB_MODE: 'offline',
      },
      layout,
    };
  }

  resumeArgs(step: number): string[] {
    return ['--ckpt.resume-step', String(stepNumber(step, 'resume step'))];
  }

  /**
   * `uv run --no-sync inference --model.name <model> --server.host 127.0.0.1 --server.port <port>`
   * (src/prime_rl/inference/server.py at f870f3c). vLLM serves the model under the name it was
   * given, so a checkpoint is addressed by its path. Several GPUs become data-parallel replicas
   * (a 2B model gains nothing from tensor parallelism). 127.0.0.1: only this agent talks to it.
   */
  buildInferenceServer(server: PrimeRlInferenceServer): PrimeRlInferenceLaunch {
    const model = servableModel(server.model);
    checkGpuIds(server.gpuIds, 'an inference server');
    if (!Number.isSafeInteger(server.port) || server.port < 1 || server.port > 65_535) {
      throw new PrimeRlConfigError(`port must be in 1..65535 (got ${JSON.stringify(server.port)})`);
    }
    const logDir = join(absolute(server.runDir, 'runDir'), 'inference');
    const args = [
      'run',
      '--no-sync',
      'inference',
      '--model.name',
      model,
      '--server.host',
      '127.0.0.1',
      '--server.port',
      String(server.port),
      '--gpu-memory-utilization',
      String(GPU_MEMORY_UTILIZATION),
    ];
    if (server.gpuIds.length > 1) args.push('--parallel.dp', String(server.gpuIds.length));
    return {
      args,
      env: {
        CUDA_VISIBLE_DEVICES: server.gpuIds.join(','),
        CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
        UV_NO_SYNC: '1',
        PYTHONUNBUFFERED: '1',
      },
      stdoutPath: join(logDir, 'inference.stdout'),
      stderrPath: join(logDir, 'inference.stderr'),
      servedModel: model,
    };
  }
}
