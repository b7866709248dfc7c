import type { ClaimRunResponse, RunOutcome, RunStatus } from '@brier/contracts';
import type { DataSource, EntityManager } from 'typeorm';

import {
  OrchestratorStepRepository,
  type OrchestratorStepInput,
} from '../orchestrator/orchestrator-step.repository.js';
import { isUuid } from '../uuid.js';
import { claimRun, type ClaimInput } from './claim-run.js';
import { json, leaseRefusal, lockLease, type Fenced } from './fence.js';
import { listLostRuns, markRunsLost, type LostRun, type LostRunForRequeue } from './lost-runs.js';
import { failSilentImportRuns, type FailedImportRun } from './silent-import-runs.js';

export interface FinishInput {
  outcome: RunOutcome;
  exitCode: number | null;
  signal: string | null;
  error: { message: string; stderrTail: string | null; retryable: boolean } | null;
}

export interface FinishResult {
  status: RunStatus;
  attempt: number;
  replayed: boolean;
}

/** What a finish outcome makes of the run and of its attempt. */
function finishStatuses(outcome: RunOutcome, retryable: boolean): { run: RunStatus; attempt: RunOutcome } {
  if (outcome === 'failed' && retryable) return { run: 'queued', attempt: 'failed' };
  return { run: outcome, attempt: outcome };
}

/**
 * The lifecycle of a run's lease, all fenced in Postgres: claim (queued|lost → running with a new
 * lease token), the running agent's progress, events and finish (each `WHERE id = $1 AND
 * lease_token = $2 AND status = 'running'`, nothing written when that fails), and the reaper's
 * side (silent runs → lost, lost runs to re-queue, silent import runs → failed).
 */
export class RunLeaseRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Claim a run for an agent's current incarnation (claimRun), in one transaction. */
  async claim(runId: string, input: ClaimInput): Promise<Fenced<ClaimRunResponse>> {
    if (!isUuid(runId)) return { ok: false, reason: 'unknown-run' };
    return this.dataSource.transaction((manager) => claimRun(manager, runId, input));
  }

  /**
   * Fenced progress: the run's last completed step (never backwards within an attempt; also a
   * heartbeat of the run) and the orchestrator's step lines for the lease's attempt, together.
   */
  async progress(
    runId: string,
    leaseToken: string,
    step: number,
    steps: readonly OrchestratorStepInput[],
  ): Promise<Fenced<{ progressStep: number; orchestratorSteps: number }>> {
    if (!isUuid(runId)) return { ok: false, reason: 'unknown-run' };
    return this.dataSource.transaction(async (manager) => {
      const [row] = await manager.query<{ attempt: number; progress_step: number }[]>(
        `WITH upd AS (
           UPDATE runs SET progress_step = greatest(coalesce(progress_step, $3), $3), heartbeat_at = now()
           WHERE id = $1 AND lease_token = $2 AND status = 'running'
           RETURNING attempt, progress_step
         )
         SELECT * FROM upd`,
        [runId, leaseToken, step],
      );
      if (!row) return leaseRefusal(manager, runId);
      // The repository only runs queries: on the transaction's manager, its rows commit with the
      // fence (the UPDATE above holds the run's row lock until then).
      const recorded = await new OrchestratorStepRepository(manager as unknown as DataSource).record(
        runId,
        row.attempt,
        steps,
      );
      return { ok: true, value: { progressStep: row.progress_step, orchestratorSteps: recorded } };
    });
  }

  /**
   * A fenced run_events row from the agent (type is not 'status' or 'created': the DTO checks).
   * With `resumeStep`, the attempt's recorded resume step becomes the one it really used (null
   * for step 0: from scratch), in the same transaction as the event that says why.
   */
  async reportEvent(
    runId: string,
    leaseToken: string,
    event: { type: string; message: string; data: unknown; resumeStep: number | null },
  ): Promise<Fenced<{ eventId: string }>> {
    if (!isUuid(runId)) return { ok: false, reason: 'unknown-run' };
    return this.dataSource.transaction(async (manager) => {
      const lease = await lockLease(manager, runId, leaseToken);
      if (!lease) return leaseRefusal(manager, runId);
      const [row] = await manager.query<{ id: string }[]>(
        `INSERT INTO run_events (run_id, type, actor, reason, data) VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id`,
        [
          runId,
          event.type,
          lease.actor,
          event.message,
          json({ ...(event.data ?? {}), attempt: lease.attempt }),
        ],
      );
      if (!row) throw new Error(`event of run ${runId} returned no row`);
      if (event.resumeStep !== null) {
        // A CTE: TypeORM answers a bare UPDATE with [rows, count], not the rows.
        const [corrected] = await manager.query<{ n: number }[]>(
          `WITH upd AS (
             UPDATE run_attempts SET resume_step = NULLIF($3::int, 0)
             WHERE run_id = $1 AND number = $2 RETURNING 1
           )
           SELECT count(*)::int AS n FROM upd`,
          [runId, lease.attempt, event.resumeStep],
        );
        if (corrected?.n !== 1) throw new Error(`run ${runId} has no attempt ${lease.attempt} to correct`);
      }
      return { ok: true, value: { eventId: row.id } };
    });
  }

  /**
   * The attempt's outcome, fenced: succeeded, cancelled and non-retryable failures are terminal;
   * a retryable failure puts the run back to queued (lease and agent cleared) for BullMQ's retry
   * of the job to claim again. Records the run_attempts row and a run_events row in the same
   * transaction. A finish repeated with the same lease after it was recorded answers the recorded
   * result (replayed) instead of a conflict.
   */
  async finish(runId: string, leaseToken: string, input: FinishInput): Promise<Fenced<FinishResult>> {
    if (!isUuid(runId)) return { ok: false, reason: 'unknown-run' };
    const target = finishStatuses(input.outcome, input.error?.retryable ?? false);
    const error =
      input.error === null ? null : { ...input.error, exitCode: input.exitCode, signal: input.signal };
    return this.dataSource.transaction(async (manager) => {
      const lease = await lockLease(manager, runId, leaseToken);
      if (!lease) return this.finishReplay(manager, runId, leaseToken, target.attempt);
      const requeue = target.run === 'queued';
      await manager.query(
        `UPDATE runs SET status = $2, exit_code = $3, error = $4::jsonb,
                finished_at = CASE WHEN $5 THEN NULL ELSE now() END,
                lease_token = CASE WHEN $5 THEN NULL ELSE lease_token END,
                agent_id = CASE WHEN $5 THEN NULL ELSE agent_id END
         WHERE id = $1`,
        [runId, target.run, input.exitCode, json(error), requeue],
      );
      await manager.query(
        `UPDATE run_attempts SET status = $3, finished_at = now(), exit_code = $4, signal = $5, error = $6::jsonb
         WHERE run_id = $1 AND number = $2`,
        [runId, lease.attempt, target.attempt, input.exitCode, input.signal, json(error)],
      );
      await manager.query(
        `INSERT INTO run_events (run_id, type, from_status, to_status, actor, reason, data)
         VALUES ($1, 'status', 'running', $2, $3, $4, $5::jsonb)`,
        [
          runId,
          target.run,
          lease.actor,
          requeue
            ? `attempt ${lease.attempt} failed (retryable): waiting for a retry`
            : `attempt ${input.outcome}`,
          json({
            attempt: lease.attempt,
            outcome: input.outcome,
            exitCode: input.exitCode,
            signal: input.signal,
            error: input.error?.message ?? null,
          }),
        ],
      );
      return { ok: true, value: { status: target.run, attempt: lease.attempt, replayed: false } };
    });
  }

  private async finishReplay(
    manager: EntityManager,
    runId: string,
    leaseToken: string,
    attemptStatus: RunOutcome,
  ): Promise<Fenced<FinishResult>> {
    const [row] = await manager.query<{ number: number; attempt_status: string; run_status: RunStatus }[]>(
      `SELECT t.number, t.status AS attempt_status, r.status AS run_status
       FROM run_attempts t JOIN runs r ON r.id = t.run_id
       WHERE t.run_id = $1 AND t.lease_token = $2`,
      [runId, leaseToken],
    );
    if (row && row.attempt_status === attemptStatus) {
      return { ok: true, value: { status: row.run_status, attempt: row.number, replayed: true } };
    }
    return leaseRefusal(manager, runId);
  }

  /** The reaper's first step: running runs silent for longer than `olderThanMs` become lost. */
  async markSilentRunsLost(olderThanMs: number): Promise<LostRun[]> {
    return markRunsLost(
      this.dataSource,
      { kind: 'silent', olderThanMs },
      { actor: 'reaper', reason: `no heartbeat for more than ${olderThanMs} ms` },
    );
  }

  /**
   * The reaper's step for import runs (processed inside an API process, never by an agent): those
   * silent for longer than `olderThanMs` fail instead of becoming lost.
   */
  async failSilentImports(olderThanMs: number): Promise<FailedImportRun[]> {
    return failSilentImportRuns(this.dataSource, olderThanMs, 'reaper');
  }

  /** Lost runs (optionally only these), longest-waiting first, with what re-queueing them needs. */
  listLost(limit: number, onlyIds?: readonly string[]): Promise<LostRunForRequeue[]> {
    return listLostRuns(this.dataSource, limit, onlyIds);
  }
}
