import { JOB_FOR_KIND, RUN_JOB_VERSION, runJobId, type JobName, type RunJobData } from '@brier/contracts';
import type { RunEntity } from '@brier/database';
import type { JobsOptions } from 'bullmq';

/** Deliveries of one run attempt's job before BullMQ fails it (retryable agent errors). */
export const RUN_JOB_ATTEMPTS = 3;

const DAY_S = 86_400;

/** The job's name: the run's kind, as the contract names it. */
export function runJobName(run: Pick<RunEntity, 'kind'>): JobName {
  return JOB_FOR_KIND[run.kind];
}

/**
 * What the job carries: ids, versions and the resources an agent matches against, never the spec
 * (Postgres has it) and never secrets (the agent host's environment has them).
 */
export function runJobData(
  run: Pick<RunEntity, 'id' | 'kind' | 'spec' | 'specVersion' | 'gpuCount' | 'gpuType' | 'labels'>,
): RunJobData {
  return {
    runId: run.id,
    specVersion: run.specVersion,
    jobVersion: RUN_JOB_VERSION,
    resources: {
      gpuCount: run.gpuCount,
      gpuType: run.gpuType ?? null,
      labels: [...run.labels],
      primeRlVersion: trainedWith(run),
    },
  };
}

/** The prime-rl version a train run's spec names (evaluations and imports run on any agent). */
function trainedWith(run: Pick<RunEntity, 'kind' | 'spec'>): string | null {
  if (run.kind !== 'train') return null;
  const version = (run.spec as { primeRl?: { version?: unknown } } | null)?.primeRl?.version;
  return typeof version === 'string' ? version : null;
}

/**
 * One deterministic id per run (a repeat add is a no-op while the job exists), exponential
 * backoff with jitter between deliveries, a day of completed jobs and two weeks of failed ones
 * kept for inspection (reliability.md §2.4–2.5, §2.10).
 */
export function runJobOptions(runId: string): JobsOptions {
  return {
    jobId: runJobId(runId),
    attempts: RUN_JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: 10_000, jitter: 0.5 },
    removeOnComplete: { age: DAY_S, count: 1000 },
    removeOnFail: { age: 14 * DAY_S },
  };
}
