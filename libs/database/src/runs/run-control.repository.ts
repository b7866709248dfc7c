import type { RunStatus } from '@brier/contracts';
import type { DataSource } from 'typeorm';

import type { RunEntity } from '../entities/run.entity.js';
import { isUuid } from '../uuid.js';
import { toRunEntity, type RunRow } from './run-row.js';

/** A run_events row that is not a status change (those come from RunRepository.transition). */
export interface RunEventInput {
  /** e.g. 'cancel-requested', 'requeued'. */
  type: string;
  actor: string;
  reason?: string | null;
  data?: unknown;
}

/** Which queued runs the reconciler looks at. */
export interface QueuedRunsQuery {
  /** Only runs whose row has not changed for this long (a submit's own enqueue is in flight). */
  unchangedForMs: number;
  /** At most this many, oldest first. */
  limit: number;
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

// Every write below is a SELECT over a data-modifying CTE: TypeORM's query() answers a bare
// UPDATE/DELETE … RETURNING with [rows, rowCount] instead of the rows.

/**
 * The writes of the researcher-facing API and the queue reconciler that are not status
 * transitions: a cancel request on a running run, clearing stale fields of a retried run,
 * deleting a finished run, and reading the queued runs whose jobs may be missing. Each write is
 * fenced by the status it expects (0 rows → the caller re-reads and answers 409).
 */
export class RunControlRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Mark a running run for cancellation (its agent sees `cancel_requested_at` on its next
   * heartbeat and stops the process) and record a 'cancel-requested' event, in one statement.
   * Null when the run is not running or already has a cancel request.
   */
  async requestCancel(runId: string, event: Omit<RunEventInput, 'type'>): Promise<RunEntity | null> {
    if (!isUuid(runId)) return null;
    const rows = await this.dataSource.query<RunRow[]>(
      `WITH upd AS (
         UPDATE runs SET cancel_requested_at = now()
         WHERE id = $1 AND status = 'running' AND cancel_requested_at IS NULL
         RETURNING *
       ),
       event AS (
         INSERT INTO run_events (run_id, type, from_status, to_status, actor, reason, data)
         SELECT id, 'cancel-requested', status, status, $2, $3, $4::jsonb FROM upd
       )
       SELECT * FROM upd`,
      [runId, event.actor, event.reason ?? null, json(event.data)],
    );
    const [row] = rows;
    return row ? toRunEntity(row) : null;
  }

  /**
   * After a retry re-queued a run (RunRepository.transition), forget what belonged to the previous
   * attempt: a cancel request (a run with one cannot be claimed), exit code and error. Fenced on
   * the run being queued with that attempt number. Null when it no longer is.
   */
  async clearPreviousAttempt(runId: string, attempt: number): Promise<RunEntity | null> {
    if (!isUuid(runId)) return null;
    const [row] = await this.dataSource.query<RunRow[]>(
      `WITH upd AS (
         UPDATE runs SET cancel_requested_at = NULL, exit_code = NULL, error = NULL
         WHERE id = $1 AND status = 'queued' AND attempt = $2
         RETURNING *
       )
       SELECT * FROM upd`,
      [runId, attempt],
    );
    return row ? toRunEntity(row) : null;
  }

  /**
   * Delete a run (its attempts, events, checkpoints, logs, rollouts and aggregates cascade) if it
   * is in one of `statuses`. Returns whether a row was deleted.
   */
  async deleteIfStatus(runId: string, statuses: readonly RunStatus[]): Promise<boolean> {
    if (!isUuid(runId)) return false;
    const rows = await this.dataSource.query<{ id: string }[]>(
      `WITH del AS (DELETE FROM runs WHERE id = $1 AND status = ANY($2::text[]) RETURNING id) SELECT id FROM del`,
      [runId, statuses],
    );
    return rows.length > 0;
  }

  /**
   * How often the reconciler re-added this run's job after it had finished (completed or failed)
   * while the run stayed queued, since the run was last queued by a person (a retry): the bound
   * that keeps a run whose job keeps failing from being re-delivered forever.
   */
  async countFinishedJobRequeues(runId: string): Promise<number> {
    const [row] = await this.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM run_events e
       WHERE e.run_id = $1 AND e.type = 'requeued' AND e.data->>'jobState' IN ('completed', 'failed')
         AND e.id > coalesce((SELECT max(id) FROM run_events
                              WHERE run_id = $1 AND type = 'status' AND to_status = 'queued' AND actor = 'api'), 0)`,
      [runId],
    );
    return row?.n ?? 0;
  }

  /** Append an event that is not a status change. */
  async recordEvent(runId: string, event: RunEventInput): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO run_events (run_id, type, actor, reason, data) VALUES ($1, $2, $3, $4, $5::jsonb)`,
      [runId, event.type, event.actor, event.reason ?? null, json(event.data)],
    );
  }

  /**
   * Ids of queued runs unchanged for at least `unchangedForMs`, oldest first: those that should have
   * a job. Never import runs: the API processes them itself (the reaper fails one left queued).
   */
  async findQueuedIds(query: QueuedRunsQuery): Promise<string[]> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM runs
       WHERE status = 'queued' AND kind <> 'import'
         AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY created_at
       LIMIT $2`,
      [Math.max(Math.trunc(query.unchangedForMs), 0), Math.max(Math.trunc(query.limit), 1)],
    );
    return rows.map((row) => row.id);
  }
}
