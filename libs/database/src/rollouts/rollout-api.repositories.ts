// What the API's rollouts, metrics and imports modules use beyond the core repositories
// (apps/api/src/rollouts, apps/api/src/metrics, apps/api/src/imports), exported from the package
// index in one line.
export {
  LeaseLostError,
  RolloutIngestSession,
  RolloutStreamIngestRepository,
} from './rollout-stream-ingest.repository.js';
export { prepareRolloutBatch, type PreparedRolloutBatch } from './rollout-batch.js';
export {
  decodeRolloutCursor,
  encodeRolloutCursor,
  EXPORT_FETCH_ROWS,
  InvalidRolloutCursorError,
  RolloutQueryRepository,
  type RolloutPage,
  type StoredRollout,
} from './rollout-query.repository.js';
export {
  SAMPLE_FILTERS,
  type RolloutFilter,
  type RolloutKey,
  type SampleFilter,
} from './rollout-query.sql.js';
export {
  MetricsQueryRepository,
  type EnsembleQuestion,
  type EnsembleSummary,
  type StepMetricValue,
} from '../metrics/metrics-query.repository.js';
export { COMPARABLE_STEP_METRICS, type ComparableStepMetric } from '../metrics/metrics.sql.js';
export { ImportRunRepository, type ImportHeartbeat } from '../imports/import-run.repository.js';
