import { hostname } from 'node:os';

import { CommaList, IsHttpUrl, RedisConfig, Secret } from '@brier/config';
import { AGENT_LIMITS, LABEL_PATTERN } from '@brier/contracts';
import {
  ArrayMaxSize,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
// A git tag, branch or commit; never starting with "-", so it can't be read as an option.
const GIT_REF = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
const NO_WHITESPACE = /^\S+$/;
const GPU_READERS = ['nvml', 'nvidia-smi'] as const;
export type GpuReaderKind = (typeof GPU_READERS)[number];

/** The GPU agent's environment, validated at boot (`loadConfigOrExit(AgentConfig)`); Redis's part in RedisConfig. */
export class AgentConfig extends RedisConfig {
  /** The Brier API this agent registers with and reports to. */
  @IsHttpUrl()
  API_URL: string = 'http://127.0.0.1:3000';

  /** Where runs write their files; every path a job names must stay inside it. */
  @IsString()
  @IsNotEmpty({ message: 'must be a directory path' })
  AGENT_WORK_DIR: string = './.data/agent';

  /**
   * Where run directories go (config, checkpoints, logs, rollout files); unset: `<work dir>/runs`.
   * Point every agent at one shared filesystem and a run resumes from its last checkpoint on any
   * of them, and any of them can serve a checkpoint for an evaluation.
   */
  @IsOptional()
  @IsString()
  @IsNotEmpty({ message: 'must be a directory path' })
  AGENT_RUNS_DIR?: string;

  @Matches(NAME, {
    message: 'must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit',
  })
  AGENT_NAME: string = hostname();

  /** Comma-separated labels jobs can ask for, e.g. `a100,spot`: the API's rules (LABEL_PATTERN), checked at boot. */
  @CommaList()
  @ArrayMaxSize(AGENT_LIMITS.labelsMax, { message: `must have at most ${AGENT_LIMITS.labelsMax} labels` })
  @Matches(LABEL_PATTERN, {
    each: true,
    message:
      'must be a comma-separated list of lowercase labels (1-63 of a-z, 0-9, ".", "_", "-" each; no spaces)',
  })
  AGENT_LABELS: string[] = [];

  /** An existing prime-rl checkout to use instead of installing PRIME_RL_VERSION. */
  @IsOptional()
  @IsString()
  PRIME_RL_DIR?: string;

  @Matches(GIT_REF, { message: 'must be a git tag or commit, like v0.4.0' })
  PRIME_RL_VERSION: string = 'v0.4.0';

  /** The program that runs prime-rl (`uv run --no-sync rl …` in PRIME_RL_DIR): a name on PATH or a path. */
  @IsString()
  @Matches(NO_WHITESPACE, { message: 'must be a program name or path, without whitespace' })
  UV_BIN: string = 'uv';

  /** The GPU inventory's source: a name on PATH (missing = a host with no GPUs) or a path. */
  @IsString()
  @Matches(NO_WHITESPACE, { message: 'must be a program name or path, without whitespace' })
  NVIDIA_SMI_BIN: string = 'nvidia-smi';

  /**
   * How the agent reads its GPUs. `nvml`: through NVML, kept open in one Python process on
   * prime-rl's virtualenv (nvidia-ml-py), a read in well under a millisecond; nvidia-smi where that
   * can't start, and while a reader that failed is restarted. `nvidia-smi`: one call per read
   * (~22 ms on an H100 host).
   */
  @IsIn(GPU_READERS, { message: `must be one of ${GPU_READERS.join(', ')}` })
  AGENT_GPU_READER: GpuReaderKind = 'nvml';

  /** Runs needing no GPU (evals of an external endpoint) this agent runs at once, besides its GPU runs. */
  @IsInt({ message: 'must be a whole number from 0 to 64' })
  @Min(0, { message: 'must be a whole number from 0 to 64' })
  @Max(64, { message: 'must be a whole number from 0 to 64' })
  AGENT_CPU_SLOTS: number = 2;

  /** After SIGINT, how long a run's processes get before the whole group is SIGKILLed. */
  @IsInt({ message: 'must be a whole number of milliseconds from 100 to 600000' })
  @Min(100, { message: 'must be a whole number of milliseconds from 100 to 600000' })
  @Max(600_000, { message: 'must be a whole number of milliseconds from 100 to 600000' })
  RUN_STOP_GRACE_MS: number = 30_000;

  /**
   * On SIGTERM, how long after RUN_STOP_GRACE_MS the agent keeps trying to report its stopped runs
   * (an API that is down too) before it exits 1 and leaves them to the API's reaper.
   */
  @IsInt({ message: 'must be a whole number of milliseconds from 0 to 600000' })
  @Min(0, { message: 'must be a whole number of milliseconds from 0 to 600000' })
  @Max(600_000, { message: 'must be a whole number of milliseconds from 0 to 600000' })
  AGENT_SHUTDOWN_REPORT_MS: number = 20_000;

  /** How long a job that does not fit here waits before any agent looks at it again. */
  @IsInt({ message: 'must be a whole number of milliseconds from 100 to 600000' })
  @Min(100, { message: 'must be a whole number of milliseconds from 100 to 600000' })
  @Max(600_000, { message: 'must be a whole number of milliseconds from 100 to 600000' })
  AGENT_HANDBACK_DELAY_MS: number = 5_000;

  /**
   * BullMQ's lock on a job this agent runs (renewed every half of it while the run lasts). When the
   * agent dies, the run's job is back in the queue about this long later.
   */
  @IsInt({ message: 'must be a whole number of milliseconds from 1000 to 600000' })
  @Min(1_000, { message: 'must be a whole number of milliseconds from 1000 to 600000' })
  @Max(600_000, { message: 'must be a whole number of milliseconds from 1000 to 600000' })
  AGENT_JOB_LOCK_MS: number = 30_000;

  /**
   * A run whose processes write nothing (no console line, no log line, no rollout) for this long is
   * hung: it is stopped and its attempt fails as retryable, instead of holding its GPUs forever.
   */
  @IsInt({ message: 'must be a whole number of milliseconds from 1000 to 86400000' })
  @Min(1_000, { message: 'must be a whole number of milliseconds from 1000 to 86400000' })
  @Max(86_400_000, { message: 'must be a whole number of milliseconds from 1000 to 86400000' })
  RUN_STALL_TIMEOUT_MS: number = 30 * 60_000;

  /** A local BoolQ jsonl for runs on hosts without Hugging Face access (the env's dataset_path). */
  @IsOptional()
  @IsString()
  BRIER_DATASET_PATH?: string;

  /** The API's bearer token for this agent. */
  @IsOptional()
  @Secret()
  @Matches(NO_WHITESPACE, { message: 'must not contain whitespace' })
  AGENT_API_TOKEN?: string;

  /** Passed to prime-rl's children only; never logged, never put in a job payload. */
  @IsOptional()
  @Secret()
  @Matches(NO_WHITESPACE, { message: 'must not contain whitespace' })
  HF_TOKEN?: string;

  @IsOptional()
  @Secret()
  @Matches(NO_WHITESPACE, { message: 'must not contain whitespace' })
  WANDB_API_KEY?: string;

  /**
   * An API key for evaluations of an external OpenAI-compatible endpoint, sent (as a bearer token)
   * only to EVAL_ENDPOINT_ORIGIN: whoever submits a run names its endpoint. Never logged.
   */
  @IsOptional()
  @Secret()
  @Matches(NO_WHITESPACE, { message: 'must not contain whitespace' })
  EVAL_ENDPOINT_API_KEY?: string;

  /** The one origin (`https://host[:port]`) that EVAL_ENDPOINT_API_KEY is sent to. */
  @ValidateIf((config: AgentConfig) => config.EVAL_ENDPOINT_API_KEY !== undefined)
  @IsHttpUrl({ message: 'must be the http(s) origin EVAL_ENDPOINT_API_KEY is for' })
  EVAL_ENDPOINT_ORIGIN?: string;
}
