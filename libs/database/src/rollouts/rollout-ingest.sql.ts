import { STEP_AGGREGATE_SUM_TYPES } from '../metrics/step-aggregate-fold.js';
import { FOLD_SOURCE_COLUMNS, foldRolloutsSql, upsertStepAggregatesSql } from '../metrics/metrics.sql.js';
import { ROLLOUT_COPY_COLUMNS } from './rollout-batch.js';

/**
 * Every statement of RolloutIngestRepository (rollout-ingest.repository.ts): one ingest session
 * is one transaction that claims its batch id, writes any number of encoded batches, and folds
 * the rows it inserted into step_aggregates once, at commit.
 *
 * A write (one or more encoded batches) goes one of two ways (the session picks; both store the
 * same rows and the same aggregates):
 * - direct: COPY straight into rollouts, when none of its (step, attempt) pairs had rows before
 *   the session (the common case: an agent's new step, an import), under a savepoint: a natural
 *   key that exists after all (a repeated key, a concurrent writer) fails the COPY with a unique
 *   violation, and the write is made again the other way. Every row is new, so the batches' own
 *   sums (StepAggregateFold, computed where they were encoded) are what step_aggregates gains;
 * - staged: COPY into a temporary table, then INSERT … ON CONFLICT DO NOTHING into rollouts, the
 *   fold columns of exactly the rows inserted going to a temporary fold table (foldRolloutsSql).
 * At commit both are added into step_aggregates, each in one statement. The tuples are the
 * encoded batches' (rollout-batch.ts), whose run_id the session fills in.
 */

/** Columns of the staged writes' fold table: metrics.sql.ts's FOLD_SOURCE_COLUMNS but run_id. */
export const FOLD_STAGE_COLUMNS = FOLD_SOURCE_COLUMNS.filter(
  (column): column is Exclude<(typeof FOLD_SOURCE_COLUMNS)[number], 'run_id'> => column !== 'run_id',
);

/** Types of the COPY columns, as rollouts has them (binary COPY needs exactly these types). */
const COLUMN_TYPES: Readonly<Record<string, string>> = {
  run_id: 'uuid NOT NULL',
  step: 'integer NOT NULL',
  attempt: 'integer NOT NULL',
  sample_key: 'text COLLATE "C" NOT NULL',
  prompt_id: 'bigint',
  example_id: 'text',
  label: 'smallint NOT NULL',
  completion: 'text',
  answer_text: 'text',
  p_yes: 'double precision NOT NULL',
  p_yes_extracted: 'double precision',
  parseable: 'boolean',
  brier: 'double precision NOT NULL',
  length_penalty: 'double precision',
  reward_trainer: 'double precision',
  reward_brier: 'double precision',
  completion_chars: 'integer',
  completion_tokens: 'integer',
  approx_tokens: 'double precision',
};

const columnsDdl = (columns: readonly string[]): string =>
  columns.map((c) => `${c} ${COLUMN_TYPES[c]!}`).join(',\n  ');

/**
 * Temporary tables, per pooled session; ON COMMIT DELETE ROWS empties them at every commit. The
 * version suffix keeps a session's tables from an older release from being reused after a change.
 * toast_tuple_target = 8160 keeps ordinary rows (a few KB) uncompressed and inline: compressing
 * them with pglz cost more than the whole COPY otherwise.
 */
export const ROW_STAGE = 'brier_rollout_stage_v2';
export const FOLD_STAGE = 'brier_rollout_fold_v2';

export const CREATE_STAGES = [
  `CREATE TEMP TABLE IF NOT EXISTS ${ROW_STAGE} (
  ${columnsDdl(ROLLOUT_COPY_COLUMNS)}
) WITH (toast_tuple_target = 8160) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE IF NOT EXISTS ${FOLD_STAGE} (
  ${columnsDdl(FOLD_STAGE_COLUMNS)}
) ON COMMIT DELETE ROWS`,
];

const binaryCopy = (table: string, columns: readonly string[]): string =>
  `COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT binary)`;

export const COPY_INTO_ROLLOUTS = binaryCopy('rollouts', ROLLOUT_COPY_COLUMNS);
export const COPY_INTO_ROW_STAGE = binaryCopy(ROW_STAGE, ROLLOUT_COPY_COLUMNS);

/** Emptied before each staged batch after the first of a transaction. */
export const TRUNCATE_ROW_STAGE = `TRUNCATE ${ROW_STAGE}`;

/**
 * Take the run's shared ingest lock (rebuildAggregates takes it exclusively), then claim the batch
 * id. $1 = batch id, $2 = run id. Returns a row only when the batch is new; while a transaction
 * holding the same batch id is open, waits for it to end.
 */
export const CLAIM_BATCH = `INSERT INTO ingest_batches (batch_id, run_id, row_count)
  SELECT $1, $2::uuid, 0
  FROM (SELECT pg_advisory_xact_lock_shared(hashtextextended('brier.rollouts:' || $2::uuid::text, 0))) l
  ON CONFLICT (batch_id) DO NOTHING
  RETURNING batch_id`;

export const FIND_BATCH = `SELECT run_id, row_count, inserted, skipped FROM ingest_batches WHERE batch_id = $1`;

/** $1 = batch id, $2 = rows received, $3 = inserted, $4 = skipped. */
export const FINISH_BATCH = `UPDATE ingest_batches SET row_count = $2, inserted = $3, skipped = $4
  WHERE batch_id = $1`;

/** The exclusive side of CLAIM_BATCH's lock. $1 = run id. */
export const LOCK_RUN_EXCLUSIVE = `SELECT pg_advisory_xact_lock(hashtextextended('brier.rollouts:' || $1::uuid::text, 0))`;

/**
 * The fence at commit: the lease must still be the run's, and it cannot change until this
 * transaction ends (FOR SHARE blocks a claim, the reaper, finish and cancel; it waits for a
 * heartbeat in flight). $1 = run id, $2 = lease token.
 */
export const LOCK_LEASE_SHARED = `SELECT attempt FROM runs
  WHERE id = $1 AND lease_token = $2::uuid AND status = 'running'
  FOR SHARE`;

/** Ids of the prompts stored already. $1 = SHA-256 hex digests. */
export const FIND_PROMPTS = `SELECT encode(sha256, 'hex') AS hash, id::float8 AS id FROM prompts
  WHERE sha256 = ANY (ARRAY(SELECT decode(h, 'hex') FROM unnest($1::text[]) AS u(h)))`;

/** $1 = SHA-256 hex digests (sorted, for a stable lock order), $2 = texts. */
export const UPSERT_PROMPTS = `INSERT INTO prompts (sha256, text)
  SELECT decode(h, 'hex'), t FROM unnest($1::text[], $2::text[]) AS u(h, t)
  ON CONFLICT (sha256) DO NOTHING`;

/**
 * Which of the (step, attempt) pairs already have rows in the run (an index probe each).
 * $1 = run id, $2 = steps, $3 = attempts.
 */
export const EXISTING_PAIRS = `SELECT p.step, p.attempt
  FROM unnest($2::int[], $3::int[]) AS p(step, attempt)
  WHERE EXISTS (
    SELECT 1 FROM rollouts r WHERE r.run_id = $1::uuid AND r.step = p.step AND r.attempt = p.attempt
  )`;

export const SAVEPOINT = 'SAVEPOINT brier_direct_copy';
export const RELEASE_SAVEPOINT = 'RELEASE SAVEPOINT brier_direct_copy';
/** Undo the direct write, and end its savepoint (a later one starts afresh, not nested in it). */
export const ROLLBACK_TO_SAVEPOINT =
  'ROLLBACK TO SAVEPOINT brier_direct_copy; RELEASE SAVEPOINT brier_direct_copy';

/**
 * Move the staged rows into rollouts, skipping natural keys already present (in an earlier batch
 * of this transaction too), and stage the fold columns of exactly the rows inserted. The command's
 * row count is the number inserted. Run as a named prepared statement.
 */
export const INSERT_STAGED_NAME = 'brier_insert_staged_v2';
export const INSERT_STAGED = `WITH ins AS (
  INSERT INTO rollouts (${ROLLOUT_COPY_COLUMNS.join(', ')})
  SELECT ${ROLLOUT_COPY_COLUMNS.join(', ')} FROM ${ROW_STAGE}
  ON CONFLICT (run_id, step, attempt, sample_key) DO NOTHING
  RETURNING ${FOLD_STAGE_COLUMNS.join(', ')}
)
INSERT INTO ${FOLD_STAGE} (${FOLD_STAGE_COLUMNS.join(', ')}) SELECT ${FOLD_STAGE_COLUMNS.join(', ')} FROM ins`;

/** Fold the rows the staged writes inserted into step_aggregates: one GROUP BY, at commit. $1 = run id. */
export const FOLD_STAGED_NAME = 'brier_fold_staged_v2';
export const FOLD_STAGED = upsertStepAggregatesSql(
  foldRolloutsSql(
    `(SELECT $1::uuid AS run_id, ${FOLD_STAGE_COLUMNS.join(', ')} FROM ${FOLD_STAGE}) AS staged`,
  ),
);

const SUM_COLUMNS = Object.keys(STEP_AGGREGATE_SUM_TYPES);

/**
 * Add the direct writes' sums (StepAggregateSums, as JSON) into step_aggregates. $1 = run id,
 * $2 = the sums. JSON numbers read back as the same doubles (shortest round-trip form).
 */
export const UPSERT_SUMS_NAME = 'brier_upsert_sums_v2';
export const UPSERT_SUMS = upsertStepAggregatesSql(`SELECT $1::uuid, ${SUM_COLUMNS.join(', ')}
  FROM jsonb_to_recordset($2::jsonb) AS s(${SUM_COLUMNS.map((c) => `${c} ${STEP_AGGREGATE_SUM_TYPES[c as keyof typeof STEP_AGGREGATE_SUM_TYPES]}`).join(', ')})
  ORDER BY step, attempt`);
