import { stringify } from 'smol-toml';

import { stepNumber } from './launch-checks.js';
import type { PrimeRlLaunch, PrimeRlLayout } from './prime-rl-adapter.js';

/** `ckpt.resume_step` (N steps done): the shared key of v0.4.0 and v0.6.0. */
export function resumeStepArgs(step: number): string[] {
  return ['--ckpt.resume-step', String(stepNumber(step, 'resume step'))];
}

/**
 * The flags v0.4.0 and v0.6.0 take after the config: output_dir again (so the command line
 * says where the run writes), W&B offline, and the resume step when resuming.
 */
export function outputDirFlags(outputDir: string, startStep: number): string[] {
  const flags = ['--output-dir', outputDir, '--wandb.offline', 'true'];
  if (startStep > 0) flags.push(...resumeStepArgs(startStep));
  return flags;
}

/**
 * The `uv run --no-sync rl @ <config> <flags…>` launch every pinned version shares: only the
 * config's keys and the flags after it differ between schema generations, not how the launcher
 * is started or its environment.
 */
export function rlLaunch(input: {
  config: Record<string, unknown>;
  configPath: string;
  layout: PrimeRlLayout;
  gpuIds: readonly number[];
  flags: readonly string[];
}): PrimeRlLaunch {
  const { configPath, layout } = input;
  return {
    // Values serialised by the TOML library, never spliced into text.
    toml: stringify(input.config),
    configPath,
    args: ['run', '--no-sync', 'rl', '@', configPath, ...input.flags],
    env: {
      // Logical GPUs for the launcher, which splits them between inference and trainer in order.
      CUDA_VISIBLE_DEVICES: input.gpuIds.join(','),
      // nvidia-smi numbers GPUs in PCI bus order; CUDA's default order can differ on mixed hosts.
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
      // rl.py starts its children with plain `uv run …`: keep them from syncing the venv, which
      // would uninstall calibrated-qa (it is not in prime-rl's lock file).
      UV_NO_SYNC: '1',
      PYTHONUNBUFFERED: '1',
      // Also what keeps main's W&B monitor offline (it refuses monitors.wandb.offline).
      WANDB_MODE: 'offline',
    },
    layout,
  };
}
