import { QUEUES, runJobId } from '@brier/contracts';
import type { RunEntity } from '@brier/database';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { JobState, Queue } from 'bullmq';

import { ApiConfig } from '../config/api.config.js';
import { withDeadline } from '../health/deadline.js';
import { QueueRedis } from './queue-redis.js';
import { QueueUnavailableError } from './queue-unavailable.error.js';
import { runJobData, runJobName, runJobOptions } from './run-job-options.js';

export type RunJobState = JobState | 'unknown';
export type UndeliverableState = Extract<RunJobState, 'unknown' | 'completed' | 'failed'>;

/**
 * Every queue operation on a run's job, each bounded by ENQUEUE_TIMEOUT_MS: with Redis down,
 * BullMQ either fails at once (offline queue off) or, when Redis was never reached, waits for a
 * connection; either way the caller gets a QueueUnavailableError in time to answer 503.
 * An operation that timed out may still complete later; every one of them is idempotent.
 */
@Injectable()
export class RunEnqueuer {
  constructor(
    @InjectQueue(QUEUES.runs) private readonly queue: Queue,
    private readonly redis: QueueRedis,
    private readonly config: ApiConfig,
  ) {}

  /**
   * Add the run's job; a no-op while a job with the run's id exists (in any state). Never for an
   * import run: the API processes those itself, and no agent could take the job.
   */
  async enqueue(run: RunEntity): Promise<void> {
    if (run.kind === 'import') throw new Error(`run ${run.id} is an import run: it gets no job`);
    const [name, data, options] = [runJobName(run), runJobData(run), runJobOptions(run.id)];
    await this.bounded('add', () => this.queue.add(name, data, options));
  }

  /**
   * A fresh job for a run that is queued again: the previous job, which BullMQ keeps once it has
   * completed or failed and which would turn an add into a no-op, is removed first. 'active' when
   * the previous job is being processed (locked by an agent) and was left alone: that agent's
   * claim of the queued run decides.
   */
  async replace(run: RunEntity): Promise<'added' | 'active'> {
    if (!(await this.removeJob(run.id))) return 'active';
    await this.enqueue(run);
    return 'added';
  }

  /** Remove the run's job. True when it is gone (or never was), false when an agent holds it. */
  async removeJob(runId: string): Promise<boolean> {
    const removed = await this.bounded('remove', () => this.queue.remove(runJobId(runId)));
    return removed === 1;
  }

  /** The job's state, 'unknown' when there is no such job. */
  async jobState(runId: string): Promise<RunJobState> {
    return this.bounded('getJobState', () => this.queue.getJobState(runJobId(runId)));
  }

  /**
   * Of these runs, those whose job will never be delivered: it is missing ('unknown'), or it has
   * finished ('completed', 'failed'). One pipelined round trip for the whole list (the reconciler
   * looks at every queued run each pass), reading BullMQ's keys: the job's hash and the
   * completed and failed sets.
   */
  async undeliverable(runIds: readonly string[]): Promise<Map<string, UndeliverableState>> {
    const found = new Map<string, UndeliverableState>();
    if (runIds.length === 0) return found;
    const [completed, failed] = [this.queue.toKey('completed'), this.queue.toKey('failed')];
    const pipeline = this.redis.client.pipeline();
    for (const runId of runIds) {
      const jobId = runJobId(runId);
      pipeline.exists(this.queue.toKey(jobId)).zscore(completed, jobId).zscore(failed, jobId);
    }
    const replies = (await this.bounded('job lookup', () => pipeline.exec())) ?? [];
    runIds.forEach((runId, i) => {
      const [exists, inCompleted, inFailed] = [0, 1, 2].map((k) => {
        const [error, value] = replies[3 * i + k] ?? [new Error('no reply'), null];
        if (error) throw new QueueUnavailableError('job lookup', error);
        return value;
      });
      if (exists === 0) found.set(runId, 'unknown');
      else if (inFailed !== null) found.set(runId, 'failed');
      else if (inCompleted !== null) found.set(runId, 'completed');
    });
    return found;
  }

  /** Why the run's job failed (its last error), or null. */
  async failedReason(runId: string): Promise<string | null> {
    const job = await this.bounded('getJob', () => this.queue.getJob(runJobId(runId)));
    return job?.failedReason ? job.failedReason.slice(0, 500) : null;
  }

  /** Jobs per state. */
  async counts(): Promise<Record<string, number>> {
    return this.bounded('getJobCounts', () => this.queue.getJobCounts());
  }

  private async bounded<T>(operation: string, work: () => Promise<T>): Promise<T> {
    const pending = work(); // a synchronous throw is a bug, not an unavailable Redis
    try {
      return await withDeadline(pending, this.config.ENQUEUE_TIMEOUT_MS, `Redis ${operation}`);
    } catch (error) {
      throw new QueueUnavailableError(operation, error);
    }
  }
}
