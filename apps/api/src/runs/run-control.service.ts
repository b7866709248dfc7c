import { isTerminal, TERMINAL_RUN_STATUSES, type RunStatus } from '@brier/contracts';
import { RunControlRepository, RunRepository, type RunEntity } from '@brier/database';
import { Injectable, Logger } from '@nestjs/common';

import { apiError } from '../http/api-error.js';
import { QueueUnavailableError } from '../queue/queue-unavailable.error.js';
import { RunEnqueuer } from '../queue/run-enqueuer.js';
import { RunSignals } from '../queue/run-signals.js';
import { toRunDto } from './dto/run.dto.js';
import { runConflict, runNotFound } from './run-errors.js';

const ACTOR = 'api';
const RETRYABLE: readonly RunStatus[] = ['failed', 'cancelled', 'lost'];
/** Re-reads when a fenced write lost a race (e.g. an agent claimed the run meanwhile). */
const RACE_RETRIES = 3;

export type CancelOutcome = 'cancelled' | 'cancel-requested';

/**
 * Cancel, retry and delete. Every status change is RunRepository.transition (fenced on the status
 * read just before: a concurrent change makes it touch 0 rows, and the caller gets a 409 naming
 * the status the run is in now). Queue work comes after the database write: removing a job is
 * best effort (an agent that takes a stale job finds the run not claimable), adding one that
 * fails leaves the run queued for the reconciler and answers 503.
 */
@Injectable()
export class RunControlService {
  private readonly logger = new Logger(RunControlService.name);

  constructor(
    private readonly runs: RunRepository,
    private readonly control: RunControlRepository,
    private readonly enqueuer: RunEnqueuer,
    private readonly signals: RunSignals,
  ) {}

  /**
   * queued or lost → cancelled at once (its job removed); running → a cancel request its agent
   * sees at once (a run signal makes it heartbeat) or at its next heartbeat; finished → 409.
   */
  async cancel(id: string): Promise<{ run: RunEntity; outcome: CancelOutcome }> {
    for (let i = 0; i < RACE_RETRIES; i++) {
      const run = await this.get(id);
      if (run.status === 'queued' || run.status === 'lost') {
        const cancelled = await this.runs.transition(id, {
          from: [run.status],
          to: 'cancelled',
          actor: ACTOR,
          reason: 'cancelled by request',
        });
        if (cancelled) {
          await this.removeJobQuietly(id);
          return { run: cancelled, outcome: 'cancelled' };
        }
      } else if (run.status === 'running') {
        if (run.cancelRequestedAt !== null) return { run, outcome: 'cancel-requested' };
        const requested = await this.control.requestCancel(id, { actor: ACTOR, reason: 'cancel requested' });
        if (requested) {
          await this.signals.nudge(id); // its agent heartbeats now instead of at its next beat
          return { run: requested, outcome: 'cancel-requested' };
        }
      } else {
        throw runConflict(run, `run is ${run.status}: only queued, running or lost runs can be cancelled`);
      }
    }
    throw runConflict(await this.get(id), 'run changed status while being cancelled; try again');
  }

  /**
   * failed, cancelled or lost → queued, with a fresh job (not an import run: 409). The claim that follows makes it the next
   * attempt (RunLeaseRepository.claim increments `attempt`; so a retry does not, or attempt
   * numbers would skip).
   */
  async retry(id: string): Promise<RunEntity> {
    const run = await this.get(id);
    if (run.kind === 'import') {
      // The files it read are gone, and no agent processes imports.
      throw runConflict(run, 'an import run cannot be retried: upload its files again with POST /v1/imports');
    }
    if (!RETRYABLE.includes(run.status)) {
      throw runConflict(run, `run is ${run.status}: only failed, cancelled or lost runs can be retried`);
    }
    const queued = await this.runs.transition(id, {
      from: [run.status],
      to: 'queued',
      actor: ACTOR,
      reason: 'retry requested',
      set: { leaseToken: null, agentId: null },
      data: { previousStatus: run.status, previousAttempt: run.attempt },
    });
    if (!queued) {
      const now = await this.get(id);
      throw runConflict(now, `run changed to ${now.status} meanwhile: it was not retried`);
    }
    const cleared = (await this.control.clearPreviousAttempt(id, queued.attempt)) ?? queued;
    try {
      await this.enqueuer.replace(cleared);
    } catch (error) {
      if (!(error instanceof QueueUnavailableError)) throw error;
      throw apiError(
        503,
        `run ${id} is queued again, but the job queue (Redis) is unavailable: it is enqueued automatically once Redis answers`,
        { runId: id, run: toRunDto(cleared) },
      );
    }
    return cleared;
  }

  /**
   * Delete a finished run with everything it owns. A run still queued, running or lost needs
   * `force`: it is cancelled first (a running run's agent finds it gone and stops), then deleted.
   */
  async delete(id: string, force: boolean): Promise<void> {
    for (let i = 0; i < RACE_RETRIES; i++) {
      const run = await this.get(id);
      if (!isTerminal(run.status)) {
        if (!force) {
          throw runConflict(run, `run is ${run.status}: cancel it first, or delete with force=true`);
        }
        const cancelled = await this.runs.transition(id, {
          from: [run.status],
          to: 'cancelled',
          actor: ACTOR,
          reason: 'deleted with force=true',
        });
        if (!cancelled) continue;
      }
      if (await this.control.deleteIfStatus(id, TERMINAL_RUN_STATUSES)) {
        await this.removeJobQuietly(id);
        return;
      }
    }
    throw runConflict(await this.get(id), 'run changed status while being deleted; try again');
  }

  private async get(id: string): Promise<RunEntity> {
    const run = await this.runs.findById(id);
    if (!run) throw runNotFound(id);
    return run;
  }

  /** The run's job is no longer needed; an agent that holds it finds the run not claimable. */
  private async removeJobQuietly(id: string): Promise<void> {
    try {
      if (!(await this.enqueuer.removeJob(id))) {
        this.logger.log(`job of run ${id} is held by an agent: left for it to find the run not claimable`);
      }
    } catch (error) {
      this.logger.warn(`job of run ${id} not removed: ${(error as Error).message}`);
    }
  }
}
