export { RUN_KINDS, type RunKind } from './runs/run-kind.js';
export {
  CLAIMABLE_RUN_STATUSES,
  isTerminal,
  RUN_STATUSES,
  TERMINAL_RUN_STATUSES,
  type RunStatus,
} from './runs/run-status.js';
export { JOBS, QUEUES, runJobId, runSignalsChannel, type JobName } from './queue/queue-names.js';
export { JOB_FOR_KIND, RUN_JOB_VERSION, type RunJobData } from './queue/run-job.js';

// The run spec: DTOs (class-validator + OpenAPI), defaults, validation, presets.
export { PRIME_RL_VERSIONS, SPEC_VERSION, type PrimeRlVersion } from './runs/spec-version.js';
export {
  CreateRunDto,
  isRunKind,
  SPEC_CLASSES,
  type RunSpecDto,
  type ValidRunRequest,
} from './runs/dto/create-run.dto.js';
export { ResourcesDto } from './runs/dto/resources.dto.js';
export { TrainSpecDto } from './runs/dto/train-spec.dto.js';
export {
  CheckpointRefDto,
  EndpointDto,
  EVAL_TARGET_KEYS,
  EvalSpecDto,
  EvalTargetDto,
  evalTargetKind,
  type EvalTargetKind,
} from './runs/dto/eval-spec.dto.js';
export { IMPORT_SOURCES, ImportSpecDto, type ImportSource } from './runs/dto/import-spec.dto.js';
export {
  DATASET_NAMES,
  DATASET_SPLITS,
  EvalDatasetDto,
  TrainDatasetDto,
  type DatasetName,
  type DatasetSplit,
} from './runs/dto/dataset.dto.js';
export { RewardDto } from './runs/dto/reward.dto.js';
export { PrimeRlDto } from './runs/dto/prime-rl.dto.js';
export {
  EVAL_SPEC_DEFAULTS,
  IMPORT_SPEC_DEFAULTS,
  SPEC_DEFAULTS,
  TRAIN_SPEC_DEFAULTS,
  withDefaults,
} from './runs/spec-defaults.js';
export { LABEL_PATTERN, RUN_LIMITS, RUN_NAME_PATTERN, isHfModelId } from './runs/validation/limits.js';
export {
  flattenValidationErrors,
  formatRunRequestErrors,
  RUN_REQUEST_PIPE_OPTIONS,
  RUN_REQUEST_TRANSFORM_OPTIONS,
  RUN_REQUEST_VALIDATOR_OPTIONS,
  validateRunRequest,
  validateRunSpec,
  type RunRequestError,
  type RunSpecResult,
  type SpecOfKind,
  type RunRequestResult,
} from './runs/validate-run-request.js';
export { listPresetNames, listPromptTemplateNames, promptTemplateProblem } from './runs/config-catalog.js';
export { InvalidPresetError, UnknownPresetError } from './runs/presets/preset-errors.js';
export { listPresets, loadPreset, type RunPreset } from './runs/presets/preset-loader.js';
export {
  parseRunRequest,
  resolveRunRequest,
  type ResolvedRunRequest,
} from './runs/presets/resolve-run-request.js';

// The agent-facing API: DTOs (class-validator + OpenAPI), limits, conflict reasons, views.
export {
  AGENT_LIMITS,
  AGENT_NAME_PATTERN,
  AGENT_REPORTED_STATUSES,
  AGENT_STATUSES,
  CHECKPOINT_KINDS,
  LOG_STREAMS,
  RESUMABLE_CHECKPOINT_KIND,
  RUN_EVENT_TYPE_PATTERN,
  RUN_OUTCOMES,
  relativePathProblem,
  utf8Bytes,
  type AgentReportedStatus,
  type AgentStatusName,
  type CheckpointKindName,
  type LogStream,
  type RunOutcome,
} from './agents/agent-limits.js';
export { AGENT_API } from './agents/agent-routes.js';
export { GpuDto } from './agents/gpu.dto.js';
export { gpuMatchesType, missingLabels } from './agents/gpu-placement.js';
export { RegisterAgentDto, type RegisterAgentResponse } from './agents/register-agent.dto.js';
export {
  AgentHeartbeatDto,
  HeartbeatRunDto,
  type AgentHeartbeatResponse,
} from './agents/agent-heartbeat.dto.js';
export { ClaimRunDto, type ClaimRunResponse, type ResumeCheckpoint } from './agents/claim-run.dto.js';
export { OrchestratorStepDto, RunProgressDto, type RunProgressResponse } from './agents/run-progress.dto.js';
export { ReportRunEventDto, type ReportRunEventResponse } from './agents/run-event.dto.js';
export { AppendRunLogsDto, type AppendRunLogsResponse } from './agents/run-logs.dto.js';
export {
  CHECKPOINT_FINGERPRINT_PATTERN,
  ReportCheckpointDto,
  type ReportCheckpointResponse,
} from './agents/run-checkpoint.dto.js';
export { FinishRunDto, RunErrorDto, type FinishRunResponse } from './agents/finish-run.dto.js';
export {
  LEASE_CONFLICT_REASONS,
  type LeaseConflictBody,
  type LeaseConflictReason,
} from './agents/lease-conflict.js';
export type {
  AgentGpuView,
  AgentRunView,
  AgentView,
  RunLogLineView,
  RunLogPage,
} from './agents/agent-view.js';

// Rollouts on the wire: ingestion (NDJSON), reads and exports, route paths.
export * from './rollouts/rollout-wire.js';

// Access control: roles, the token prefix, the panel's session cookie.
export {
  API_ROLES,
  API_TOKEN_PREFIX,
  isApiRole,
  SESSION_COOKIE,
  SESSION_PATH,
  TOKEN_NAME_PATTERN,
  type ApiRole,
} from './auth/api-roles.js';
