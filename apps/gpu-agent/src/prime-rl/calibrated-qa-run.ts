import { join } from 'node:path';

import { PrimeRlConfigError, type PrimeRlRun } from './prime-rl-adapter.js';
import { absolute, stepNumber } from './launch-checks.js';

/** The verifiers environment id prime-rl loads (module calibrated_qa). */
export const CALIBRATED_QA_ENV_ID = 'calibrated-qa';
/** The seed's vLLM memory share, on a GPU of its own. */
export const GPU_MEMORY_UTILIZATION = 0.9;
/**
 * vLLM's share when the trainer runs on the same GPU: prime-rl's docs/deployment.md ("Single-GPU
 * Training") gives 0.5, leaving the trainer the rest; the seed's 0.9 would leave it too little.
 */
export const SHARED_GPU_MEMORY_UTILIZATION = 0.5;
const DEFAULT_WANDB_PROJECT = 'brier';

type TomlScalar = string | number | boolean;

/**
 * What every schema generation says the same way: the calibrated-qa env's arguments (a verifiers
 * v0 `load_environment(**args)`, whichever table prime-rl keeps them in), offline W&B, the
 * checkpoint table, and the run's paths. Checked once here so both adapters refuse alike.
 */
export interface CalibratedQaRun {
  runDir: string;
  /** prime-rl's output_dir: `<runDir>/rl`, the same for every attempt (a resume needs its checkpoints). */
  outputDir: string;
  configPath: string;
  startStep: number;
  envArgs: Record<string, TomlScalar>;
  wandb: Record<string, TomlScalar>;
  /** The `[ckpt]` table, or undefined to leave it out (checkpoints off). */
  ckpt: Record<string, number> | undefined;
}

export function calibratedQaRun(run: PrimeRlRun): CalibratedQaRun {
  const { spec } = run;
  const runDir = absolute(run.runDir, 'runDir');
  const envLogPath = absolute(run.envLogPath, 'envLogPath');
  const startStep = stepNumber(run.startStep, 'startStep');
  if (startStep >= spec.maxSteps) {
    throw new PrimeRlConfigError(`startStep ${startStep} leaves nothing to run (maxSteps ${spec.maxSteps})`);
  }
  const batchSize = run.batchSize ?? spec.batchSize;
  if (batchSize !== spec.batchSize) {
    // The env attributes rollouts to steps by index // batch_size: any other size misattributes them.
    throw new PrimeRlConfigError(
      `the env's batch_size (${batchSize}) must equal the spec's batchSize (${spec.batchSize})`,
    );
  }

  const envArgs: Record<string, TomlScalar> = {
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

  const wandb: Record<string, TomlScalar> = {
    project: run.wandb?.project ?? DEFAULT_WANDB_PROJECT,
    offline: true,
  };
  if (run.wandb?.name !== undefined) wandb['name'] = run.wandb.name;

  // [ckpt] saves the final step; with an interval also every `interval` steps.
  let ckpt: Record<string, number> | undefined;
  if (spec.checkpoints)
    ckpt = spec.checkpointInterval === undefined ? {} : { interval: spec.checkpointInterval };

  return {
    runDir,
    outputDir: join(runDir, 'rl'),
    configPath: join(runDir, 'rl.toml'),
    startStep,
    envArgs,
    wandb,
    ckpt,
  };
}
