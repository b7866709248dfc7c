import type { RunKind, RunStatus } from '@brier/contracts';

import { RunEntity } from '../entities/run.entity.js';

/** A runs row as node-postgres returns it (snake_case). */
export interface RunRow {
  id: string;
  kind: RunKind;
  name: string;
  description: string | null;
  status: RunStatus;
  spec: unknown;
  spec_version: number;
  preset: string | null;
  idempotency_key: string | null;
  gpu_count: number;
  gpu_type: string | null;
  labels: string[];
  max_steps: number | null;
  progress_step: number | null;
  attempt: number;
  agent_id: string | null;
  lease_token: string | null;
  heartbeat_at: Date | null;
  cancel_requested_at: Date | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  exit_code: number | null;
  error: unknown;
  created_by: string | null;
}

export function toRunEntity(row: RunRow): RunEntity {
  return Object.assign(new RunEntity(), {
    id: row.id,
    kind: row.kind,
    name: row.name,
    description: row.description,
    status: row.status,
    spec: row.spec,
    specVersion: row.spec_version,
    preset: row.preset,
    idempotencyKey: row.idempotency_key,
    gpuCount: row.gpu_count,
    gpuType: row.gpu_type,
    labels: row.labels,
    maxSteps: row.max_steps,
    progressStep: row.progress_step,
    attempt: row.attempt,
    agentId: row.agent_id,
    leaseToken: row.lease_token,
    heartbeatAt: row.heartbeat_at,
    cancelRequestedAt: row.cancel_requested_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    exitCode: row.exit_code,
    error: row.error,
    createdBy: row.created_by,
  });
}
