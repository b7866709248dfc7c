// The API's answers as the panel reads them. Each type has a shape in ./shapes.ts that the
// OpenAPI test checks field by field against the running API's document.

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'lost'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const RUN_KINDS = ['train', 'eval', 'import'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

export const LOG_STREAMS = ['stdout', 'stderr', 'agent'] as const;
export type LogStream = (typeof LOG_STREAMS)[number];

/** Statuses after which nothing changes unless the run is retried. */
export const TERMINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

/** Statuses a run can be retried from (POST /v1/runs/{id}/retry). */
export const RETRYABLE_STATUSES: readonly RunStatus[] = ['failed', 'cancelled', 'lost'];
/** Statuses a run can be cancelled in. */
export const CANCELLABLE_STATUSES: readonly RunStatus[] = ['queued', 'running', 'lost'];

export interface RunResources {
  gpuCount: number;
  gpuType: string | null;
  labels: string[];
}

export interface RunView {
  id: string;
  kind: RunKind;
  name: string;
  description: string | null;
  status: RunStatus;
  preset: string | null;
  /** The validated spec (train, eval or import): shown as JSON, a few fields read by name. */
  spec: Record<string, unknown>;
  specVersion: number;
  resources: RunResources;
  maxSteps: number | null;
  progressStep: number | null;
  attempt: number;
  agentId: string | null;
  heartbeatAt: string | null;
  cancelRequestedAt: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  error: unknown;
  createdBy: string | null;
}

export interface RunPage {
  items: RunView[];
  nextCursor: string | null;
}

export interface RunAttempt {
  number: number;
  status: string;
  agentId: string | null;
  resumeStep: number | null;
  startedAt: string;
  finishedAt: string | null;
  exitCode: number | null;
  signal: string | null;
  error: unknown;
}

export interface RunEvent {
  id: string;
  at: string;
  type: string;
  fromStatus: string | null;
  toStatus: string | null;
  actor: string;
  reason: string | null;
  data: unknown;
}

export interface RunEventPage {
  items: RunEvent[];
  nextAfter: string | null;
}

export interface Checkpoint {
  step: number;
  kind: string;
  attempt: number;
  path: string;
  complete: boolean;
  createdAt: string;
}

/** One step of GET /v1/runs/{id}/metrics (and of the live `steps` event); docs/metrics.md. */
export interface StepMetrics {
  step: number;
  n: number;
  parse_rate: number | null;
  reward: number | null;
  brier: number;
  ece: number;
  ece_top_label: number;
  mce: number;
  accuracy: number;
  mean_length: number | null;
  penalized_share: number | null;
  orchestrator_reward: number | null;
  orchestrator_seq_len: number | null;
  reward_brier: number | null;
  attempt: number;
}

export interface ReliabilityBin {
  index: number;
  lo: number;
  hi: number;
  center: number;
  count: number;
  mean_p: number | null;
  observed: number | null;
}

export interface ReliabilityGroup {
  group: number;
  first_step: number;
  last_step: number;
  steps: number;
  n: number;
  bins: ReliabilityBin[];
}

/** The metrics GET /v1/compare takes. */
export const COMPARABLE_METRICS = [
  'reward',
  'reward_brier',
  'brier',
  'ece',
  'ece_top_label',
  'mce',
  'accuracy',
  'parse_rate',
  'mean_length',
  'penalized_share',
  'orchestrator_reward',
  'orchestrator_seq_len',
  'n',
] as const;
export type ComparableMetric = (typeof COMPARABLE_METRICS)[number];

export interface CompareRun {
  id: string;
  name: string;
  kind: string;
  status: string;
}

export interface CompareStep {
  step: number;
  values: Record<string, number | null>;
}

export interface CompareView {
  metric: ComparableMetric;
  runs: CompareRun[];
  steps: CompareStep[];
}

export const SAMPLE_FILTERS = ['random', 'parse_failures', 'confident_errors'] as const;
export type SampleFilter = (typeof SAMPLE_FILTERS)[number];

/** A stored rollout as the samples route returns it (with its prompt). */
export interface Sample {
  step: number;
  attempt: number;
  sample_key: string;
  example_id: string | null;
  label: 0 | 1;
  p_yes: number;
  parseable: boolean | null;
  brier_score: number;
  length_penalty: number | null;
  reward: number | null;
  reward_brier: number | null;
  approx_tokens: number | null;
  parsed_answer: string | null;
  completion: string | null;
  prompt?: string | null;
}

export interface SamplesView {
  step: number | null;
  filter: SampleFilter;
  seed: string;
  items: Sample[];
}

export interface LogLine {
  id: string;
  attempt: number;
  stream: LogStream;
  seq: number;
  line: string;
  at: string;
}

export const AGENT_STATUSES = ['online', 'draining', 'offline'] as const;

/**
 * GET /v1/agents: the contract's own view types (type-only: nothing of @brier/contracts reaches the
 * bundle).
 */
export type { AgentGpuView as AgentGpu, AgentRunView as AgentRun, AgentView } from '@brier/contracts';

export interface QueueSummary {
  queue: string;
  counts: Record<string, number>;
}

/** A preset of configs/presets (GET /v1/presets): what the submit form starts from. */
export interface Preset {
  name: string;
  description: string | null;
  kind: RunKind;
  resources: Record<string, unknown>;
  spec: Record<string, unknown>;
}

/** One problem of a 400: the dotted path of the field ('' for the whole body) and why. */
export interface FieldMessage {
  path: string;
  message: string;
}
