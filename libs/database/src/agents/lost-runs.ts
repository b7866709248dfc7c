import type { RunKind } from '@brier/contracts';

import { isUuid } from '../uuid.js';
import type { Queryable } from './fence.js';

/** A run whose lease was voided (status running → lost). */
export interface LostRun {
  runId: string;
  attempt: number;
  agentId: string | null;
}

/** Which running runs to declare lost. */
export type LostRunFilter =
  | { kind: 'silent'; /** heartbeat older than this, by the database clock */ olderThanMs: number }
  | { kind: 'agent'; agentId: string };

/**
 * running → lost for every run matching `filter`, in one statement: the run, its current
 * run_attempts row (lost, finished now) and a run_events status row. Fenced by the UPDATE's own
 * WHERE, which Postgres re-checks on a row a concurrent heartbeat just refreshed: a run that
 * heartbeated meanwhile is not touched. The lease token stays (history); the status alone
 * refuses every later write of the old lease. Never an import run: a lost run is re-queued for
 * agents, which do not process imports (failSilentImportRuns fails those instead).
 */
export async function markRunsLost(
  q: Queryable,
  filter: LostRunFilter,
  event: { actor: string; reason: string },
): Promise<LostRun[]> {
  const where =
    filter.kind === 'silent'
      ? `r.heartbeat_at < now() - make_interval(secs => $3::float8 / 1000)`
      : `r.agent_id = $3::uuid`;
  const rows = await q.query<{ id: string; attempt: number; agent_id: string | null }[]>(
    `WITH lost AS (
       UPDATE runs r SET status = 'lost'
       WHERE r.status = 'running' AND r.kind <> 'import' AND ${where}
       RETURNING r.id, r.attempt, r.agent_id, r.heartbeat_at
     ),
     attempt AS (
       UPDATE run_attempts a SET status = 'lost', finished_at = now(),
              error = jsonb_build_object('message', $2::text, 'retryable', true)
       FROM lost WHERE a.run_id = lost.id AND a.number = lost.attempt AND a.status = 'running'
     ),
     event AS (
       INSERT INTO run_events (run_id, type, from_status, to_status, actor, reason, data)
       SELECT id, 'status', 'running', 'lost', $1, $2,
              jsonb_build_object('attempt', attempt, 'agentId', agent_id, 'heartbeatAt', heartbeat_at)
       FROM lost
     )
     SELECT id, attempt, agent_id FROM lost ORDER BY id`,
    [event.actor, event.reason, filter.kind === 'silent' ? filter.olderThanMs : filter.agentId],
  );
  return rows.map((row) => ({ runId: row.id, attempt: row.attempt, agentId: row.agent_id }));
}

/** A lost run waiting to be re-queued, with what its new job needs. */
export interface LostRunForRequeue {
  id: string;
  kind: RunKind;
  specVersion: number;
  gpuCount: number;
  gpuType: string | null;
  labels: string[];
  leaseToken: string | null;
  cancelRequested: boolean;
  /** Attempts of this run that ended lost (including the last one). */
  lostAttempts: number;
}

/** Lost runs (optionally only these), longest-waiting first, with what re-queueing them needs. */
export async function listLostRuns(
  q: Queryable,
  limit: number,
  onlyIds?: readonly string[],
): Promise<LostRunForRequeue[]> {
  const rows = await q.query<
    {
      id: string;
      kind: RunKind;
      spec_version: number;
      gpu_count: number;
      gpu_type: string | null;
      labels: string[];
      lease_token: string | null;
      cancel_requested: boolean;
      lost_attempts: number;
    }[]
  >(
    `SELECT r.id, r.kind, r.spec_version, r.gpu_count, r.gpu_type, r.labels, r.lease_token,
            r.cancel_requested_at IS NOT NULL AS cancel_requested,
            (SELECT count(*) FROM run_attempts t WHERE t.run_id = r.id AND t.status = 'lost')::int AS lost_attempts
     FROM runs r WHERE r.status = 'lost' AND ($2::uuid[] IS NULL OR r.id = ANY($2::uuid[]))
     ORDER BY r.updated_at, r.id LIMIT $1`,
    [limit, onlyIds === undefined ? null : onlyIds.filter(isUuid)],
  );
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    specVersion: row.spec_version,
    gpuCount: row.gpu_count,
    gpuType: row.gpu_type,
    labels: row.labels,
    leaseToken: row.lease_token,
    cancelRequested: row.cancel_requested,
    lostAttempts: row.lost_attempts,
  }));
}
