import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDataSource } from '../src/data-source.js';
import { ROLLOUT_PARTITIONS } from '../src/migrations/1795690000000-partition-rollouts.js';
import { DATABASE_MIGRATIONS } from '../src/migrations/index.js';
import { runMigrations } from '../src/run-migrations.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/** Every migration's name, oldest first: what a fresh database gets. */
const ALL_MIGRATIONS = DATABASE_MIGRATIONS.map((migration) => new migration().name);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(() => db?.drop());

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  it('apply to an empty database, then a second run is a no-op', async () => {
    const first = await runMigrations(db.url);
    expect(first.applied).toEqual(ALL_MIGRATIONS);
    expect(ALL_MIGRATIONS[0]).toBe('InitialSchema1795644208665');
    expect(first.views).toEqual([
      'current_step_aggregates',
      'current_rollouts',
      'step_metrics',
      'step_reliability_bins',
    ]);

    const second = await runMigrations(db.url);
    expect(second).toEqual({ applied: [], views: [] });

    const tables = await query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
       ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'agents',
      'api_tokens',
      'checkpoints',
      'ingest_batches',
      'orchestrator_steps',
      'prompts',
      'rollouts',
      ...ROLLOUT_PARTITIONS,
      'run_attempts',
      'run_events',
      'run_logs',
      'runs',
      'step_aggregates',
      'typeorm_migrations',
    ]);
    const compression = await query<{ attname: string; attcompression: string }>(
      `SELECT attname, attcompression FROM pg_attribute
       WHERE attrelid IN ('rollouts'::regclass, 'prompts'::regclass) AND attcompression <> '' ORDER BY 1`,
    );
    expect(compression).toEqual([
      { attname: 'answer_text', attcompression: 'l' },
      { attname: 'completion', attcompression: 'l' },
      { attname: 'text', attcompression: 'l' },
    ]);
  });

  it('matches every entity: same columns, types and nullability as the migration made them', async () => {
    const dataSource = await createDataSource(db.url).initialize();
    try {
      const udt: Record<string, string> = {
        uuid: 'uuid',
        text: 'text',
        integer: 'int4',
        smallint: 'int2',
        bigint: 'int8',
        'double precision': 'float8',
        boolean: 'bool',
        jsonb: 'jsonb',
        timestamptz: 'timestamptz',
        bytea: 'bytea',
      };
      for (const entity of dataSource.entityMetadatas) {
        const actual = await query<{ column_name: string; udt_name: string; is_nullable: 'YES' | 'NO' }>(
          `SELECT column_name, udt_name, is_nullable FROM information_schema.columns
           WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name`,
          [entity.tableName],
        );
        const expected = entity.columns
          .map((c) => ({
            column_name: c.databaseName,
            udt_name: `${c.isArray ? '_' : ''}${udt[String(c.type)] ?? `? ${String(c.type)}`}`,
            is_nullable: c.isNullable ? 'YES' : 'NO',
          }))
          .sort((a, b) => a.column_name.localeCompare(b.column_name));
        expect(actual, entity.tableName).toEqual(expected);
      }
      expect(dataSource.entityMetadatas).toHaveLength(12);
    } finally {
      await dataSource.destroy();
    }
  });

  it('reverts cleanly, and applies again', async () => {
    const other = await createTestDatabase();
    try {
      const dataSource = await createDataSource(other.url).initialize();
      try {
        for (let i = 0; i < ALL_MIGRATIONS.length; i++) await dataSource.undoLastMigration();
        const left = await dataSource.query<{ relname: string }[]>(
          `SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'v', 'p')`,
        );
        expect(left.map((r) => r.relname)).toEqual(['typeorm_migrations']);
      } finally {
        await dataSource.destroy();
      }
      expect((await runMigrations(other.url)).applied).toEqual(ALL_MIGRATIONS);
    } finally {
      await other.drop();
    }
  });

  it('concurrent migrators serialise on the advisory lock', async () => {
    const other = await createTestDatabase({ migrate: false });
    try {
      const reports = await Promise.all([runMigrations(other.url), runMigrations(other.url)]);
      expect(reports.map((r) => r.applied.length).sort()).toEqual([0, ALL_MIGRATIONS.length]);
    } finally {
      await other.drop();
    }
  });

  it('brier_bin uses exact k/10 edges, never floor(p*10)', async () => {
    const cases: [number, number | null][] = [
      [0, 0],
      [0.09999999999999998, 0], // NO 90%
      [0.1, 1],
      [0.2, 2],
      [1 - 0.7, 3], // 0.30000000000000004
      [0.7 - 0.4, 2], // 0.29999999999999993
      [0.3, 3],
      [0.6, 6],
      [0.7, 7],
      [0.99, 9],
      [1, 9],
      [-0.01, null],
      [1.01, null],
    ];
    const rows = await query<{ bin: number | null }>(
      'SELECT brier_bin(p) AS bin FROM unnest($1::float8[]) WITH ORDINALITY AS t(p, i) ORDER BY i',
      [cases.map(([p]) => p)],
    );
    expect(rows.map((r) => r.bin)).toEqual(cases.map(([, bin]) => bin));
    const [special] = await query<{ nan: number | null; nul: number | null }>(
      `SELECT brier_bin('NaN') AS nan, brier_bin(NULL) AS nul`,
    );
    expect(special).toEqual({ nan: null, nul: null });
  });

  it('creates the read-only role with SELECT on every table and view', async () => {
    const [role] = await query<{ rolcanlogin: boolean }>(
      `SELECT rolcanlogin FROM pg_roles WHERE rolname = 'brier_readonly'`,
    );
    expect(role).toEqual({ rolcanlogin: false });
    const missing = await query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c
       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v')
         AND NOT has_table_privilege('brier_readonly', c.oid, 'SELECT')`,
    );
    expect(missing).toEqual([]);
    const writable = await query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c
       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
         AND has_table_privilege('brier_readonly', c.oid, 'INSERT')`,
    );
    expect(writable).toEqual([]);
  });
});
