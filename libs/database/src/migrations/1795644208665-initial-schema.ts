import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole initial schema, in hand-written SQL. A migration is history: never edit this file once
 * it has run anywhere; change the schema with a new, later-timestamped migration.
 *
 * The CHECK lists of run kinds and statuses are copies of RUN_KINDS and RUN_STATUSES from
 * @brier/contracts as they were when this migration was written (a unit test compares them);
 * a new value needs a new migration.
 */
const RUN_KINDS_V1 = ['train', 'eval', 'import'];
const RUN_STATUSES_V1 = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'lost'];

const sqlList = (values: readonly string[]): string => values.map((v) => `'${v}'`).join(', ');

const UP = [
  // Bin of a probability in the seed's 10 equal-width bins: the largest k with k/10 <= p, edges
  // computed as float8 k/10 (exactly libs/calibration's binIndex, not floor(p*10): NO 90% gives
  // 0.09999999999999998, bin 0). NULL outside [0, 1]. Not STRICT so that the planner inlines it.
  `CREATE FUNCTION brier_bin(p double precision) RETURNS integer
     LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
       SELECT CASE
         WHEN p IS NULL OR NOT (p >= 0 AND p <= 1) THEN NULL
         WHEN p >= 9::float8 / 10 THEN 9
         WHEN p >= 8::float8 / 10 THEN 8
         WHEN p >= 7::float8 / 10 THEN 7
         WHEN p >= 6::float8 / 10 THEN 6
         WHEN p >= 5::float8 / 10 THEN 5
         WHEN p >= 4::float8 / 10 THEN 4
         WHEN p >= 3::float8 / 10 THEN 3
         WHEN p >= 2::float8 / 10 THEN 2
         WHEN p >= 1::float8 / 10 THEN 1
         ELSE 0
       END
     $$`,
  // Element-wise sums of equal-length arrays (the per-bin tallies of step_aggregates).
  `CREATE FUNCTION brier_array_add(a integer[], b integer[]) RETURNS integer[]
     LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
       SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
     $$`,
  `CREATE FUNCTION brier_array_add(a double precision[], b double precision[]) RETURNS double precision[]
     LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
       SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
     $$`,
  `CREATE FUNCTION brier_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       NEW.updated_at := now();
       RETURN NEW;
     END
   $$`,

  `CREATE TABLE agents (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     name text NOT NULL UNIQUE,
     hostname text NOT NULL,
     version text NOT NULL,
     prime_rl_version text,
     labels text[] NOT NULL DEFAULT '{}',
     gpus jsonb NOT NULL DEFAULT '[]',
     status text NOT NULL DEFAULT 'online' CHECK (status IN ('online', 'draining', 'offline')),
     incarnation uuid NOT NULL,
     registered_at timestamptz NOT NULL DEFAULT now(),
     heartbeat_at timestamptz NOT NULL DEFAULT now()
   )`,

  `CREATE TABLE runs (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     kind text NOT NULL CHECK (kind IN (${sqlList(RUN_KINDS_V1)})),
     name text NOT NULL,
     status text NOT NULL DEFAULT 'queued' CHECK (status IN (${sqlList(RUN_STATUSES_V1)})),
     spec jsonb NOT NULL,
     spec_version integer NOT NULL,
     preset text,
     idempotency_key text UNIQUE,
     gpu_count integer NOT NULL DEFAULT 1 CHECK (gpu_count >= 0),
     gpu_type text,
     labels text[] NOT NULL DEFAULT '{}',
     max_steps integer CHECK (max_steps >= 0),
     progress_step integer,
     attempt integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
     agent_id uuid REFERENCES agents (id) ON DELETE SET NULL,
     lease_token uuid,
     heartbeat_at timestamptz,
     cancel_requested_at timestamptz,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now(),
     started_at timestamptz,
     finished_at timestamptz,
     exit_code integer,
     error jsonb,
     created_by text
   )`,
  `CREATE INDEX runs_status_created_at_idx ON runs (status, created_at)`,
  `CREATE INDEX runs_created_at_id_idx ON runs (created_at, id)`,
  `CREATE INDEX runs_agent_id_idx ON runs (agent_id) WHERE agent_id IS NOT NULL`,
  `CREATE TRIGGER runs_touch_updated_at BEFORE UPDATE ON runs
     FOR EACH ROW EXECUTE FUNCTION brier_touch_updated_at()`,

  `CREATE TABLE run_attempts (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     run_id uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     number integer NOT NULL CHECK (number >= 1),
     agent_id uuid REFERENCES agents (id) ON DELETE SET NULL,
     lease_token uuid NOT NULL,
     status text NOT NULL DEFAULT 'running'
       CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'lost')),
     resume_step integer,
     started_at timestamptz NOT NULL DEFAULT now(),
     finished_at timestamptz,
     exit_code integer,
     signal text,
     error jsonb,
     UNIQUE (run_id, number)
   )`,

  `CREATE TABLE run_events (
     id bigserial PRIMARY KEY,
     run_id uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     at timestamptz NOT NULL DEFAULT now(),
     type text NOT NULL,
     from_status text,
     to_status text,
     actor text NOT NULL,
     reason text,
     data jsonb
   )`,
  `CREATE INDEX run_events_run_id_id_idx ON run_events (run_id, id)`,

  `CREATE TABLE checkpoints (
     id bigserial PRIMARY KEY,
     run_id uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     attempt integer NOT NULL,
     step integer NOT NULL CHECK (step >= 0),
     kind text NOT NULL CHECK (kind IN ('trainer', 'weights', 'broadcast')),
     path text NOT NULL,
     complete boolean NOT NULL DEFAULT false,
     created_at timestamptz NOT NULL DEFAULT now(),
     UNIQUE (run_id, step, kind)
   )`,

  `CREATE TABLE run_logs (
     id bigserial PRIMARY KEY,
     run_id uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     attempt integer NOT NULL,
     stream text NOT NULL CHECK (stream IN ('stdout', 'stderr', 'agent')),
     seq bigint NOT NULL,
     line text NOT NULL,
     at timestamptz NOT NULL DEFAULT now(),
     UNIQUE (run_id, attempt, stream, seq)
   )`,

  `CREATE TABLE prompts (
     id bigserial PRIMARY KEY,
     sha256 bytea NOT NULL UNIQUE CHECK (octet_length(sha256) = 32),
     text text NOT NULL
   )`,

  // The rollouts of a run are written only by RolloutIngestRepository, whose transaction first
  // inserts an ingest_batches row: that row's foreign key proves the run exists and KEY SHARE-locks
  // it until commit. A foreign key on rollouts itself would re-check it for every row (+7 ms per
  // 1,024-row batch, a quarter of the insert), so deletion cascades through a trigger instead.
  // Not partitioned yet: hash partitioning measured +8 ms per batch. The primary key leads with
  // run_id, so a later migration can turn this into PARTITION BY HASH / LIST (run_id).
  `CREATE TABLE rollouts (
     run_id uuid NOT NULL,
     attempt integer NOT NULL CHECK (attempt >= 0),
     step integer NOT NULL CHECK (step >= 0),
     sample_key text COLLATE "C" NOT NULL CHECK (sample_key <> ''), -- byte order: a key, not prose
     prompt_id bigint, -- prompts.id; prompts are append-only (no per-row foreign key check either)
     example_id text,
     label smallint NOT NULL CHECK (label IN (0, 1)),
     completion text,
     answer_text text,
     p_yes double precision NOT NULL CHECK (p_yes >= 0 AND p_yes <= 1),
     p_yes_extracted double precision CHECK (p_yes_extracted >= 0 AND p_yes_extracted <= 1),
     parseable boolean,
     brier double precision NOT NULL CHECK (brier >= 0 AND brier <= 1),
     length_penalty double precision,
     reward_trainer double precision,
     reward_brier double precision,
     completion_chars integer,
     completion_tokens integer,
     approx_tokens double precision,
     created_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (run_id, step, attempt, sample_key)
   )`,
  `CREATE FUNCTION brier_delete_run_rollouts() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       DELETE FROM rollouts WHERE run_id = OLD.id;
       RETURN NULL;
     END
   $$`,
  `CREATE TRIGGER runs_delete_rollouts AFTER DELETE ON runs
     FOR EACH ROW EXECUTE FUNCTION brier_delete_run_rollouts()`,

  // Per (run, step, attempt) running sums, folded in on ingest from the rows actually inserted.
  // bin_* are the 10 positive-class bins of P(YES) (brier_bin(p_yes)); top_bin_* the 10 top-label
  // bins of confidence max(p, 1 - p) (p = 0.5 predicts NO), with correctness as 0/1.
  `CREATE TABLE step_aggregates (
     run_id uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     step integer NOT NULL,
     attempt integer NOT NULL,
     n integer NOT NULL CHECK (n > 0),
     n_parseable integer NOT NULL,
     n_parse_known integer NOT NULL,
     sum_reward double precision NOT NULL,
     n_reward integer NOT NULL,
     sum_reward_brier double precision NOT NULL,
     n_reward_brier integer NOT NULL,
     sum_brier double precision NOT NULL,
     sum_approx_tokens double precision NOT NULL,
     n_length integer NOT NULL,
     n_penalized integer NOT NULL,
     n_penalty_known integer NOT NULL,
     n_correct integer NOT NULL,
     bin_n integer[] NOT NULL CHECK (cardinality(bin_n) = 10),
     bin_sum_p double precision[] NOT NULL CHECK (cardinality(bin_sum_p) = 10),
     bin_sum_label integer[] NOT NULL CHECK (cardinality(bin_sum_label) = 10),
     top_bin_n integer[] NOT NULL CHECK (cardinality(top_bin_n) = 10),
     top_bin_sum_conf double precision[] NOT NULL CHECK (cardinality(top_bin_sum_conf) = 10),
     top_bin_sum_correct integer[] NOT NULL CHECK (cardinality(top_bin_sum_correct) = 10),
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (run_id, step, attempt)
   )`,

  `CREATE TABLE orchestrator_steps (
     run_id uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     attempt integer NOT NULL,
     step integer NOT NULL,
     time_s double precision,
     reward double precision,
     seq_len double precision,
     async_level integer,
     off_policy_level integer,
     filtered_count integer,
     filtered_total integer,
     filtered jsonb,
     logged_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (run_id, attempt, step)
   )`,

  // lz4 compresses the large texts several times faster than the default pglz (PG 14+ built
  // --with-lz4, as the Debian and Docker builds are); elsewhere pglz stays.
  `DO $$
   BEGIN
     ALTER TABLE prompts ALTER COLUMN text SET COMPRESSION lz4;
     ALTER TABLE rollouts ALTER COLUMN completion SET COMPRESSION lz4;
     ALTER TABLE rollouts ALTER COLUMN answer_text SET COMPRESSION lz4;
   EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
     RAISE NOTICE 'brier: lz4 unavailable, large texts keep pglz compression';
   END
   $$`,

  `CREATE TABLE ingest_batches (
     batch_id text PRIMARY KEY CHECK (batch_id <> ''),
     run_id uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     received_at timestamptz NOT NULL DEFAULT now(),
     row_count integer NOT NULL,
     inserted integer,
     skipped integer
   )`,
  `CREATE INDEX ingest_batches_run_id_idx ON ingest_batches (run_id)`,

  // Read-only access for researchers. Roles are cluster-wide: another database may have created it
  // already (or be creating it right now), and a migration user without CREATEROLE only warns.
  `DO $$
   BEGIN
     BEGIN
       CREATE ROLE brier_readonly NOLOGIN;
     EXCEPTION
       WHEN duplicate_object OR unique_violation THEN NULL;
       WHEN insufficient_privilege THEN
         RAISE WARNING 'brier: cannot create role brier_readonly (needs CREATEROLE); create it and re-grant';
     END;
     IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'brier_readonly') THEN
       EXECUTE format('GRANT CONNECT ON DATABASE %I TO brier_readonly', current_database());
       GRANT USAGE ON SCHEMA public TO brier_readonly;
       GRANT SELECT ON ALL TABLES IN SCHEMA public TO brier_readonly;
       ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO brier_readonly;
     END IF;
   END
   $$`,
];

const DOWN = [
  // The metric views (created by runMigrations after the migrations) depend on the tables.
  `DROP VIEW IF EXISTS step_reliability_bins, step_metrics, current_rollouts, current_step_aggregates`,
  `DO $$
   BEGIN
     IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'brier_readonly') THEN
       ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM brier_readonly;
       REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM brier_readonly;
       REVOKE USAGE ON SCHEMA public FROM brier_readonly;
       EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM brier_readonly', current_database());
     END IF;
   END
   $$`,
  `DROP TABLE ingest_batches`,
  `DROP TABLE orchestrator_steps`,
  `DROP TABLE step_aggregates`,
  `DROP TABLE rollouts`,
  `DROP TABLE prompts`,
  `DROP TABLE run_logs`,
  `DROP TABLE checkpoints`,
  `DROP TABLE run_events`,
  `DROP TABLE run_attempts`,
  `DROP TABLE runs`,
  `DROP TABLE agents`,
  `DROP FUNCTION brier_delete_run_rollouts()`,
  `DROP FUNCTION brier_touch_updated_at()`,
  `DROP FUNCTION brier_array_add(double precision[], double precision[])`,
  `DROP FUNCTION brier_array_add(integer[], integer[])`,
  `DROP FUNCTION brier_bin(double precision)`,
];

export class InitialSchema1795644208665 implements MigrationInterface {
  name = 'InitialSchema1795644208665';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of UP) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of DOWN) await queryRunner.query(statement);
  }
}

/** For the test that keeps these lists equal to @brier/contracts (a change there needs a new migration). */
export const INITIAL_SCHEMA_CHECK_LISTS = { runKinds: RUN_KINDS_V1, runStatuses: RUN_STATUSES_V1 };
