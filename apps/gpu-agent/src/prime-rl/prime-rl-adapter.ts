import type { TrainSpecDto } from '@brier/contracts';
import type { OrchestratorLogFormat } from '@brier/results';

import type { PortPlan } from '../net/free-port.js';
import type { PrimeRlPin } from './prime-rl-pins.js';

/** One attempt of a training run, as the agent is about to launch it. */
export interface PrimeRlRun {
  /** The validated spec (defaults filled in). */
  spec: TrainSpecDto;
  /**
   * The run's directory (absolute), the same for all its attempts: the config and prime-rl's
   * output_dir go under it, and a resumed attempt needs the checkpoints the earlier ones left there.
   */
  runDir: string;
  /** Physical GPU indices (nvidia-smi order) the agent reserved for this run. */
  gpuIds: readonly number[];
  /**
   * The local ports this version binds, by the names of the adapter's `localPorts` plan, each the
   * first of its group, picked free per attempt. prime-rl's defaults (vLLM's `inference` on 8000
   * on every version) are the same for every run: two runs on one host would meet there, the
   * second vLLM failing to bind only after loading its model, and its orchestrator meanwhile
   * generating from (and pushing weights to) the first run's server.
   */
  ports: Readonly<Record<string, number>>;
  /**
   * The calibrated-qa rollout log this attempt writes (absolute). One file per attempt: the env
   * numbers records from the file's start, so an attempt appending to an earlier one's file would
   * misattribute steps.
   */
  envLogPath: string;
  /** Rollouts per step for the env's step attribution; must equal spec.batchSize. Default spec.batchSize. */
  batchSize?: number;
  /**
   * The first step this attempt runs: 0, or N to resume from checkpoint step_N (N steps done);
   * then `args` end with resumeArgs(N) and the env numbers its records from step N.
   */
  startStep: number;
  /** A local BoolQ jsonl instead of the Hugging Face hub (env arg dataset_path). */
  datasetPath?: string;
  /** W&B (always offline; nothing leaves the host). Project default "brier". */
  wandb?: { project?: string; name?: string };
}

/** Where a launched run leaves the files the agent watches. */
export interface PrimeRlLayout {
  /**
   * Where this run's files go: prime-rl's output_dir (v0.x), or the run directory
   * `output_dir/<run.name>` (main). The agent moves an earlier attempt's `logs/` away from here.
   */
  outputDir: string;
  /** The orchestrator's console: the per-step lines the agent turns into progress. */
  orchestratorLog: string;
  trainerLog: string;
  inferenceLog: string;
  /** The launcher's own log file (its console goes to the agent's pipe). */
  launcherLog: string;
  /** `step_N/` directories of trainer checkpoints (what a resume restarts from). */
  checkpointsDir: string;
  /** `step_N/` directories of Hugging Face weights (servable by vLLM); null when the version has none. */
  weightsDir: string | null;
}

/** Everything needed to start prime-rl for a run: write `toml` to `configPath`, run `uv args…`. */
export interface PrimeRlLaunch {
  /** The config file's text. Values are serialised by a TOML library, never spliced into text. */
  toml: string;
  /** Where `args` expect the config file. */
  configPath: string;
  /** Arguments to `uv`, run in the prime-rl checkout (`uv run --no-sync rl @ <config> …`). */
  args: string[];
  /** Added to the host's environment (secrets such as HF_TOKEN are the caller's to add). */
  env: Record<string, string>;
  layout: PrimeRlLayout;
}

/** A standalone inference server (prime-rl's `inference` entry point) for an evaluation. */
export interface PrimeRlInferenceServer {
  /** A Hugging Face model id, or the absolute path of HF weights (a checkpoint's `weights/step_N`). */
  model: string;
  /** Physical GPU indices (nvidia-smi order) reserved for the server; one data-parallel replica each. */
  gpuIds: readonly number[];
  /** Local port to serve on; the server binds 127.0.0.1 only. */
  port: number;
  /** The run's directory (absolute): the server's console files go under it. */
  runDir: string;
}

/** Everything needed to start the server: run `uv args…` in the prime-rl checkout with `env`. */
export interface PrimeRlInferenceLaunch {
  /** Arguments to `uv` (`run --no-sync inference --model.name … --server.port …`). */
  args: string[];
  /** Added to the host's environment (CUDA_VISIBLE_DEVICES and friends). */
  env: Record<string, string>;
  /** Where the server's stdout (vLLM's log, the access lines) should go. */
  stdoutPath: string;
  /** Where its stderr (uvicorn's lines, tracebacks) should go. */
  stderrPath: string;
  /** The model name the server answers to (`model` in requests, the id /v1/models lists). */
  servedModel: string;
}

/**
 * One prime-rl config-schema generation. prime-rl renames keys between releases without aliases
 * (shared/docs/prime-rl.md §0), so each pinned version gets its own adapter; a run names the
 * version it was written for and the agent refuses versions it has no adapter for.
 */
export interface PrimeRlAdapter {
  readonly version: string;
  readonly pin: PrimeRlPin;
  /** Which per-step log line generation the orchestrator prints (for OrchestratorLogParser). */
  readonly logFormat: OrchestratorLogFormat;
  /**
   * The local ports a training launch binds that the config can move, with the offsets each one
   * drags along (freeLocalPorts picks a free base per name): always `inference`, the port the
   * orchestrator's client talks to. prime-rl's defaults are fixed (vLLM on 8000, …), so two runs
   * on one host would meet there; with ports of their own per attempt, training runs share a host.
   */
  readonly localPorts: PortPlan;
  buildConfig(run: PrimeRlRun): PrimeRlLaunch;
  /** Extra `uv` arguments that resume from the checkpoint of `step` (N steps done). */
  resumeArgs(step: number): string[];
  /** How to start this version's OpenAI-compatible inference server on its own (evaluations). */
  buildInferenceServer(server: PrimeRlInferenceServer): PrimeRlInferenceLaunch;
}

/** A run that cannot be turned into a prime-rl config (bad paths, GPUs, sizes). Not retryable. */
export class PrimeRlConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrimeRlConfigError';
  }
}
