import { RESUMABLE_CHECKPOINT_KIND, type CheckpointKindName, type ResumeCheckpoint } from '@brier/contracts';
import type { DataSource } from 'typeorm';

import { leaseRefusal, lockLease, type Fenced, type Queryable } from '../agents/fence.js';
import { isUuid } from '../uuid.js';

export interface CheckpointReport {
  step: number;
  kind: CheckpointKindName;
  /** Relative to the run's work directory on the agent host (validated by the DTO). */
  path: string;
  complete: boolean;
  /** SHA-256 of its files' paths and sizes (complete checkpoints); null or absent when unknown. */
  fingerprint?: string | null;
}

/** How many checkpoints a claim offers to resume from: the newest and a few fallbacks. */
export const RESUME_CHECKPOINTS_OFFERED = 4;

/**
 * The complete checkpoints a new attempt can resume from (prime-rl's `ckpt.resume_step` restores
 * the trainer state), newest first, at most `limit`; empty to start fresh. Only ones consistent
 * with the rollouts the run keeps: for every earlier step, the current rows (its highest attempt's,
 * what the metrics read) are a whole batch, from the checkpoint's own attempt or one before it. A
 * resume from step N never runs steps below N again, so a lost attempt's rollouts that never
 * arrived would be lost for good; and a checkpoint from before a later attempt re-generated some
 * of its steps holds a model trained on rollouts that are no longer the run's. The final step's
 * checkpoint (step = max_steps) qualifies only with a fingerprint: an attempt lost after training
 * ended is then re-committed from it without re-running the GPU, once the agent finds the
 * directory unchanged (reliability.md §2.11 #16). The older ones are the agent's fallbacks when the
 * newest is not usable on its host. Call it while holding the run's row lock (a claim does), so no
 * checkpoint report slips in between.
 */
export async function findResumeCheckpoints(
  q: Queryable,
  runId: string,
  limit = RESUME_CHECKPOINTS_OFFERED,
): Promise<ResumeCheckpoint[]> {
  const rows = await q.query<
    { step: number; attempt: number; agent_id: string | null; path: string; fingerprint: string | null }[]
  >(
    `SELECT c.step, c.attempt, c.path, c.fingerprint, t.agent_id
     FROM checkpoints c LEFT JOIN run_attempts t ON t.run_id = c.run_id AND t.number = c.attempt
       JOIN runs r ON r.id = c.run_id
     WHERE c.run_id = $1 AND c.kind = $2 AND c.complete
       AND (r.max_steps IS NULL OR c.step < r.max_steps OR (c.step = r.max_steps AND c.fingerprint IS NOT NULL))
       AND NOT EXISTS (
         SELECT 1 FROM generate_series(0, c.step - 1) AS earlier (step)
         WHERE NOT EXISTS (
           SELECT 1 FROM (
             SELECT a.attempt, a.n FROM step_aggregates a
             WHERE a.run_id = c.run_id AND a.step = earlier.step
             ORDER BY a.attempt DESC LIMIT 1
           ) AS current_rows
           WHERE current_rows.n >= (r.spec ->> 'batchSize')::int AND current_rows.attempt <= c.attempt
         )
       )
     ORDER BY c.step DESC LIMIT $3`,
    [runId, RESUMABLE_CHECKPOINT_KIND, limit],
  );
  return rows.map((row) => ({
    step: row.step,
    attempt: row.attempt,
    agentId: row.agent_id,
    path: row.path,
    fingerprint: row.fingerprint,
  }));
}

/** Checkpoints the running agent reports, fenced by its lease. */
export class CheckpointRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Upsert the checkpoint (run, step, kind) for the lease's attempt: the latest report wins, so
   * `complete: true` follows an earlier incomplete report, and a step regenerated after a resume
   * replaces the older attempt's checkpoint (incomplete again until it is written).
   */
  async report(
    runId: string,
    leaseToken: string,
    report: CheckpointReport,
  ): Promise<Fenced<{ checkpointId: string }>> {
    if (!isUuid(runId)) return { ok: false, reason: 'unknown-run' };
    return this.dataSource.transaction(async (manager) => {
      const lease = await lockLease(manager, runId, leaseToken);
      if (!lease) return leaseRefusal(manager, runId);
      const [row] = await manager.query<{ id: string }[]>(
        `INSERT INTO checkpoints AS c (run_id, attempt, step, kind, path, complete, fingerprint)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (run_id, step, kind) DO UPDATE SET
           attempt = EXCLUDED.attempt, path = EXCLUDED.path, complete = EXCLUDED.complete,
           fingerprint = EXCLUDED.fingerprint,
           created_at = CASE WHEN c.attempt = EXCLUDED.attempt THEN c.created_at ELSE now() END
         RETURNING id`,
        [
          runId,
          lease.attempt,
          report.step,
          report.kind,
          report.path,
          report.complete,
          report.fingerprint ?? null,
        ],
      );
      if (!row) throw new Error(`checkpoint of run ${runId} returned no row`);
      return { ok: true, value: { checkpointId: row.id } };
    });
  }
}
