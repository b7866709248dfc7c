// What the API's rollouts, metrics and imports modules use beyond the core repositories
// (apps/api/src/rollouts, apps/api/src/metrics, apps/api/src/imports), exported from the package
// index in one line.
export { LeaseLostError, RolloutIngestSession } from './rollout-ingest-session.js';
export {
  encodeRolloutBatch,
  RolloutBatchEncoder,
  rolloutBatchTransferList,
  type EncodedRolloutBatch,
} from './rollout-batch.js';
export { isWellFormedText } from './rollout-row.js';
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
export type { EnsembleQuestion, EnsembleSummary, StepMetricValue } from '../metrics/metric-rows.js';
export { COMPARABLE_STEP_METRICS, type ComparableStepMetric } from '../metrics/metrics.sql.js';
export { ImportRunRepository, type ImportHeartbeat } from '../imports/import-run.repository.js';
