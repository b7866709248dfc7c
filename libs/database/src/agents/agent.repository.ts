import type {
  AgentGpuView,
  AgentReportedStatus,
  AgentRunView,
  AgentStatusName,
  AgentView,
} from '@brier/contracts';
import type { DataSource } from 'typeorm';

import { isUuid } from '../uuid.js';
import { json } from './fence.js';
import { markRunsLost } from './lost-runs.js';

export interface RegisterAgentInput {
  name: string;
  hostname: string;
  version: string;
  primeRlVersion: string | null;
  labels: string[];
  /** GPU inventory (GpuDto[] of @brier/contracts), stored as jsonb. */
  gpus: readonly object[];
  /** The API token that registers it (agents.token_id), null for none. */
  tokenId?: string | null;
}

export interface RegisteredAgent {
  agentId: string;
  /** New on every registration. */
  incarnation: string;
  /** Runs leased to the name's previous incarnation, now lost. */
  voidedRunIds: string[];
}

export interface HeartbeatInput {
  incarnation: string;
  gpus: readonly object[];
  runs: readonly { runId: string; leaseToken: string; step?: number | null }[];
  status?: AgentReportedStatus;
}

export type HeartbeatResult = { ok: false } | { ok: true; name: string; cancel: string[]; revoked: string[] };

interface AgentRow {
  id: string;
  name: string;
  hostname: string;
  version: string;
  prime_rl_version: string | null;
  labels: string[];
  status: AgentStatusName;
  gpus: Omit<AgentGpuView, 'runId'>[];
  registered_at: Date;
  heartbeat_at: Date;
  heartbeat_age_ms: number;
  runs: (Omit<AgentRunView, 'startedAt' | 'heartbeatAt'> & {
    startedAt: string | null;
    heartbeatAt: string | null;
  })[];
}

const iso = (value: string | Date | null): string | null =>
  value === null ? null : new Date(value).toISOString();

/**
 * The agents table: registration (a new incarnation voids the old one's leases), heartbeats
 * (which also refresh the leases the agent still holds), the reaper's offline sweep, and the
 * fleet view of GET /v1/agents.
 */
export class AgentRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Insert or update the agent by name with a new incarnation, and in the same transaction mark
   * every run still leased to it lost: those leases belonged to a previous incarnation (this one
   * has claimed nothing yet). The upsert locks the agent row, so a claim by the old incarnation
   * either commits first (and its run is voided here) or waits and finds its incarnation stale.
   */
  async register(input: RegisterAgentInput): Promise<RegisteredAgent> {
    return this.dataSource.transaction(async (manager) => {
      const [agent] = await manager.query<{ id: string; incarnation: string }[]>(
        `INSERT INTO agents AS a (name, hostname, version, prime_rl_version, labels, gpus, status, incarnation,
                                  registered_at, heartbeat_at, token_id)
         VALUES ($1, $2, $3, $4, $5::text[], $6::jsonb, 'online', gen_random_uuid(), now(), now(), $7)
         ON CONFLICT (name) DO UPDATE SET
           hostname = EXCLUDED.hostname, version = EXCLUDED.version,
           prime_rl_version = EXCLUDED.prime_rl_version, labels = EXCLUDED.labels, gpus = EXCLUDED.gpus,
           status = 'online', incarnation = EXCLUDED.incarnation,
           registered_at = EXCLUDED.registered_at, heartbeat_at = EXCLUDED.heartbeat_at,
           token_id = EXCLUDED.token_id
         RETURNING a.id, a.incarnation`,
        [
          input.name,
          input.hostname,
          input.version,
          input.primeRlVersion,
          input.labels,
          json(input.gpus),
          input.tokenId ?? null,
        ],
      );
      if (!agent) throw new Error(`registering agent ${input.name} returned no row`);
      const voided = await markRunsLost(
        manager,
        { kind: 'agent', agentId: agent.id },
        {
          actor: 'api',
          reason: `agent ${input.name} registered again: the leases of its previous incarnation are void`,
        },
      );
      return { agentId: agent.id, incarnation: agent.incarnation, voidedRunIds: voided.map((r) => r.runId) };
    });
  }

  /**
   * Record a heartbeat of the agent's current incarnation ({ok: false} for an unknown agent or a
   * stale incarnation) and refresh the runs it reports, each fenced by its lease token. Returns
   * the reported runs with a cancel request (cancel) and those whose lease is no longer theirs
   * (revoked). progress_step only moves forward.
   */
  async heartbeat(agentId: string, input: HeartbeatInput): Promise<HeartbeatResult> {
    if (!isUuid(agentId)) return { ok: false };
    return this.dataSource.transaction(async (manager) => {
      const [agent] = await manager.query<{ name: string }[]>(
        `WITH upd AS (
           UPDATE agents SET heartbeat_at = now(), gpus = $3::jsonb,
                  status = coalesce($4::text, CASE WHEN status = 'offline' THEN 'online' ELSE status END)
           WHERE id = $1 AND incarnation = $2
           RETURNING name
         )
         SELECT name FROM upd`,
        [agentId, input.incarnation, json(input.gpus), input.status ?? null],
      );
      if (!agent) return { ok: false };
      if (input.runs.length === 0) return { ok: true, name: agent.name, cancel: [], revoked: [] };
      const rows = await manager.query<{ run_id: string; live: boolean; cancel: boolean }[]>(
        `WITH reported AS (
           SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::int[]) AS h(run_id, lease_token, step)
         ),
         live AS (
           UPDATE runs r SET heartbeat_at = now(),
                  progress_step = CASE WHEN h.step IS NULL THEN r.progress_step
                                       ELSE greatest(coalesce(r.progress_step, h.step), h.step) END
           FROM reported h
           WHERE r.id = h.run_id AND r.lease_token = h.lease_token AND r.status = 'running' AND r.agent_id = $1
           RETURNING r.id, r.cancel_requested_at IS NOT NULL AS cancel
         )
         SELECT h.run_id, live.id IS NOT NULL AS live, coalesce(live.cancel, false) AS cancel
         FROM reported h LEFT JOIN live ON live.id = h.run_id`,
        [
          agentId,
          input.runs.map((r) => r.runId),
          input.runs.map((r) => r.leaseToken),
          input.runs.map((r) => r.step ?? null),
        ],
      );
      return {
        ok: true,
        name: agent.name,
        cancel: rows.filter((r) => r.live && r.cancel).map((r) => r.run_id),
        revoked: rows.filter((r) => !r.live).map((r) => r.run_id),
      };
    });
  }

  /** Agents whose last heartbeat is older than `olderThanMs` (database clock) become offline. */
  async markSilentOffline(olderThanMs: number): Promise<{ id: string; name: string }[]> {
    return this.dataSource.query<{ id: string; name: string }[]>(
      `WITH upd AS (
         UPDATE agents SET status = 'offline'
         WHERE status <> 'offline' AND heartbeat_at < now() - make_interval(secs => $1::float8 / 1000)
         RETURNING id, name
       )
       SELECT id, name FROM upd ORDER BY name`,
      [olderThanMs],
    );
  }

  /** The fleet, by name: each agent's GPUs (with the run holding each) and the runs it holds. */
  async list(filter: { status?: AgentStatusName } = {}): Promise<AgentView[]> {
    const rows = await this.dataSource.query<AgentRow[]>(
      `${AGENT_VIEW_SQL} WHERE ($1::text IS NULL OR a.status = $1) ORDER BY a.name`,
      [filter.status ?? null],
    );
    return rows.map(toAgentView);
  }

  async findView(agentId: string): Promise<AgentView | null> {
    if (!isUuid(agentId)) return null;
    const [row] = await this.dataSource.query<AgentRow[]>(`${AGENT_VIEW_SQL} WHERE a.id = $1`, [agentId]);
    return row ? toAgentView(row) : null;
  }
}

const AGENT_VIEW_SQL = `
  SELECT a.id, a.name, a.hostname, a.version, a.prime_rl_version, a.labels, a.status, a.gpus,
         a.registered_at, a.heartbeat_at,
         (extract(epoch FROM now() - a.heartbeat_at) * 1000)::float8 AS heartbeat_age_ms,
         coalesce((
           SELECT json_agg(json_build_object(
                    'runId', r.id, 'name', r.name, 'kind', r.kind, 'status', r.status, 'attempt', r.attempt,
                    'gpuIndices', coalesce(t.gpu_indices, '{}'), 'progressStep', r.progress_step,
                    'maxSteps', r.max_steps, 'startedAt', r.started_at, 'heartbeatAt', r.heartbeat_at)
                    ORDER BY r.started_at, r.id)
           FROM runs r LEFT JOIN run_attempts t ON t.run_id = r.id AND t.number = r.attempt
           WHERE r.agent_id = a.id AND r.status = 'running'
         ), '[]') AS runs
  FROM agents a`;

function toAgentView(row: AgentRow): AgentView {
  const runs: AgentRunView[] = row.runs.map((run) => ({
    ...run,
    startedAt: iso(run.startedAt),
    heartbeatAt: iso(run.heartbeatAt),
  }));
  const holder = new Map<number, string>();
  for (const run of runs) for (const index of run.gpuIndices) holder.set(index, run.runId);
  const gpus = Array.isArray(row.gpus) ? row.gpus : [];
  return {
    id: row.id,
    name: row.name,
    hostname: row.hostname,
    version: row.version,
    primeRlVersion: row.prime_rl_version,
    labels: row.labels,
    status: row.status,
    registeredAt: iso(row.registered_at) ?? '',
    heartbeatAt: iso(row.heartbeat_at) ?? '',
    heartbeatAgeMs: Math.max(0, Math.round(row.heartbeat_age_ms)),
    gpus: gpus.map((gpu) => ({
      ...gpu,
      cudaVersion: gpu.cudaVersion ?? null,
      runId: holder.get(gpu.index) ?? null,
    })),
    runs,
  };
}
