export { RUN_KINDS, type RunKind } from './runs/run-kind.js';
export {
  CLAIMABLE_RUN_STATUSES,
  isTerminal,
  RUN_STATUSES,
  TERMINAL_RUN_STATUSES,
  type RunStatus,
} from './runs/run-status.js';
export { JOBS, QUEUES, runJobId, type JobName } from './queue/queue-names.js';
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
export { RUN_LIMITS, RUN_NAME_PATTERN, isHfModelId } from './runs/validation/limits.js';
export {
  flattenValidationErrors,
  formatRunRequestErrors,
  RUN_REQUEST_PIPE_OPTIONS,
  RUN_REQUEST_TRANSFORM_OPTIONS,
  RUN_REQUEST_VALIDATOR_OPTIONS,
  validateRunRequest,
  type RunRequestError,
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
