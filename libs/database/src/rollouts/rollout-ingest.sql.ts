import { FOLD_SOURCE_COLUMNS, foldRolloutsSql, upsertStepAggregatesSql } from '../metrics/metrics.sql.js';
import { STAGE_COLUMNS } from './rollout-batch.js';

/**
 * The staging table COPY writes into: per session, emptied at every commit. The version suffix
 * keeps a pooled session's table from an older release from being reused after a change.
 * toast_tuple_target = 8160 keeps ordinary rows (a few KB) uncompressed and inline: compressing
 * them with pglz cost more than the whole COPY otherwise.
 */
export const STAGE_TABLE = 'brier_rollout_stage_v1';

export const CREATE_STAGE = `CREATE TEMP TABLE IF NOT EXISTS ${STAGE_TABLE} (
  step integer NOT NULL,
  attempt integer NOT NULL,
  sample_key text COLLATE "C" NOT NULL,
  prompt_sha256 bytea,
  example_id text,
  label smallint NOT NULL,
  completion text,
  answer_text text,
  p_yes double precision NOT NULL,
  p_yes_extracted double precision,
  parseable boolean,
  brier double precision NOT NULL,
  length_penalty double precision,
  reward_trainer double precision,
  reward_brier double precision,
  completion_chars integer,
  completion_tokens integer,
  approx_tokens double precision
) WITH (toast_tuple_target = 8160) ON COMMIT DELETE ROWS`;

export const COPY_INTO_STAGE = `COPY ${STAGE_TABLE} (${STAGE_COLUMNS.join(', ')}) FROM STDIN`;

/**
 * Take the run's shared ingest lock (rebuildAggregates takes it exclusively), then claim the batch
 * id. $1 = batch id, $2 = run id, $3 = rows received. Returns a row only when the batch is new.
 */
export const CLAIM_BATCH = `INSERT INTO ingest_batches (batch_id, run_id, row_count)
  SELECT $1, $2::uuid, $3
  FROM (SELECT pg_advisory_xact_lock_shared(hashtextextended('brier.rollouts:' || $2::uuid::text, 0))) l
  ON CONFLICT (batch_id) DO NOTHING
  RETURNING batch_id`;

export const FIND_BATCH = `SELECT run_id, row_count, inserted, skipped FROM ingest_batches WHERE batch_id = $1`;

export const FINISH_BATCH = `UPDATE ingest_batches SET inserted = $2, skipped = $3 WHERE batch_id = $1`;

/** The exclusive side of CLAIM_BATCH's lock. $1 = run id. */
export const LOCK_RUN_EXCLUSIVE = `SELECT pg_advisory_xact_lock(hashtextextended('brier.rollouts:' || $1::uuid::text, 0))`;

/** $1 = SHA-256 hex digests (sorted, for a stable lock order), $2 = texts. */
export const UPSERT_PROMPTS = `INSERT INTO prompts (sha256, text)
  SELECT decode(h, 'hex'), t FROM unnest($1::text[], $2::text[]) AS u(h, t)
  ON CONFLICT (sha256) DO NOTHING`;

const STAGE_VALUES = STAGE_COLUMNS.filter((c) => c !== 'prompt_sha256' && c !== 'step' && c !== 'attempt');

/**
 * Move the staged rows into rollouts, skipping natural keys already present, and fold exactly the
 * rows inserted by this statement into step_aggregates, and record the counts in ingest_batches.
 * $1 = run id, $2 = batch id. Returns { inserted }. Run as a
 * named prepared statement: planning this text costs more than executing it for a 1,024-row batch.
 */
export const INSERT_STAGED_ROLLOUTS_NAME = 'brier_insert_staged_rollouts_v1';
export const INSERT_STAGED_ROLLOUTS = `WITH ins AS (
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
),
counted AS (
  UPDATE ingest_batches SET inserted = n.inserted, skipped = row_count - n.inserted
  FROM (SELECT count(*)::int AS inserted FROM ins) n
  WHERE batch_id = $2
  RETURNING n.inserted
)
SELECT inserted, (SELECT count(*) FROM folded)::int AS steps FROM counted`;
