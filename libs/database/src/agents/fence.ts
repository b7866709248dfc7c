import type { LeaseConflictReason, RunStatus } from '@brier/contracts';
import type { EntityManager } from 'typeorm';

/**
 * What runs SQL: a DataSource, or a transaction's EntityManager. Its query() answers a bare
 * `UPDATE … RETURNING` with [rows, rowCount] (TypeORM's Postgres driver), so every UPDATE whose
 * rows are read is wrapped in a CTE: `WITH upd AS (UPDATE … RETURNING …) SELECT … FROM upd`.
 */
export type Queryable = Pick<EntityManager, 'query'>;

/** Why a fenced write or a claim wrote nothing. */
export type LeaseRefusal =
  | { ok: false; reason: 'unknown-run' }
  | { ok: false; reason: LeaseConflictReason; status?: RunStatus; message: string };

export type Fenced<T> = { ok: true; value: T } | LeaseRefusal;

/** The run row a fenced write locked: the lease was valid, and stays so until the transaction ends. */
export interface FencedRun {
  attempt: number;
  /** 'agent:<name>' of the lease holder (for run_events.actor). */
  actor: string;
}

/**
 * Lock the run if `leaseToken` is its current lease and it is running: `SELECT … FOR NO KEY
 * UPDATE`, so no claim, reaper, finish or cancel can change the lease before the caller's
 * transaction commits. Null when the fence fails.
 */
export async function lockLease(q: Queryable, runId: string, leaseToken: string): Promise<FencedRun | null> {
  const [row] = await q.query<{ attempt: number; agent_name: string | null }[]>(
    `SELECT r.attempt, a.name AS agent_name
     FROM runs r LEFT JOIN agents a ON a.id = r.agent_id
     WHERE r.id = $1 AND r.lease_token = $2 AND r.status = 'running'
     FOR NO KEY UPDATE OF r`,
    [runId, leaseToken],
  );
  return row ? { attempt: row.attempt, actor: agentActor(row.agent_name) } : null;
}

/** After a fence failed: the run is gone (404) or its lease is not this one (409 with its status). */
export async function leaseRefusal(q: Queryable, runId: string): Promise<LeaseRefusal> {
  const [row] = await q.query<{ status: RunStatus }[]>(`SELECT status FROM runs WHERE id = $1`, [runId]);
  if (!row) return { ok: false, reason: 'unknown-run' };
  return {
    ok: false,
    reason: 'lease-lost',
    status: row.status,
    message:
      row.status === 'running'
        ? 'this lease is over: another attempt holds the run now'
        : `the run is ${row.status}: this lease is over`,
  };
}

export function agentActor(name: string | null): string {
  return name === null ? 'agent' : `agent:${name}`;
}

/** jsonb parameters go as JSON text: node-postgres would turn a JS array into a Postgres array. */
export const json = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);
