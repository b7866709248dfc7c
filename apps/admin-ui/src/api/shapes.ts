import { arrayOf, enumOf, fields, value } from './shape.js';
import {
  AGENT_STATUSES,
  LOG_STREAMS,
  RUN_KINDS,
  RUN_STATUSES,
  SAMPLE_FILTERS,
  type AgentGpu,
  type AgentRun,
  type AgentView,
  type Checkpoint,
  type CompareRun,
  type CompareStep,
  type CompareView,
  type LogLine,
  type Preset,
  type QueueSummary,
  type ReliabilityBin,
  type ReliabilityGroup,
  type RunAttempt,
  type RunEvent,
  type RunEventPage,
  type RunPage,
  type RunResources,
  type RunView,
  type Sample,
  type SamplesView,
  type StepMetrics,
} from './types.js';

// The shape of every type in ./types.ts (see ./shape.ts for why).

export const RUN = fields<RunView>({
  id: value,
  kind: enumOf(RUN_KINDS),
  name: value,
  description: value,
  status: enumOf(RUN_STATUSES),
  preset: value,
  spec: value,
  specVersion: value,
  resources: fields<RunResources>({ gpuCount: value, gpuType: value, labels: arrayOf(value) }),
  maxSteps: value,
  progressStep: value,
  attempt: value,
  agentId: value,
  heartbeatAt: value,
  cancelRequestedAt: value,
  createdAt: value,
  updatedAt: value,
  startedAt: value,
  finishedAt: value,
  exitCode: value,
  error: value,
  createdBy: value,
});

export const RUN_PAGE = fields<RunPage>({ items: arrayOf(RUN), nextCursor: value });

export const ATTEMPT = fields<RunAttempt>({
  number: value,
  status: value,
  agentId: value,
  resumeStep: value,
  startedAt: value,
  finishedAt: value,
  exitCode: value,
  signal: value,
  error: value,
});

export const EVENT_PAGE = fields<RunEventPage>({
  items: arrayOf(
    fields<RunEvent>({
      id: value,
      at: value,
      type: value,
      fromStatus: value,
      toStatus: value,
      actor: value,
      reason: value,
      data: value,
    }),
  ),
  nextAfter: value,
});

export const CHECKPOINT = fields<Checkpoint>({
  step: value,
  kind: value,
  attempt: value,
  path: value,
  complete: value,
  createdAt: value,
});

export const STEP_METRICS = fields<StepMetrics>({
  step: value,
  n: value,
  parse_rate: value,
  reward: value,
  brier: value,
  ece: value,
  ece_top_label: value,
  mce: value,
  accuracy: value,
  mean_length: value,
  penalized_share: value,
  orchestrator_reward: value,
  orchestrator_seq_len: value,
  reward_brier: value,
  attempt: value,
});

export const RELIABILITY_GROUP = fields<ReliabilityGroup>({
  group: value,
  first_step: value,
  last_step: value,
  steps: value,
  n: value,
  bins: arrayOf(
    fields<ReliabilityBin>({
      index: value,
      lo: value,
      hi: value,
      center: value,
      count: value,
      mean_p: value,
      observed: value,
    }),
  ),
});

export const COMPARE = fields<CompareView>({
  metric: value,
  runs: arrayOf(fields<CompareRun>({ id: value, name: value, kind: value, status: value })),
  // `values` is keyed by run id: an open object by design.
  steps: arrayOf(fields<CompareStep>({ step: value, values: value })),
});

export const SAMPLES = fields<SamplesView>({
  step: value,
  filter: enumOf(SAMPLE_FILTERS),
  seed: value,
  items: arrayOf(
    fields<Sample>({
      step: value,
      attempt: value,
      sample_key: value,
      example_id: value,
      label: value,
      p_yes: value,
      parseable: value,
      brier_score: value,
      length_penalty: value,
      reward: value,
      reward_brier: value,
      approx_tokens: value,
      parsed_answer: value,
      completion: value,
      prompt: value,
    }),
  ),
});

export const LOG_LINE = fields<LogLine>({
  id: value,
  attempt: value,
  stream: enumOf(LOG_STREAMS),
  seq: value,
  line: value,
  at: value,
});

export const AGENT = fields<AgentView>({
  id: value,
  name: value,
  hostname: value,
  version: value,
  primeRlVersion: value,
  labels: arrayOf(value),
  status: enumOf(AGENT_STATUSES),
  registeredAt: value,
  heartbeatAt: value,
  heartbeatAgeMs: value,
  gpus: arrayOf(
    fields<AgentGpu>({
      index: value,
      uuid: value,
      name: value,
      memoryTotalMiB: value,
      memoryUsedMiB: value,
      driverVersion: value,
      cudaVersion: value,
      runId: value,
    }),
  ),
  runs: arrayOf(
    fields<AgentRun>({
      runId: value,
      name: value,
      kind: enumOf(RUN_KINDS),
      status: enumOf(RUN_STATUSES),
      attempt: value,
      gpuIndices: arrayOf(value),
      progressStep: value,
      maxSteps: value,
      startedAt: value,
      heartbeatAt: value,
    }),
  ),
});

export const QUEUE_SUMMARY = fields<QueueSummary>({ queue: value, counts: value });

export const PRESET = fields<Preset>({
  name: value,
  description: value,
  kind: enumOf(RUN_KINDS),
  resources: value,
  spec: value,
});
