import type { Queryable } from './fence.js';

/** An import run the reaper failed. */
export interface FailedImportRun {
  runId: string;
  /** running: its API process stopped heartbeating it; queued: that process died before starting it. */
  fromStatus: 'queued' | 'running';
  heartbeatAt: Date | null;
}

/**
 * Import runs are processed inside an API process (which heartbeats them itself), never by an
 * agent: when that process dies, nobody can take the import over, so instead of becoming lost
 * (and re-queued for agents, see markRunsLost) a silent one fails at once, with its run_events
 * row, in one statement. Silent: running with a heartbeat older than `olderThanMs`, or still
 * queued that long (the API creates an import run queued and starts it in the next statement).
 * The candidates are locked first and re-checked on their newest version, so an import that
 * heartbeated meanwhile is not touched.
 */
export async function failSilentImportRuns(
  q: Queryable,
  olderThanMs: number,
  actor: string,
): Promise<FailedImportRun[]> {
  const silence = `${olderThanMs} ms`;
  const reasons = {
    running:
      `import stopped: the API process importing it sent no heartbeat for more than ${silence} ` +
      '(it died or was restarted); imports are not re-queued: upload the files again',
    queued:
      `import never began: the API process that created it stopped within ${silence}; ` +
      'upload the files again',
  };
  const rows = await q.query<{ id: string; from_status: 'queued' | 'running'; heartbeat_at: Date | null }[]>(
    `WITH silent AS (
       SELECT id, status FROM runs
       WHERE kind = 'import'
         AND ((status = 'running' AND heartbeat_at < now() - make_interval(secs => $1::float8 / 1000))
           OR (status = 'queued' AND updated_at < now() - make_interval(secs => $1::float8 / 1000)))
       FOR UPDATE
     ),
     failed AS (
       UPDATE runs r SET status = 'failed', finished_at = now(),
              error = jsonb_build_object('message', CASE s.status WHEN 'running' THEN $3::text ELSE $4::text END,
                                         'retryable', false)
       FROM silent s WHERE r.id = s.id
       RETURNING r.id, s.status AS from_status, r.heartbeat_at
     ),
     event AS (
       INSERT INTO run_events (run_id, type, from_status, to_status, actor, reason, data)
       SELECT id, 'status', from_status, 'failed', $2, CASE from_status WHEN 'running' THEN $3::text ELSE $4::text END,
              jsonb_build_object('heartbeatAt', heartbeat_at, 'silentForMoreThanMs', $1::float8)
       FROM failed
     )
     SELECT id, from_status, heartbeat_at FROM failed ORDER BY id`,
    [olderThanMs, actor, reasons.running, reasons.queued],
  );
  return rows.map((row) => ({ runId: row.id, fromStatus: row.from_status, heartbeatAt: row.heartbeat_at }));
}
