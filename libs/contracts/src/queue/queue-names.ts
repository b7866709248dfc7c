/**
 * Queue and job names shared by the API (producer) and the gpu-agent (consumer).
 * Explicit strings, never class names: a queued job outlives a deploy, so renaming a value here
 * orphans jobs already in Redis. Change only with a migration of the queued jobs.
 */
export const QUEUES = {
  /** Runs waiting for an agent: one job per run attempt, id `run-<runId>`. */
  runs: 'brier-runs',
} as const;

export const JOBS = {
  trainRun: 'run.train',
  evalRun: 'run.eval',
  importRun: 'run.import',
} as const;

export type JobName = (typeof JOBS)[keyof typeof JOBS];

/** Deterministic job id: a repeat enqueue of the same run is a no-op while the job exists. */
export function runJobId(runId: string): string {
  return `run-${runId}`;
}

/**
 * Redis pub/sub channel on which the API says "look at run <runId> now" (a cancel was requested).
 * Only a hint: the agent heartbeats at once, and the heartbeat's answer, from Postgres, decides.
 * A lost message costs at most one heartbeat interval.
 */
export function runSignalsChannel(queuePrefix: string): string {
  return `${queuePrefix}:run-signals`;
}
