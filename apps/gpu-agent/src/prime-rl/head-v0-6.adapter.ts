import { join } from 'node:path';

import { CALIBRATED_QA_ENV_ID, calibratedQaRun, GPU_MEMORY_UTILIZATION } from './calibrated-qa-run.js';
import { standaloneInferenceServer } from './inference-server-launch.js';
import { boundedOffPolicySteps, deploymentGpuCounts } from './deployment-schema.js';
import { checkPort } from './launch-checks.js';
import {
  type PrimeRlAdapter,
  type PrimeRlInferenceLaunch,
  type PrimeRlInferenceServer,
  type PrimeRlLaunch,
  type PrimeRlLayout,
  type PrimeRlRun,
} from './prime-rl-adapter.js';
import { PRIME_RL_PINS } from './prime-rl-pins.js';
import { outputDirFlags, resumeStepArgs, rlLaunch } from './rl-launch.js';

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
 * prime-rl v0.6.0 (38494cc), the newest release that still loads the verifiers v0 calibrated-qa
 * env: `[deployment]` GPU counts, `orchestrator.group_size`,
 * `[[orchestrator.train.env]]`, `[orchestrator.train.sampling] max_completion_tokens`,
 * `max_off_policy_steps` instead of `max_async_level`; `[wandb]`, `[ckpt]` and
 * `ckpt.resume_step` as before (RLConfig, OrchestratorConfig in packages/prime-rl-configs).
 * Its per-step orchestrator line is the 'head' generation.
 */
export class HeadV060Adapter implements PrimeRlAdapter {
  readonly version = 'v0.6.0';
  readonly pin = PRIME_RL_PINS['v0.6.0']!;
  readonly logFormat = 'head' as const;
  /**
   * A local v0.6.0 launch has one fixed port, vLLM's (8000), and the run gets its own: the env
   * servers take free ports (orchestrator/envs.py get_free_port), torchrun's rendezvous too
   * (entrypoints/rl.py), and the NCCL broadcast (29501), ZMQ transport and trainer metrics server
   * are off unless configured (weight_broadcast defaults to the filesystem).
   */
  readonly localPorts = { inference: [0] } as const;

  buildConfig(run: PrimeRlRun): PrimeRlLaunch {
    const { spec } = run;
    const { outputDir, configPath, startStep, envArgs, wandb, ckpt } = calibratedQaRun(run);
    const deployment = deploymentGpuCounts(run.gpuIds, this.version);
    const maxOffPolicySteps = boundedOffPolicySteps(spec, this.version);
    const layout = headLayout(outputDir);
    const port = checkPort(run.ports['inference'], 'ports.inference');

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
        // Folded into orchestrator.student.client (fold_student_shortcuts); rl.py refuses a
        // base_url whose port is not inference.server.port.
        client: { base_url: [`http://127.0.0.1:${port}/v1`] },
      },
      // The table's presence starts vLLM, as in v0.4.0. Loopback only: the server has no API key.
      inference: { gpu_memory_utilization: GPU_MEMORY_UTILIZATION, server: { host: '127.0.0.1', port } },
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

  /** `ckpt.resume_step` is still a shared key at v0.6.0 (propagated to trainer and orchestrator). */
  resumeArgs(step: number): string[] {
    return resumeStepArgs(step);
  }

  /** The `inference` entry point takes v0.4.0's flags (single-node: vLLM on server.port, no router). */
  buildInferenceServer(server: PrimeRlInferenceServer): PrimeRlInferenceLaunch {
    return standaloneInferenceServer(server);
  }
}
