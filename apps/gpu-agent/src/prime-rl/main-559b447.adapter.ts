import { join } from 'node:path';

import { CALIBRATED_QA_ENV_ID, calibratedQaRun, GPU_MEMORY_UTILIZATION } from './calibrated-qa-run.js';
import { boundedOffPolicySteps, deploymentGpuCounts } from './deployment-schema.js';
import { vllmInferenceServer } from './inference-server-launch.js';
import { checkPort, stepNumber } from './launch-checks.js';
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

/** The router's Prometheus port is its own + 21000 (entrypoints/inference.py at 559b447). */
export const ROUTER_METRICS_OFFSET = 21_000;

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
   * A local launch at 559b447 binds, besides the torchrun rendezvous (a free port already): the
   * router on inference.server.port (8000) and its metrics on that + 21000 (no key of its own),
   * vLLM behind it on inference.backend_port (router + 100), the env servers from
   * orchestrator.env_server_base_port (5000, one per source: one here), the ZMQ rollout
   * transport on [rollout_transport] port and port + 1 (5555, on by default), and the NCCL
   * weight broadcast on [weight_broadcast] port (29501, on by default with an inference table).
   * Each attempt gets all of them free (entrypoints/inference.py, configs/{rl,inference,
   * orchestrator,shared}.py at 559b447), so training runs share a host.
   */
  readonly localPorts = {
    inference: [0, ROUTER_METRICS_OFFSET],
    engine: [0],
    envServers: [0],
    rolloutTransport: [0, 1],
    weightBroadcast: [0],
  } as const;

  buildConfig(run: PrimeRlRun): PrimeRlLaunch {
    const { spec } = run;
    const { outputDir, configPath, startStep, envArgs, wandb, ckpt } = calibratedQaRun(run);
    const deployment = deploymentGpuCounts(run.gpuIds, this.version);
    const maxOffPolicySteps = boundedOffPolicySteps(spec, this.version);
    const layout = mainLayout(outputDir);
    const ports = this.ports(run);
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
      // The shared tables fill (weight_broadcast: replace) the trainer's and orchestrator's.
      weight_broadcast: { type: 'nccl', port: ports.weightBroadcast },
      rollout_transport: { type: 'zmq', port: ports.rolloutTransport },
      orchestrator: {
        // rl.py refuses a client port that is not inference.server.port (the router's).
        model: { client: { base_url: `http://127.0.0.1:${ports.inference}/v1` } },
        env_server_base_port: ports.envServers,
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
      // Loopback only: neither the router nor the engine has an API key.
      inference: {
        server: { host: '127.0.0.1', port: ports.inference },
        backend_port: ports.engine,
        vllm: { gpu_memory_utilization: GPU_MEMORY_UTILIZATION },
      },
    };
    // A fresh start wipes what an earlier attempt left (validate_run_dir); a resume keeps it.
    if (startStep === 0) config['clean'] = true;
    if (ckpt !== undefined) config['ckpt'] = ckpt;
    const flags = startStep > 0 ? this.resumeArgs(startStep) : [];
    return rlLaunch({ config, configPath, layout, gpuIds: run.gpuIds, flags });
  }

  /** The attempt's ports by the names of localPorts, each checked. */
  private ports(run: PrimeRlRun): Record<keyof Main559b447Adapter['localPorts'], number> {
    const port = (name: keyof Main559b447Adapter['localPorts']): number =>
      checkPort(run.ports[name], `ports.${name}`);
    return {
      inference: port('inference'),
      engine: port('engine'),
      envServers: port('envServers'),
      rolloutTransport: port('rolloutTransport'),
      weightBroadcast: port('weightBroadcast'),
    };
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
