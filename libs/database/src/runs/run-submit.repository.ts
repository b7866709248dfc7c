import type { DataSource } from 'typeorm';

import { toRunEntity, type RunRow } from './run-row.js';
import type { CreateRunInput, CreateRunResult } from './run.repository.js';

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/** A key whose run was deleted between the failed insert and the read: insert again, at most this often. */
const ATTEMPTS = 3;

/**
 * RunRepository.create's semantics (a queued run and its 'created' event; a repeated or
 * concurrent idempotency key returns the existing run, decided by the unique index) in one
 * statement instead of a four-statement transaction: the hot path of POST /v1/runs. The row and
 * its event are one implicit transaction; only a key that is already taken needs a second query
 * (with a fresh snapshot, which sees the run a concurrent request just committed).
 */
export class RunSubmitRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(input: CreateRunInput): Promise<CreateRunResult> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const [inserted] = await this.dataSource.query<RunRow[]>(
        `WITH ins AS (
           INSERT INTO runs (kind, name, spec, spec_version, preset, idempotency_key, gpu_count, gpu_type, labels,
                             max_steps, created_by)
           VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9::text[], $10, $11)
           ON CONFLICT (idempotency_key) DO NOTHING
           RETURNING *
         ),
         event AS (
           INSERT INTO run_events (run_id, type, to_status, actor) SELECT id, 'created', status, $12 FROM ins
         )
         SELECT * FROM ins`,
        [
          input.kind,
          input.name,
          json(input.spec),
          input.specVersion,
          input.preset ?? null,
          input.idempotencyKey ?? null,
          input.gpuCount ?? 1,
          input.gpuType ?? null,
          input.labels ?? [],
          input.maxSteps ?? null,
          input.createdBy ?? null,
          input.createdBy ?? 'api',
        ],
      );
      if (inserted) return { run: toRunEntity(inserted), created: true };
      const [existing] = await this.dataSource.query<RunRow[]>(
        `SELECT * FROM runs WHERE idempotency_key = $1`,
        [input.idempotencyKey],
      );
      if (existing) return { run: toRunEntity(existing), created: false };
    }
    throw new Error(`run with idempotency key ${input.idempotencyKey} kept vanishing during create`);
  }
}
