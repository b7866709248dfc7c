import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { dataSourceOptions } from '../src/data-source.js';
import { ensureMetricViews } from '../src/metrics/metric-views.js';
import {
  PartitionRollouts1795690000000,
  ROLLOUT_PARTITIONS,
} from '../src/migrations/1795690000000-partition-rollouts.js';
import { DATABASE_MIGRATIONS } from '../src/migrations/index.js';
import { RolloutIngestRepository } from '../src/rollouts/rollout-ingest.repository.js';
import { RunRepository } from '../src/runs/run.repository.js';
import { runMigrations } from '../src/run-migrations.js';
import { makeCheapRows } from './rollout-fixtures.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

// The migration that partitions rollouts, on a database that has rows from before it: the rows move
// unchanged, down() puts them back in a plain table, and up() again partitions them.

const RUNS = 6;
const AT = DATABASE_MIGRATIONS.indexOf(PartitionRollouts1795690000000);
/** What runMigrations applies to a database at the schema before partitioning: it, and any later ones. */
const FROM_PARTITIONING = DATABASE_MIGRATIONS.slice(AT).map((migration) => new migration().name);

let db: TestDatabase;
/** Knows every migration (runs and reverts the last one). */
let dataSource: DataSource;
let runIds: string[];

/** Every column of every row as text, in key order: what must survive each move exactly. */
async function snapshot(): Promise<string[]> {
  const rows = await dataSource.query<{ row: string }[]>(
    `SELECT r::text AS row FROM rollouts r ORDER BY run_id, step, attempt, sample_key`,
  );
  return rows.map((r) => r.row);
}

async function relkind(name: string): Promise<string | null> {
  const [row] = await dataSource.query<{ relkind: string }[]>(
    `SELECT relkind FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname = $1`,
    [name],
  );
  return row?.relkind ?? null;
}

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  // The schema as it was before the partitioning migration, with its views.
  const before = await new DataSource({
    ...dataSourceOptions(db.url),
    migrations: DATABASE_MIGRATIONS.slice(0, AT),
  }).initialize();
  try {
    await before.runMigrations({ transaction: 'each' });
    await before.transaction((manager) => ensureMetricViews(manager.queryRunner!));
    const runs = new RunRepository(before);
    const ingest = new RolloutIngestRepository(before);
    runIds = [];
    for (let i = 0; i < RUNS; i++) {
      const { run } = await runs.create({ kind: 'train', name: `before ${i}`, spec: {}, specVersion: 1 });
      runIds.push(run.id);
      await ingest.ingest(run.id, `before-${i}`, makeCheapRows([0, 1, 2], 40, i + 1));
      // A second attempt of step 2, so that the rows differ in more than step and key.
      const retry = makeCheapRows([2], 10, i + 100).map((row) => ({ ...row, attempt: 1 }));
      await ingest.ingest(run.id, `before-${i}-retry`, retry);
    }
  } finally {
    await before.destroy();
  }
  dataSource = await new DataSource(dataSourceOptions(db.url)).initialize();
});
afterAll(async () => {
  await dataSource?.destroy();
  await db?.drop();
});

describe('partitioning rollouts by run', () => {
  let before: string[];

  it('refuses to run while rollouts has an index it would not carry, and changes nothing', async () => {
    before = await snapshot();
    expect(before).toHaveLength(RUNS * 130);
    await dataSource.query(`CREATE INDEX rollouts_by_label ON rollouts (label)`);
    await expect(runMigrations(db.url)).rejects.toThrow(/would not carry over: index rollouts_by_label/);
    expect(await relkind('rollouts')).toBe('r');
    await dataSource.query(`DROP INDEX rollouts_by_label`);
  });

  it('moves every row into 16 hash partitions, one partition per run, and re-creates the view', async () => {
    expect(FROM_PARTITIONING[0]).toBe('PartitionRollouts1795690000000');
    const report = await runMigrations(db.url);
    expect(report).toEqual({ applied: FROM_PARTITIONING, views: ['current_rollouts'] });

    expect(await relkind('rollouts')).toBe('p');
    expect(await relkind('rollouts_unpartitioned')).toBeNull();
    const partitions = await dataSource.query<{ name: string; bound: string }[]>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'rollouts'::regclass ORDER BY 1`,
    );
    expect(partitions).toEqual(
      ROLLOUT_PARTITIONS.map((name, n) => ({
        name,
        bound: `FOR VALUES WITH (modulus 16, remainder ${n})`,
      })),
    );
    expect(ROLLOUT_PARTITIONS[15]).toBe('rollouts_p15');
    expect(await snapshot()).toEqual(before);

    const placement = await dataSource.query<{ run_id: string; partitions: number }[]>(
      `SELECT run_id, count(DISTINCT tableoid)::int AS partitions FROM rollouts GROUP BY run_id`,
    );
    expect(placement).toHaveLength(RUNS);
    for (const run of placement) expect(run.partitions).toBe(1);

    const current = await dataSource.query<{ rows: number }[]>(
      `SELECT count(*)::int AS rows FROM current_rollouts`,
    );
    expect(current[0]?.rows).toBe(RUNS * 90); // steps 0 and 1 (40 each), and step 2's attempt 1 (10), not its 0
  });

  it('keeps the key, the checks, lz4 and the read-only grants, on the parent and every partition', async () => {
    const key = await dataSource.query<{ def: string }[]>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
       WHERE conrelid = 'rollouts'::regclass AND contype = 'p' AND conname = 'rollouts_pkey'`,
    );
    expect(key).toEqual([{ def: 'PRIMARY KEY (run_id, step, attempt, sample_key)' }]);
    const checks = await dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'rollouts'::regclass AND contype = 'c'`,
    );
    expect(checks).toEqual([{ n: 7 }]);
    await expect(
      dataSource.query(
        `INSERT INTO rollouts (run_id, step, attempt, sample_key, label, p_yes, brier)
         VALUES ($1, 0, 0, 'bad', 1, 1.5, 0)`,
        [runIds[0]],
      ),
    ).rejects.toThrow(/rollouts_p_yes_check/);

    for (const table of ['rollouts', ...ROLLOUT_PARTITIONS]) {
      const compression = await dataSource.query<{ attname: string }[]>(
        `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attcompression = 'l' ORDER BY 1`,
        [table],
      );
      expect(
        compression.map((c) => c.attname),
        table,
      ).toEqual(['answer_text', 'completion']);
      const [grant] = await dataSource.query<{ select: boolean; insert: boolean }[]>(
        `SELECT has_table_privilege('brier_readonly', $1::regclass, 'SELECT') AS select,
                has_table_privilege('brier_readonly', $1::regclass, 'INSERT') AS insert`,
        [table],
      );
      expect(grant, table).toEqual({ select: true, insert: false });
    }
  });

  it('still ingests (direct COPY and staged replay) and deletes a run through the trigger', async () => {
    const ingest = new RolloutIngestRepository(dataSource);
    const runId = runIds[0]!;
    const fresh = await ingest.ingest(runId, 'after-new-step', makeCheapRows([3], 50, 7));
    expect(fresh.inserted).toBe(50);
    // Half old keys, half new: the staged path's ON CONFLICT skips the old ones.
    const mixed = [...makeCheapRows([3], 50, 7).slice(0, 25), ...makeCheapRows([4], 25, 8)];
    const replay = await ingest.ingest(runId, 'after-mixed', mixed);
    expect({ inserted: replay.inserted, skipped: replay.skipped }).toEqual({ inserted: 25, skipped: 25 });

    await dataSource.query(`DELETE FROM runs WHERE id = $1`, [runId]);
    const left = await dataSource.query<{ run_id: string; n: number }[]>(
      `SELECT run_id, count(*)::int AS n FROM rollouts GROUP BY run_id`,
    );
    expect(left.map((r) => r.run_id).sort()).toEqual(runIds.slice(1).sort());
    before = await snapshot();
  });

  it('reverts to one plain table with the same rows, and partitions again', async () => {
    for (let i = 0; i < FROM_PARTITIONING.length; i++)
      await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await relkind('rollouts')).toBe('r');
    expect(await relkind('rollouts_p00')).toBeNull();
    expect(await relkind('current_rollouts')).toBeNull(); // runMigrations creates it again
    expect(await snapshot()).toEqual(before);
    const [grant] = await dataSource.query<{ select: boolean }[]>(
      `SELECT has_table_privilege('brier_readonly', 'rollouts', 'SELECT') AS select`,
    );
    expect(grant).toEqual({ select: true });

    expect(await runMigrations(db.url)).toEqual({ applied: FROM_PARTITIONING, views: ['current_rollouts'] });
    expect(await relkind('rollouts')).toBe('p');
    expect(await snapshot()).toEqual(before);
  });
});
