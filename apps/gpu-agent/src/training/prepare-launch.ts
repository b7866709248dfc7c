import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import type { TrainSpecDto } from '@brier/contracts';

import { discardCheckpointsAfter } from '../checkpoints/checkpoint-scan.js';
import type { AgentConfig } from '../config/agent.config.js';
import { PrimeRlConfigError, type PrimeRlAdapter, type PrimeRlLaunch } from '../prime-rl/prime-rl-adapter.js';
import { AttemptSetupError, type AttemptContext } from '../runs/run-executor.js';
import { archiveEarlierLogs } from './prime-rl-output.js';

export interface LaunchInputs {
  spec: TrainSpecDto;
  adapter: PrimeRlAdapter;
  /** The step the attempt starts at (0, or a checkpoint's). */
  startStep: number;
  /** The attempt's local ports, by the adapter's localPorts names. */
  ports: Readonly<Record<string, number>>;
}

/**
 * The attempt's prime-rl launch, with the run directory made ready for it: the config written
 * where the launch's args say, checkpoints after the start step removed (the attempt trains those
 * steps again, and what an earlier attempt left there must not pass for its own), the earlier
 * attempt's logs set aside. A spec the adapter refuses is an AttemptSetupError (not retried).
 */
export async function prepareLaunch(
  config: AgentConfig,
  context: AttemptContext,
  { spec, adapter, startStep, ports }: LaunchInputs,
): Promise<PrimeRlLaunch> {
  const { claim, runDir, attemptDir, agentLog } = context;
  let launch: PrimeRlLaunch;
  try {
    launch = adapter.buildConfig({
      spec,
      runDir,
      gpuIds: context.gpuIndices,
      ports,
      envLogPath: join(attemptDir, 'rollouts.jsonl'),
      startStep,
      ...(config.BRIER_DATASET_PATH ? { datasetPath: resolve(config.BRIER_DATASET_PATH) } : {}),
      wandb: { name: `${claim.name}-attempt-${claim.attempt}` },
    });
  } catch (error) {
    if (error instanceof PrimeRlConfigError) throw new AttemptSetupError(error.message);
    throw error;
  }
  await mkdir(dirname(launch.configPath), { recursive: true });
  await writeFile(launch.configPath, launch.toml);
  const discarded = await discardCheckpointsAfter(launch.layout, runDir, startStep);
  if (discarded.length > 0) {
    agentLog.push(
      `removed ${discarded.length} checkpoint(s) after step ${startStep}: ${discarded.join(', ')}`,
    );
  }
  await archiveEarlierLogs(launch.layout.outputDir, claim.attempt);
  agentLog.push(`prime-rl ${adapter.version}: ${config.UV_BIN} ${launch.args.join(' ')}`);
  return launch;
}
