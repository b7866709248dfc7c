import {
  CLAIMABLE_RUN_STATUSES,
  type ClaimRunResponse,
  type RunKind,
  type RunStatus,
} from '@brier/contracts';
import type { EntityManager } from 'typeorm';

import { findResumeCheckpoints } from '../checkpoints/checkpoint.repository.js';
import { agentActor, json, type Fenced } from './fence.js';

export interface ClaimInput {
  agentId: string;
  incarnation: string;
  gpuIndices: readonly number[];
}

interface ClaimAgentRow {
  name: string;
  status: string;
  labels: string[];
  gpus: { index?: unknown }[] | null;
}

interface ClaimRunRow {
  status: RunStatus;
  kind: RunKind;
  cancel_requested: boolean;
  gpu_count: number;
  labels: string[];
}

/**
 * Claim a run for an agent's current incarnation (run it in one transaction): check the incarnation
 * (locking the agent row, which orders claims against a re-registration), lock the run (never
 * an import run: those run inside the API), check that the offered GPUs fit (count, inventory,
 * labels, none leased to another running attempt of this agent), then `UPDATE runs SET status =
 * 'running', lease_token = gen_random_uuid(), attempt = attempt + 1 … WHERE status IN
 * ('queued','lost') AND cancel_requested_at IS NULL`,
 * plus a run_attempts row and a run_events row. A second or stale claimant writes nothing.
 */
export async function claimRun(
  manager: EntityManager,
  runId: string,
  input: ClaimInput,
): Promise<Fenced<ClaimRunResponse>> {
  const [agent] = await manager.query<ClaimAgentRow[]>(
    `SELECT name, status, labels, gpus FROM agents WHERE id = $1 AND incarnation = $2 FOR UPDATE`,
    [input.agentId, input.incarnation],
  );
  if (!agent) {
    return {
      ok: false,
      reason: 'stale-agent',
      message: 'unknown agent or stale incarnation: register again',
    };
  }
  if (agent.status === 'draining') {
    return { ok: false, reason: 'agent-draining', message: 'this agent is draining: it takes no runs' };
  }
  const [run] = await manager.query<ClaimRunRow[]>(
    `SELECT status, kind, cancel_requested_at IS NOT NULL AS cancel_requested, gpu_count, labels
     FROM runs WHERE id = $1 FOR UPDATE`,
    [runId],
  );
  if (!run) return { ok: false, reason: 'unknown-run' };
  if (run.kind === 'import') {
    // Imports run inside the API that created them; a stray job for one is refused here.
    return {
      ok: false,
      reason: 'not-claimable',
      status: run.status,
      message: 'an import run is processed by the API, never by an agent',
    };
  }
  if (!CLAIMABLE_RUN_STATUSES.includes(run.status)) {
    return {
      ok: false,
      reason: 'not-claimable',
      status: run.status,
      message: `the run is ${run.status}`,
    };
  }
  if (run.cancel_requested) {
    return { ok: false, reason: 'not-claimable', status: run.status, message: 'a cancel was requested' };
  }
  const misfit = await placementProblem(manager, input, agent, run);
  if (misfit) return { ok: false, reason: 'placement', status: run.status, message: misfit };

  const [resume, ...resumeFallbacks] = await findResumeCheckpoints(manager, runId);
  const [claimed] = await manager.query<
    {
      name: string;
      kind: RunKind;
      spec: unknown;
      spec_version: number;
      attempt: number;
      lease_token: string;
    }[]
  >(
    `WITH claimed AS (
       UPDATE runs SET status = 'running', lease_token = gen_random_uuid(), agent_id = $2, attempt = attempt + 1,
              heartbeat_at = now(), started_at = coalesce(started_at, now()), finished_at = NULL,
              exit_code = NULL, error = NULL, progress_step = $3
       WHERE id = $1 AND status IN ('queued', 'lost') AND cancel_requested_at IS NULL
       RETURNING name, kind, spec, spec_version, attempt, lease_token
     )
     SELECT * FROM claimed`,
    [runId, input.agentId, resume?.step ?? null],
  );
  if (!claimed) throw new Error(`run ${runId} changed under its row lock`);
  await manager.query(
    `INSERT INTO run_attempts (run_id, number, agent_id, lease_token, status, resume_step, gpu_indices)
     VALUES ($1, $2, $3, $4, 'running', $5, $6::int[])`,
    [runId, claimed.attempt, input.agentId, claimed.lease_token, resume?.step ?? null, input.gpuIndices],
  );
  await manager.query(
    `INSERT INTO run_events (run_id, type, from_status, to_status, actor, reason, data)
     VALUES ($1, 'status', $2, 'running', $3, 'claimed', $4::jsonb)`,
    [
      runId,
      run.status,
      agentActor(agent.name),
      json({
        attempt: claimed.attempt,
        agentId: input.agentId,
        gpuIndices: input.gpuIndices,
        resumeStep: resume?.step ?? null,
      }),
    ],
  );
  return {
    ok: true,
    value: {
      runId,
      name: claimed.name,
      kind: claimed.kind,
      leaseToken: claimed.lease_token,
      attempt: claimed.attempt,
      spec: claimed.spec,
      specVersion: claimed.spec_version,
      resumeStep: resume?.step ?? null,
      resumeCheckpoint: resume ?? null,
      resumeFallbacks,
    },
  };
}

async function placementProblem(
  manager: EntityManager,
  input: ClaimInput,
  agent: ClaimAgentRow,
  run: ClaimRunRow,
): Promise<string | null> {
  if (input.gpuIndices.length !== run.gpu_count) {
    return `the run needs ${run.gpu_count} GPU(s); the claim offers ${input.gpuIndices.length}`;
  }
  const inventory = new Set((agent.gpus ?? []).map((gpu) => gpu.index));
  const unknown = input.gpuIndices.filter((index) => !inventory.has(index));
  if (unknown.length > 0) return `GPU(s) ${unknown.join(', ')} are not in this agent's inventory`;
  const missing = run.labels.filter((label) => !agent.labels.includes(label));
  if (missing.length > 0) return `the run needs label(s) ${missing.join(', ')}, which this agent lacks`;
  if (input.gpuIndices.length === 0) return null;
  const [busy] = await manager.query<{ run_id: string; gpu_indices: number[] }[]>(
    `SELECT r.id AS run_id, t.gpu_indices
     FROM runs r JOIN run_attempts t ON t.run_id = r.id AND t.number = r.attempt
     WHERE r.agent_id = $1 AND r.status = 'running' AND t.gpu_indices && $2::int[]
     LIMIT 1`,
    [input.agentId, input.gpuIndices],
  );
  if (!busy) return null;
  const overlap = busy.gpu_indices.filter((index) => input.gpuIndices.includes(index));
  return `GPU(s) ${overlap.join(', ')} are leased to run ${busy.run_id}, still running on this agent`;
}
