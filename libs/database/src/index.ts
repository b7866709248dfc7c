export * from './entities/index.js';
export { DATABASE_MIGRATIONS } from './migrations/index.js';
export * from './migrations/1795663310000-live-notify.js';
export {
  createDataSource,
  dataSourceOptions,
  MIGRATIONS_TABLE,
  type DatabaseOptions,
} from './data-source.js';
export { runMigrations, type MigrationReport } from './run-migrations.js';
export {
  MetricsRepository,
  type ReliabilityBinStats,
  type ReliabilityGroup,
  type RunStepMetrics,
} from './metrics/metrics.repository.js';
export { METRIC_VIEWS } from './metrics/metrics.sql.js';
export {
  OrchestratorStepRepository,
  type OrchestratorStepInput,
} from './orchestrator/orchestrator-step.repository.js';
export {
  BatchRunMismatchError,
  RolloutIngestRepository,
  UnknownRunError,
  type IngestResult,
} from './rollouts/rollout-ingest.repository.js';
export { RolloutBatchError, validateRolloutRow, type RolloutRow } from './rollouts/rollout-row.js';
export {
  RunRepository,
  type CreateRunInput,
  type CreateRunResult,
  type ListRunsQuery,
  type RunPage,
  type RunTransition,
  type RunTransitionPatch,
} from './runs/run.repository.js';
export { InvalidCursorError } from './runs/run-cursor.js';
export { driverErrorCode } from './query-errors.js';
export * from './runs/run-api.repositories.js';
export * from './agents/agent-api.repositories.js';
export * from './rollouts/rollout-api.repositories.js';
export * from './tokens/token-api.repositories.js';
