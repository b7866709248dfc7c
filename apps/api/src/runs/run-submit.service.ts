import { resolveRunRequest, SPEC_VERSION, validateRunRequest, type ValidRunRequest } from '@brier/contracts';
import { RunSubmitRepository, type RunEntity } from '@brier/database';
import { Injectable } from '@nestjs/common';

import { apiError, invalidRequest } from '../http/api-error.js';
import { QueueUnavailableError } from '../queue/queue-unavailable.error.js';
import { RunEnqueuer } from '../queue/run-enqueuer.js';
import { toRunDto } from './dto/run.dto.js';

export interface SubmitResult {
  run: RunEntity;
  /** false: the Idempotency-Key named a run submitted before, which is returned as it is now. */
  created: boolean;
}

/**
 * POST /v1/runs: preset merged under the request, the whole request validated, the run row
 * committed (an Idempotency-Key makes a repeat return the same run), and only then its job
 * enqueued. If Redis does not take the job, the run stays queued in Postgres (the reconciler
 * enqueues it later) and the answer is a 503 that names the run.
 */
@Injectable()
export class RunSubmitService {
  constructor(
    private readonly runs: RunSubmitRepository,
    private readonly enqueuer: RunEnqueuer,
  ) {}

  /** `createdBy`: the submitting token's name, the run's owner. */
  async submit(body: unknown, idempotencyKey: string | undefined, createdBy: string): Promise<SubmitResult> {
    const request = this.parse(body);
    const { run, created } = await this.runs.create({
      kind: request.kind,
      name: request.name,
      description: request.description ?? null,
      spec: request.spec,
      specVersion: SPEC_VERSION,
      preset: request.preset ?? null,
      idempotencyKey: idempotencyKey ?? null,
      gpuCount: request.resources.gpuCount,
      gpuType: request.resources.gpuType ?? null,
      labels: request.resources.labels,
      maxSteps: request.kind === 'train' ? request.spec.maxSteps : null,
      createdBy,
    });
    if (!created && !sameRequest(run, request)) {
      throw apiError(
        422,
        `Idempotency-Key was already used for a different run request (run ${run.id}); use a new key for a new run`,
        { runId: run.id },
      );
    }
    // A repeat enqueues again too: a no-op while the job exists, the fix if the first add failed.
    if (run.status === 'queued') await this.enqueueOrExplain(run);
    return { run, created };
  }

  private parse(body: unknown): ValidRunRequest {
    const resolved = resolveRunRequest(body);
    if (!resolved.ok) throw invalidRequest(resolved.errors);
    const kind = (resolved.value as { kind?: unknown } | null)?.kind;
    if (kind === 'import') {
      throw invalidRequest([
        {
          path: 'kind',
          message:
            "import runs are created by POST /v1/imports (a results directory's files as multipart/form-data)",
        },
      ]);
    }
    const checked = validateRunRequest(resolved.value);
    if (!checked.ok) throw invalidRequest(checked.errors);
    return checked.value;
  }

  private async enqueueOrExplain(run: RunEntity): Promise<void> {
    try {
      await this.enqueuer.enqueue(run);
    } catch (error) {
      if (!(error instanceof QueueUnavailableError)) throw error;
      throw apiError(
        503,
        `run ${run.id} is saved and queued, but the job queue (Redis) is unavailable: it is enqueued ` +
          'automatically once Redis answers; repeat the request with the same Idempotency-Key to check',
        { runId: run.id, run: toRunDto(run) },
      );
    }
  }
}

/** Whether a stored run is what this request would have created (the spec compared as JSON). */
function sameRequest(run: RunEntity, request: ValidRunRequest): boolean {
  const stored = {
    kind: run.kind,
    name: run.name,
    description: run.description,
    preset: run.preset,
    resources: { gpuCount: run.gpuCount, gpuType: run.gpuType, labels: run.labels },
    spec: run.spec,
  };
  const asked = {
    kind: request.kind,
    name: request.name,
    description: request.description ?? null,
    preset: request.preset ?? null,
    resources: {
      gpuCount: request.resources.gpuCount,
      gpuType: request.resources.gpuType ?? null,
      labels: request.resources.labels,
    },
    spec: JSON.parse(JSON.stringify(request.spec)) as unknown,
  };
  return canonicalJson(stored) === canonicalJson(asked);
}

/** JSON with object keys sorted (jsonb does not keep the order they were written in). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
