import { join } from 'node:path';

import { CALIBRATED_QA_ENV_ID, calibratedQaRun, GPU_MEMORY_UTILIZATION } from './calibrated-qa-run.js';
import { boundedOffPolicySteps, deploymentGpuCounts } from './deployment-schema.js';
import { vllmInferenceServer } from './inference-server-launch.js';
import { stepNumber } from './launch-checks.js';
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
import { rlLaunch } from './rl-launch.js';

/**
 * `run.name`: main writes a run to `output_dir/<run.name>` and resumes only under the same name
 * (RLConfig.run_dir in packages/prime-rl-configs/…/rl.py at 559b447). output_dir is already the
 * run's own, so one fixed name serves every run and every attempt.
 */
export const MAIN_RUN_NAME = 'brier';

/**
 * Where main writes things under its run directory (src/prime_rl/utils/pathing.py at 559b447):
 * each launch gets `logs/attempt_<n>/` and repoints the `logs/latest` symlink to it, the children's
 * consoles go to `<name>.log` there, trainer checkpoints to `checkpoints/step_N/trainer/` (DCP,
 * `.metadata` last). There are no Hugging Face weights on disk any more (#3316), only broadcasts.
 * outputDir is the run directory, so the agent's archiving of an earlier attempt's `logs/` also
 * takes the stale `latest` link away before the follower could open the old orchestrator.log.
 */
export function mainLayout(outputDir: string): PrimeRlLayout {
  const runDir = join(outputDir, MAIN_RUN_NAME);
  const latest = join(runDir, 'logs', 'latest');
  return {
    outputDir: runDir,
    orchestratorLog: join(latest, 'orchestrator.log'),
    trainerLog: join(latest, 'trainer.log'),
    inferenceLog: join(latest, 'inference.log'),
    // The launcher writes no file of its own; its console goes to the agent's pipe.
    launcherLog: join(runDir, 'logs', 'rl.log'),
    checkpointsDir: join(runDir, 'checkpoints'),
    weightsDir: null,
  };
}

/**
 * prime-rl main at 559b447, verifiers v1 only (packages/prime-rl-configs/…/{rl,orchestrator}.py):
 * `[run] name`, `clean` (a fresh start in a used run directory is refused without it),
 * `[deployment]` GPU counts, `[monitors.wandb]`, `orchestrator.group_size` and
 * `max_off_policy_steps`, `[orchestrator.train.sampling]`, and one `[[orchestrator.train.source]]`
 * whose `env.taskset` table is the calibrated-qa taskset's config: its id plus the same arguments
 * the v0 env took. The `null` harness is plain chat (no agent program's tools); the `subprocess`
 * runtime keeps it on this host (the default runtime is a Prime sandbox). Resume is `[resume]`.
 * Its per-step orchestrator line is the 'head' generation (1-indexed steps).
 */
export class Main559b447Adapter implements PrimeRlAdapter {
  readonly version = 'main-559b447';
  readonly pin = PRIME_RL_PINS['main-559b447']!;
  readonly logFormat = 'head' as const;
  /**
   * Not yet. At 559b447 a local launch binds fixed ports: the router on inference.server.port
   * (8000), vLLM on inference.backend_port (router + 100), the router's metrics on router + 21000
   * (no key), env servers from orchestrator.env_server_base_port (5000), the ZMQ rollout transport
   * on [rollout_transport] port and port + 1 (5555), the NCCL broadcast on [weight_broadcast] port
   * (29501; the shared table overwrites the trainer's and orchestrator's), and the orchestrator's
   * orchestrator.model.client.base_url must name the router's port. Moving them all needs ports
   * picked together (router + 21000 must not land on another run's) and a fake that binds them.
   */
  readonly trainRunsShareHost = false;

  buildConfig(run: PrimeRlRun): PrimeRlLaunch {
    const { spec } = run;
    const { outputDir, configPath, startStep, envArgs, wandb, ckpt } = calibratedQaRun(run);
    const deployment = deploymentGpuCounts(run.gpuIds, this.version);
    const maxOffPolicySteps = boundedOffPolicySteps(spec, this.version);
    const layout = mainLayout(outputDir);
    // monitors.wandb.offline = true is refused at 559b447 (SharedWandbConfig.validate_not_offline):
    // WANDB_MODE=offline in the launch environment is what keeps it offline.
    const { offline: _offline, ...monitorsWandb } = wandb;

    const config: Record<string, unknown> = {
      output_dir: outputDir,
      max_steps: spec.maxSteps,
      seq_len: spec.seqLen,
      run: { name: MAIN_RUN_NAME },
      deployment,
      model: { name: spec.model },
      monitors: { wandb: monitorsWandb },
      trainer: { optim: { lr: spec.learningRate } },
      orchestrator: {
        batch_size: spec.batchSize,
        group_size: spec.rolloutsPerExample,
        max_off_policy_steps: maxOffPolicySteps,
        // Gemma-2 is not in the renderer map, so "auto" fails validation; "default" renders with
        // the model's chat template (OrchestratorConfig.validate_renderer_auto_resolves at 559b447).
        renderer: { name: 'default' },
        train: {
          sampling: { max_completion_tokens: spec.maxTokens, temperature: spec.temperature },
          source: [
            {
              env: {
                taskset: { id: CALIBRATED_QA_ENV_ID, ...envArgs },
                agent: { harness: { id: 'null' }, runtime: { type: 'subprocess' } },
              },
            },
          ],
        },
      },
      // The table's presence starts vLLM; the engine's settings live under inference.vllm.
      inference: { vllm: { gpu_memory_utilization: GPU_MEMORY_UTILIZATION } },
    };
    // A fresh start wipes what an earlier attempt left (validate_run_dir); a resume keeps it.
    if (startStep === 0) config['clean'] = true;
    if (ckpt !== undefined) config['ckpt'] = ckpt;
    const flags = startStep > 0 ? this.resumeArgs(startStep) : [];
    return rlLaunch({ config, configPath, layout, gpuIds: run.gpuIds, flags });
  }

  /**
   * `--resume.step N` (ResumeConfig in configs/shared.py at 559b447, N ≥ 1): the checkpoint that
   * finished step N; the orchestrator continues with step N + 1 (1-indexed), the agent's step N.
   */
  resumeArgs(step: number): string[] {
    if (stepNumber(step, 'resume step') < 1) {
      throw new PrimeRlConfigError(`prime-rl ${this.version} resumes from step 1 or later (got ${step})`);
    }
    return ['--resume.step', String(step)];
  }

  buildInferenceServer(server: PrimeRlInferenceServer): PrimeRlInferenceLaunch {
    return vllmInferenceServer(server);
  }
}
