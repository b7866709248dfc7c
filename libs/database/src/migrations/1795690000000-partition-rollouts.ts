import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * rollouts becomes `PARTITION BY HASH (run_id)` with 16 partitions, rollouts_p00 … rollouts_p15
 * (docs/scaling.md): a run's rows all live in one partition, so every per-run statement (they all
 * say `run_id = $1`) reads one partition, and vacuum, index rebuilds and run deletions work on a
 * sixteenth of the table. Columns, CHECKs, defaults, collations and lz4 compression are copied with
 * LIKE; the primary key (run_id leads, so it is legal on the partitioned table) is built after the
 * rows are in, which is about twice as fast as inserting into a live index.
 *
 * The whole move is one transaction: the rename takes an ACCESS EXCLUSIVE lock, so ingest and reads
 * of rollouts wait until it commits, and the rows are copied once (docs/scaling.md says how long).
 *
 * Other objects that name rollouts: the trigger runs_delete_rollouts is on runs and its function
 * names rollouts by name (resolved when it runs), so it needs nothing; no foreign key points at or
 * from rollouts (the guard below checks, with hand-made indexes and triggers, which LIKE would not
 * carry); the view current_rollouts is bound to the old table, so it is dropped here and created
 * again by runMigrations (ensureMetricViews) right after the migrations; the read-only role's
 * SELECT is granted again (docs/sql.md). A view someone else built on rollouts makes the DROP TABLE
 * fail, and the migration with it, rather than vanish.
 */
const PARTITIONS = 16;
const PRIMARY_KEY = '(run_id, step, attempt, sample_key)';

const partitionName = (remainder: number): string => `rollouts_p${String(remainder).padStart(2, '0')}`;
const partitionNames = Array.from({ length: PARTITIONS }, (_, remainder) => partitionName(remainder));

/** Fails, naming them, on indexes, triggers or foreign keys of `table` that the move would not carry. */
const refuseUncarriedObjects = (table: string, primaryKey: string): string => `DO $$
   DECLARE
     extra text;
   BEGIN
     SELECT string_agg(what, ', ') INTO extra FROM (
       SELECT 'index ' || indexrelid::regclass::text AS what FROM pg_index
         WHERE indrelid = '${table}'::regclass AND indexrelid <> '${primaryKey}'::regclass
       UNION ALL
       SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgrelid = '${table}'::regclass AND NOT tgisinternal
       UNION ALL
       SELECT 'foreign key ' || conname FROM pg_constraint
         WHERE contype = 'f' AND (conrelid = '${table}'::regclass OR confrelid = '${table}'::regclass)
     ) objects;
     IF extra IS NOT NULL THEN
       RAISE EXCEPTION 'brier: ${table} has objects this migration would not carry over: %', extra
         USING HINT = 'drop them, migrate, then create them again on the new table';
     END IF;
   END
   $$`;

const grantReadOnly = (tables: readonly string[]): string => `DO $$
   BEGIN
     IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'brier_readonly') THEN
       GRANT SELECT ON ${tables.join(', ')} TO brier_readonly;
     END IF;
   END
   $$`;

/**
 * Rename `rollouts` to `old`, create the new `rollouts` from it with `create`, copy the rows, build
 * the primary key, drop `old`, and grant the read-only role SELECT on `tables`.
 */
function moveRollouts(old: string, create: readonly string[], tables: readonly string[]): string[] {
  return [
    refuseUncarriedObjects('rollouts', 'rollouts_pkey'),
    `DROP VIEW IF EXISTS current_rollouts`,
    `ALTER TABLE rollouts RENAME TO ${old}`,
    `ALTER TABLE ${old} RENAME CONSTRAINT rollouts_pkey TO ${old}_pkey`,
    ...create,
    `INSERT INTO rollouts SELECT * FROM ${old}`,
    `ALTER TABLE rollouts ADD CONSTRAINT rollouts_pkey PRIMARY KEY ${PRIMARY_KEY}`,
    `DROP TABLE ${old}`,
    grantReadOnly(tables),
    // The planner's statistics: autovacuum analyzes each partition in time, never the parent.
    `ANALYZE rollouts`,
  ];
}

const UP = moveRollouts(
  'rollouts_unpartitioned',
  [
    `CREATE TABLE rollouts (LIKE rollouts_unpartitioned INCLUDING ALL EXCLUDING INDEXES)
       PARTITION BY HASH (run_id)`,
    ...partitionNames.map(
      (name, remainder) =>
        `CREATE TABLE ${name} PARTITION OF rollouts FOR VALUES WITH (MODULUS ${PARTITIONS}, REMAINDER ${remainder})`,
    ),
  ],
  ['rollouts', ...partitionNames],
);

const DOWN = moveRollouts(
  'rollouts_partitioned',
  [`CREATE TABLE rollouts (LIKE rollouts_partitioned INCLUDING ALL EXCLUDING INDEXES)`],
  ['rollouts'],
);

export class PartitionRollouts1795690000000 implements MigrationInterface {
  name = 'PartitionRollouts1795690000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of UP) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of DOWN) await queryRunner.query(statement);
  }
}

/** For tests: the partitions' names, rollouts_p00 … rollouts_p15. */
export const ROLLOUT_PARTITIONS: readonly string[] = partitionNames;
