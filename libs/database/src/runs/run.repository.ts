import { TERMINAL_RUN_STATUSES, type RunKind, type RunStatus } from '@brier/contracts';
import type { DataSource } from 'typeorm';

import type { RunEntity } from '../entities/run.entity.js';
import { decodeRunCursor, encodeRunCursor } from './run-cursor.js';
import { insertRun } from './run-insert.js';
import { toRunEntity, type RunRow } from './run-row.js';
import { isUuid } from '../uuid.js';

export interface CreateRunInput {
  kind: RunKind;
  name: string;
  /** Free text for people (CreateRunDto.description). */
  description?: string | null;
  /** The validated run spec. */
  spec: unknown;
  specVersion: number;
  preset?: string | null;
  /** Same key → same run: a repeated submit returns the existing run (created: false). */
  idempotencyKey?: string | null;
  gpuCount?: number;
  gpuType?: string | null;
  labels?: string[];
  maxSteps?: number | null;
  createdBy?: string | null;
}

export interface CreateRunResult {
  run: RunEntity;
  /** false when the idempotency key matched an existing run (whose spec may differ: compare it). */
  created: boolean;
}

export interface ListRunsQuery {
  status?: RunStatus | readonly RunStatus[];
  kind?: RunKind | readonly RunKind[];
  /** Case-insensitive substring of the name. */
  nameContains?: string;
  /** Page size, 1–500 (default 50). */
  limit?: number;
  /** Keyset pagination: the nextCursor of the previous page. */
  cursor?: string;
  /** Offset pagination (for page numbers); prefer cursor for deep pages. */
  offset?: number;
}

export interface RunPage {
  items: RunEntity[];
  /** Pass as cursor for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Columns a transition may set besides status (never the run's identity or spec). */
export interface RunTransitionPatch {
  leaseToken?: string | null;
  agentId?: string | null;
  attempt?: number;
  progressStep?: number | null;
  exitCode?: number | null;
  error?: unknown;
}

export interface RunTransition {
  /** The statuses the run must be in now; otherwise nothing changes and transition returns null. */
  from: readonly RunStatus[];
  to: RunStatus;
  /** Fence: the run's current lease_token must equal this. */
  leaseToken?: string;
  /** Who asked: 'api', 'agent:<name>', 'reaper', a user. */
  actor: string;
  reason?: string | null;
  set?: RunTransitionPatch;
  /** Extra detail for the run_events row. */
  data?: unknown;
}

const PATCH_COLUMNS: Record<keyof RunTransitionPatch, { column: string; cast: string }> = {
  leaseToken: { column: 'lease_token', cast: 'uuid' },
  agentId: { column: 'agent_id', cast: 'uuid' },
  attempt: { column: 'attempt', cast: 'int' },
  progressStep: { column: 'progress_step', cast: 'int' },
  exitCode: { column: 'exit_code', cast: 'int' },
  error: { column: 'error', cast: 'jsonb' },
};

const asList = <T>(value: T | readonly T[] | undefined): readonly T[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? (value as readonly T[]) : [value as T];

/** jsonb parameters go as JSON text: node-postgres would turn a JS array into a Postgres array. */
const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

const CREATED_AT_ISO = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export class RunRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Insert a queued run and its 'created' event (insertRun). With an idempotency key, a concurrent
   * or repeated create returns the existing run: the unique index decides, never a check-then-insert.
   */
  async create(input: CreateRunInput): Promise<CreateRunResult> {
    return insertRun(this.dataSource, input);
  }

  async findById(id: string): Promise<RunEntity | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.dataSource.query<RunRow[]>(`SELECT * FROM runs WHERE id = $1`, [id]);
    return row ? toRunEntity(row) : null;
  }

  /** Newest first, filtered; keyset (cursor) or offset pagination. */
  async list(query: ListRunsQuery = {}): Promise<RunPage> {
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? 50), 1), 500);
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const statuses = asList(query.status);
    if (statuses) where.push(`status = ANY(${param(statuses)}::text[])`);
    const kinds = asList(query.kind);
    if (kinds) where.push(`kind = ANY(${param(kinds)}::text[])`);
    if (query.nameContains) {
      const pattern = `%${query.nameContains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(`name ILIKE ${param(pattern)}`);
    }
    if (query.cursor !== undefined) {
      const cursor = decodeRunCursor(query.cursor);
      where.push(`(created_at, id) < (${param(cursor.createdAt)}::timestamptz, ${param(cursor.id)}::uuid)`);
    }
    const offset = Math.max(Math.trunc(query.offset ?? 0), 0);
    const rows = await this.dataSource.query<(RunRow & { created_at_iso: string })[]>(
      `SELECT *, ${CREATED_AT_ISO} AS created_at_iso FROM runs
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC
       LIMIT ${param(limit + 1)} OFFSET ${param(offset)}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toRunEntity),
      nextCursor:
        rows.length > limit && last ? encodeRunCursor({ createdAt: last.created_at_iso, id: last.id }) : null,
    };
  }

  /**
   * Fenced status change: `UPDATE runs … WHERE id = $1 AND status = ANY(from) [AND lease_token = $n]`
   * plus a run_events row, in one statement. Returns the updated run, or null when the run is not
   * (or no longer) in an allowed status or the lease token does not match (the caller answers 409).
   */
  async transition(runId: string, transition: RunTransition): Promise<RunEntity | null> {
    if (!isUuid(runId)) return null;
    const params: unknown[] = [runId, transition.from, transition.to];
    // $3 (the new status) is cast at every use: Postgres cannot infer one type for it otherwise.
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const sets = [
      `status = $3::text`,
      // Timestamps follow the status: running starts (once) and heartbeats; terminal finishes.
      `started_at = CASE WHEN $3::text = 'running' THEN coalesce(r.started_at, now()) ELSE r.started_at END`,
      `heartbeat_at = CASE WHEN $3::text = 'running' THEN now() ELSE r.heartbeat_at END`,
      `finished_at = CASE WHEN $3::text = ANY(${param(TERMINAL_RUN_STATUSES)}::text[]) THEN now()
                          WHEN $3::text IN ('queued', 'running') THEN NULL ELSE r.finished_at END`,
    ];
    for (const [key, value] of Object.entries(transition.set ?? {})) {
      const spec = PATCH_COLUMNS[key as keyof RunTransitionPatch];
      if (!spec) throw new TypeError(`transition cannot set ${key}`);
      if (value === undefined) continue;
      sets.push(`${spec.column} = ${param(spec.cast === 'jsonb' ? json(value) : value)}::${spec.cast}`);
    }
    const fence =
      transition.leaseToken === undefined ? '' : `AND r.lease_token = ${param(transition.leaseToken)}::uuid`;
    const rows = await this.dataSource.query<RunRow[]>(
      `WITH prev AS (
         SELECT id, status FROM runs WHERE id = $1 FOR UPDATE
       ),
       upd AS (
         UPDATE runs r SET ${sets.join(', ')}
         FROM prev
         WHERE r.id = prev.id AND r.status = ANY($2::text[]) ${fence}
         RETURNING r.*, prev.status AS previous_status
       ),
       event AS (
         INSERT INTO run_events (run_id, type, from_status, to_status, actor, reason, data)
         SELECT id, 'status', previous_status, status, ${param(transition.actor)}, ${param(transition.reason ?? null)},
                ${param(json(transition.data))}::jsonb
         FROM upd
       )
       SELECT * FROM upd`,
      params,
    );
    const [row] = rows;
    return row ? toRunEntity(row) : null;
  }
}
