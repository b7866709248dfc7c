import { FOLD_SOURCE_COLUMNS, foldRolloutsSql, upsertStepAggregatesSql } from '../metrics/metrics.sql.js';
import { STAGE_COLUMNS } from './rollout-batch.js';
import { STAGE_TABLE } from './rollout-ingest.sql.js';

/**
 * SQL of RolloutStreamIngestRepository: one request's rollouts (any number of chunks) in one
 * transaction. The batch claim, the staging table, the COPY and the prompt upsert are
 * RolloutIngestRepository's (rollout-ingest.sql.ts); what differs is that the batch's counts are
 * known only at the end, and that the staging table is emptied between chunks of one transaction.
 */

/** Emptied before each chunk after the first (ON COMMIT DELETE ROWS only empties it at commit). */
export const TRUNCATE_STAGE = `TRUNCATE ${STAGE_TABLE}`;

/** $1 = batch id, $2 = rows received, $3 = inserted, $4 = skipped. */
export const FINISH_STREAM_BATCH = `UPDATE ingest_batches SET row_count = $2, inserted = $3, skipped = $4
  WHERE batch_id = $1`;

/**
 * The fence at commit: the lease must still be the run's, and it cannot change until this
 * transaction ends (FOR SHARE blocks a claim, the reaper, finish and cancel; it waits for a
 * heartbeat in flight). $1 = run id, $2 = lease token.
 */
export const LOCK_LEASE_SHARED = `SELECT attempt FROM runs
  WHERE id = $1 AND lease_token = $2::uuid AND status = 'running'
  FOR SHARE`;

const STAGE_VALUES = STAGE_COLUMNS.filter((c) => c !== 'prompt_sha256' && c !== 'step' && c !== 'attempt');

/**
 * Move one staged chunk into rollouts (natural keys already stored, in an earlier chunk of this
 * transaction too, are skipped) and fold exactly the inserted rows into step_aggregates.
 * $1 = run id. Returns { inserted }.
 */
export const INSERT_STAGED_CHUNK_NAME = 'brier_insert_staged_chunk_v1';
export const INSERT_STAGED_CHUNK = `WITH ins AS (
  INSERT INTO rollouts (run_id, step, attempt, prompt_id, ${STAGE_VALUES.join(', ')})
  SELECT $1::uuid, s.step, s.attempt, (SELECT p.id FROM prompts p WHERE p.sha256 = s.prompt_sha256),
    ${STAGE_VALUES.map((c) => `s.${c}`).join(', ')}
  FROM ${STAGE_TABLE} s
  ON CONFLICT (run_id, step, attempt, sample_key) DO NOTHING
  RETURNING ${FOLD_SOURCE_COLUMNS.join(', ')}
),
folded AS (
  ${upsertStepAggregatesSql(foldRolloutsSql('ins'))}
  RETURNING 1
)
SELECT (SELECT count(*) FROM ins)::int AS inserted, (SELECT count(*) FROM folded)::int AS steps`;
