import type { RunKind } from '../runs/run-kind.js';
import { JOBS, type JobName } from './queue-names.js';

/** Bumped when the payload shape changes; an agent refuses versions it does not know. */
export const RUN_JOB_VERSION = 1;

/**
 * What a run's job carries: ids and versions only. The spec lives in Postgres (the source of
 * truth); secrets live in the agent host's environment and never travel.
 */
export interface RunJobData {
  runId: string;
  specVersion: number;
  jobVersion: typeof RUN_JOB_VERSION;
  /** What the run needs, so an agent can skip work that cannot fit without a database read. */
  resources: {
    gpuCount: number;
    gpuType: string | null;
    labels: string[];
    /**
     * The prime-rl version a train run's config is written for: only an agent driving that version
     * can run it (config keys change between versions). Absent or null: any agent's.
     */
    primeRlVersion?: string | null;
  };
}

export const JOB_FOR_KIND: Record<RunKind, JobName> = {
  train: JOBS.trainRun,
  eval: JOBS.evalRun,
  import: JOBS.importRun,
};
