import { stringify } from 'smol-toml';

import { stepNumber } from './launch-checks.js';
import type { PrimeRlLaunch, PrimeRlLayout } from './prime-rl-adapter.js';

/** `ckpt.resume_step` (N steps done): the same shared key in every version pinned so far. */
export function resumeStepArgs(step: number): string[] {
  return ['--ckpt.resume-step', String(stepNumber(step, 'resume step'))];
}

/**
 * The `uv run --no-sync rl @ <config>` launch every pinned version shares: only the config's keys
 * differ between schema generations, not how the launcher is started or its environment.
 */
export function rlLaunch(input: {
  config: Record<string, unknown>;
  configPath: string;
  layout: PrimeRlLayout;
  gpuIds: readonly number[];
  startStep: number;
}): PrimeRlLaunch {
  const { configPath, layout } = input;
  const args = ['run', '--no-sync', 'rl', '@', configPath, '--output-dir', layout.outputDir];
  args.push('--wandb.offline', 'true');
  if (input.startStep > 0) args.push(...resumeStepArgs(input.startStep));
  return {
    // Values serialised by the TOML library, never spliced into text.
    toml: stringify(input.config),
    configPath,
    args,
    env: {
      // Logical GPUs for the launcher, which splits them between inference and trainer in order.
      CUDA_VISIBLE_DEVICES: input.gpuIds.join(','),
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
