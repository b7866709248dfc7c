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
