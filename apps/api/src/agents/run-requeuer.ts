import { RunLeaseRepository, RunRepository, type LostRunForRequeue, type RunEntity } from '@brier/database';
import { Injectable, Logger } from '@nestjs/common';

import { ApiConfig } from '../config/api.config.js';
import { RunEnqueuer, type RunJobState } from '../queue/run-enqueuer.js';

/** Job states in which the run's existing job will still be delivered: nothing to add. */
const PENDING_JOB_STATES: ReadonlySet<RunJobState> = new Set([
  'waiting',
  'delayed',
  'prioritized',
  'waiting-children',
]);

export type RequeueOutcome =
  /** lost → queued, and its job is waiting (re-added, or still there). */
  | 'requeued'
  /** lost → queued, but the old job is still held by an agent or Redis is unavailable: the reconciler adds it later. */
  | 'requeued-without-job'
  /** lost → cancelled: a cancel was requested before or while it was lost. */
  | 'cancelled'
  /** lost → failed: lost RUN_MAX_LOST_ATTEMPTS times, or an import run (no agent can take it over). */
  | 'failed'
  /** Claimed (from lost), retried or deleted meanwhile: nothing done. */
  | 'skipped';

/**
 * Makes lost runs claimable again (the second half of the reaper, also right after an agent
 * re-registers): lost → queued, fenced on the status and the lost lease, with the lease and agent
 * cleared; then a fresh job under the run's deterministic id (RunEnqueuer.replace removes a
 * finished or stuck old job first; a job still waiting is kept). Losing a run is an
 * infrastructure failure, so the new job gets BullMQ's whole attempt budget, but a run lost
 * RUN_MAX_LOST_ATTEMPTS times fails instead (it may be what kills its hosts), and a run whose
 * cancel was requested is cancelled.
 *
 * The status change commits before the enqueue: when Redis is down, or an agent still holds the
 * old job, the run waits as queued and the queue reconciler adds its job later.
 */
@Injectable()
export class RunRequeuer {
  private readonly logger = new Logger('RunRequeuer');

  constructor(
    private readonly leases: RunLeaseRepository,
    private readonly runs: RunRepository,
    private readonly enqueuer: RunEnqueuer,
    private readonly config: ApiConfig,
  ) {}

  /**
   * Handle up to `limit` lost runs (optionally only these ids), longest-lost first. `actor` names
   * who does it in run_events: the reaper, or the API when an agent registered again.
   */
  async requeueLost(
    limit: number,
    options: { onlyIds?: readonly string[]; actor?: string } = {},
  ): Promise<Map<string, RequeueOutcome>> {
    const outcomes = new Map<string, RequeueOutcome>();
    for (const run of await this.leases.listLost(limit, options.onlyIds)) {
      outcomes.set(run.id, await this.requeue(run, options.actor ?? 'reaper'));
    }
    return outcomes;
  }

  private async requeue(lost: LostRunForRequeue, actor: string): Promise<RequeueOutcome> {
    const fence = {
      from: ['lost'] as const,
      ...(lost.leaseToken === null ? {} : { leaseToken: lost.leaseToken }),
    };
    if (lost.cancelRequested) {
      const run = await this.runs.transition(lost.id, {
        ...fence,
        to: 'cancelled',
        actor,
        reason: 'cancel requested while its agent was lost',
      });
      return run ? 'cancelled' : 'skipped';
    }
    if (lost.kind === 'import') {
      // The reaper fails silent imports without making them lost; this is one lost before it did.
      const message = 'an import run is processed by the API, never by an agent: not re-queued';
      const run = await this.runs.transition(lost.id, {
        ...fence,
        to: 'failed',
        actor,
        reason: message,
        set: { error: { message, retryable: false } },
      });
      return run ? 'failed' : 'skipped';
    }
    if (lost.lostAttempts >= this.config.RUN_MAX_LOST_ATTEMPTS) {
      const message = `lost ${lost.lostAttempts} times (RUN_MAX_LOST_ATTEMPTS): not re-queued again`;
      const run = await this.runs.transition(lost.id, {
        ...fence,
        to: 'failed',
        actor,
        reason: message,
        set: { error: { message, retryable: false } },
      });
      if (run) this.logger.warn(`run ${lost.id} ${message}`);
      return run ? 'failed' : 'skipped';
    }
    const run = await this.runs.transition(lost.id, {
      ...fence,
      to: 'queued',
      actor,
      reason: 're-queued: its agent stopped heartbeating or restarted',
      set: { leaseToken: null, agentId: null },
    });
    if (!run) return 'skipped';
    return (await this.ensureJob(run)) ? 'requeued' : 'requeued-without-job';
  }

  /** A job that will be delivered, for a run now queued. False when that is left to the reconciler. */
  private async ensureJob(run: RunEntity): Promise<boolean> {
    try {
      if (PENDING_JOB_STATES.has(await this.enqueuer.jobState(run.id))) return true;
      if ((await this.enqueuer.replace(run)) === 'added') return true;
      this.logger.log(
        `run ${run.id} re-queued; its old job is still held by an agent: the reconciler re-adds it`,
      );
      return false;
    } catch (error) {
      this.logger.warn(
        `run ${run.id} re-queued without a job (${(error as Error).message}): the reconciler adds it`,
      );
      return false;
    }
  }
}
