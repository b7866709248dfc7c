import { JOBS, RUN_JOB_VERSION, type JobName, type RunJobData } from '@brier/contracts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AGENT_JOBS: ReadonlySet<string> = new Set<JobName>([JOBS.trainRun, JOBS.evalRun]);

/** A job this agent can never process: failed at once, without retries (reliability.md §2.11). */
export class MalformedJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedJobError';
  }
}

/**
 * The job as the contract defines it, or a MalformedJobError naming what is wrong. Anything can
 * be put on a queue by hand; the agent checks before it reserves a GPU or calls the API.
 */
export function parseRunJob(name: string, data: unknown): RunJobData {
  if (!AGENT_JOBS.has(name)) {
    throw new MalformedJobError(
      `job name "${name.slice(0, 64)}" is not one an agent runs (${[...AGENT_JOBS].join(', ')})`,
    );
  }
  if (typeof data !== 'object' || data === null) throw new MalformedJobError('job data is not an object');
  const job = data as Partial<Record<keyof RunJobData, unknown>>;
  if (job.jobVersion !== RUN_JOB_VERSION) {
    throw new MalformedJobError(
      `jobVersion ${String(job.jobVersion)} is not ${RUN_JOB_VERSION}, the one this agent knows`,
    );
  }
  if (typeof job.runId !== 'string' || !UUID.test(job.runId))
    throw new MalformedJobError('runId is not a UUID');
  if (!Number.isInteger(job.specVersion)) throw new MalformedJobError('specVersion is not an integer');
  const resources = job.resources as Partial<RunJobData['resources']> | undefined;
  if (typeof resources !== 'object' || resources === null)
    throw new MalformedJobError('resources is missing');
  const { gpuCount, gpuType, labels, primeRlVersion } = resources;
  if (typeof gpuCount !== 'number' || !Number.isInteger(gpuCount) || gpuCount < 0 || gpuCount > 64) {
    throw new MalformedJobError('resources.gpuCount is not a whole number from 0 to 64');
  }
  if (gpuType !== null && gpuType !== undefined && typeof gpuType !== 'string') {
    throw new MalformedJobError('resources.gpuType is not a string or null');
  }
  if (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string')) {
    throw new MalformedJobError('resources.labels is not a list of strings');
  }
  if (primeRlVersion !== null && primeRlVersion !== undefined && typeof primeRlVersion !== 'string') {
    throw new MalformedJobError('resources.primeRlVersion is not a string or null');
  }
  return {
    runId: job.runId,
    specVersion: job.specVersion as number,
    jobVersion: RUN_JOB_VERSION,
    resources: { gpuCount, gpuType: gpuType ?? null, labels, primeRlVersion: primeRlVersion ?? null },
  };
}
