// The repositories of the agent-facing API, the run logs and the reaper (apps/api/src/agents,
// apps/api/src/run-logs), exported from the package index in one line.
export {
  AgentRepository,
  type HeartbeatInput,
  type HeartbeatResult,
  type RegisterAgentInput,
  type RegisteredAgent,
} from './agent.repository.js';
export { type Fenced, type FencedRun, type LeaseRefusal, type Queryable } from './fence.js';
export { claimRun, type ClaimInput } from './claim-run.js';
export {
  listLostRuns,
  markRunsLost,
  type LostRun,
  type LostRunFilter,
  type LostRunForRequeue,
} from './lost-runs.js';
export { RunLeaseRepository, type FinishInput, type FinishResult } from './run-lease.repository.js';
export { failSilentImportRuns, type FailedImportRun } from './silent-import-runs.js';
export {
  CheckpointRepository,
  findResumeCheckpoints,
  type CheckpointReport,
} from '../checkpoints/checkpoint.repository.js';
export {
  RUN_LOG_CHANNEL,
  RunLogRepository,
  type AppendLogsInput,
  type RunLogNotification,
  type RunLogQuery,
} from '../logs/run-log.repository.js';
