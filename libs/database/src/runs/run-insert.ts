import type { DataSource } from 'typeorm';

import { toRunEntity, type RunRow } from './run-row.js';
import type { CreateRunInput, CreateRunResult } from './run.repository.js';

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/** A key whose run was deleted between the failed insert and the read: insert again, at most this often. */
const ATTEMPTS = 3;

/**
 * Insert a queued run and its 'created' event; with an idempotency key, a repeated or concurrent
 * create returns the existing run, decided by the unique index (never a check-then-insert). One
 * statement, so the row and its event are one implicit transaction; only a key that is already
 * taken needs a second query (with a fresh snapshot, which sees the run a concurrent request just
 * committed). The one insert of a run: RunRepository.create and RunSubmitRepository.create.
 */
export async function insertRun(dataSource: DataSource, input: CreateRunInput): Promise<CreateRunResult> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const [inserted] = await dataSource.query<RunRow[]>(
      `WITH ins AS (
         INSERT INTO runs (kind, name, description, spec, spec_version, preset, idempotency_key, gpu_count,
                           gpu_type, labels, max_steps, created_by)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10::text[], $11, $12)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING *
       ),
       event AS (
         INSERT INTO run_events (run_id, type, to_status, actor) SELECT id, 'created', status, $13 FROM ins
       )
       SELECT * FROM ins`,
      [
        input.kind,
        input.name,
        input.description ?? null,
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
    const [existing] = await dataSource.query<RunRow[]>(`SELECT * FROM runs WHERE idempotency_key = $1`, [
      input.idempotencyKey,
    ]);
    if (existing) return { run: toRunEntity(existing), created: false };
  }
  throw new Error(`run with idempotency key ${input.idempotencyKey} kept vanishing during create`);
}
