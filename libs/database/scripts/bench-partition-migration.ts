// What partitioning rollouts costs and changes on an install that already has rows: a throwaway
// database at the schema before PartitionRollouts, filled with BENCH_MILLIONS million synthetic
// rollouts (runs of 50 steps × 1,024, completions of ~600 characters as the seed's are), then
// - per-run reads on rollouts (metrics from raw rows, a rollouts page, a run's deletion), timed
//   before and after, on the same rows;
// - the migration itself (up: lock, copy, primary key, ANALYZE), its down() and up() again.
//
//   node --conditions=@brier/source --import ./test/support/register-ts.mjs libs/database/scripts/bench-partition-migration.ts
//
// Options (env): BENCH_MILLIONS (1), BENCH_READS (30: timed repetitions of each read).
import { cpus } from 'node:os';

import { DataSource } from 'typeorm';

import { dataSourceOptions } from '../src/data-source.js';
import {
  REBUILD_STEP_AGGREGATES,
  STEP_METRICS_FROM_ROLLOUTS,
  STEP_METRICS_FROM_ROLLOUTS_AT_STEP,
} from '../src/metrics/metrics.sql.js';
import { PartitionRollouts1795690000000 } from '../src/migrations/1795690000000-partition-rollouts.js';
import { DATABASE_MIGRATIONS } from '../src/migrations/index.js';
import { rolloutSelectSql } from '../src/rollouts/rollout-query.sql.js';
import { runMigrations } from '../src/run-migrations.js';
import { createTestDatabase } from '../test/test-database.js';

const MILLIONS = Number(process.env['BENCH_MILLIONS'] ?? 1);
const READS = Number(process.env['BENCH_READS'] ?? 30);
const ROWS_PER_RUN = 50 * 1024;
const RUNS = Math.max(2, Math.round((MILLIONS * 1e6) / ROWS_PER_RUN));

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await work();
  return [(performance.now() - started) / 1000, result];
}

/** Median ms of each per-run read of the run `runId`, each statement prepared as the API runs it. */
async function reads(dataSource: DataSource, runId: string): Promise<Record<string, number>> {
  const pageParams: unknown[] = [];
  const page = rolloutSelectSql(runId, {}, { includePrompt: false, limit: 101 }, pageParams);
  const statements: Record<string, [string, unknown[]]> = {
    metricsFromRollouts: [STEP_METRICS_FROM_ROLLOUTS, [runId]],
    metricsFromRolloutsOneStep: [STEP_METRICS_FROM_ROLLOUTS_AT_STEP, [runId, 25]],
    rolloutsPage: [page, pageParams],
  };
  const result: Record<string, number> = {};
  for (const [name, [sql, params]] of Object.entries(statements)) {
    const times: number[] = [];
    for (let i = 0; i < READS + 3; i++) {
      const [seconds] = await timed(() => dataSource.query(sql, params));
      if (i >= 3) times.push(seconds * 1000);
    }
    result[`${name}Ms`] = round(median(times));
  }
  return result;
}

const db = await createTestDatabase({ migrate: false });
const at = DATABASE_MIGRATIONS.indexOf(PartitionRollouts1795690000000);
const later = DATABASE_MIGRATIONS.length - at - 1;
const before = new DataSource({ ...dataSourceOptions(db.url), migrations: DATABASE_MIGRATIONS.slice(0, at) });
await before.initialize();
let dataSource: DataSource | undefined;
try {
  await before.runMigrations({ transaction: 'each' });
  const runs = await before.query<{ id: string }[]>(
    `INSERT INTO runs (kind, name, status, spec, spec_version, gpu_count)
     SELECT 'import', 'bench ' || g, 'succeeded', '{}', 1, 0 FROM generate_series(1, $1) g RETURNING id`,
    [RUNS],
  );
  const [fillSeconds] = await timed(async () => {
    for (const { id } of runs) {
      await before.query(
        `INSERT INTO rollouts (run_id, step, attempt, sample_key, example_id, label, completion, answer_text,
                               p_yes, p_yes_extracted, parseable, brier, length_penalty, reward_trainer,
                               reward_brier, completion_chars, approx_tokens)
         SELECT $1::uuid, s, 0, 'ex-' || (i / 8) || '#' || (i % 8), 'ex-' || (i / 8), t.label,
                rpad('Reasoning: ' || md5(i::text || $1), 600, ' the passage says ' || md5(s::text)),
                'ANSWER: YES with ' || t.k || '% probability',
                t.k / 100.0, t.k / 100.0, true, (t.k / 100.0 - t.label) ^ 2, 0,
                1 - (t.k / 100.0 - t.label) ^ 2, 1 - (t.k / 100.0 - t.label) ^ 2, 650, 162.5
         FROM generate_series(0, 49) s, generate_series(0, 1023) i,
         LATERAL (SELECT (random() < 0.5)::int AS label, floor(random() * 101)::int AS k) t`,
        [id],
      );
      // The aggregates too: a rollouts page finds each step's current attempt there.
      await before.query(REBUILD_STEP_AGGREGATES, [id]);
    }
  });
  await before.query('VACUUM ANALYZE rollouts');
  const [size] = await before.query<{ rows: string; bytes: string }[]>(
    `SELECT count(*)::bigint AS rows, pg_total_relation_size('rollouts')::bigint AS bytes FROM rollouts`,
  );
  const { rows, bytes } = size!;
  const probe = runs[Math.floor(runs.length / 2)]!.id;
  const readsBefore = await reads(before, probe);
  const [deleteBefore] = await timed(() => before.query('DELETE FROM runs WHERE id = $1', [runs[0]!.id]));
  await before.destroy();

  const [upSeconds, report] = await timed(() => runMigrations(db.url));
  if (report.applied[0] !== 'PartitionRollouts1795690000000')
    throw new Error(`unexpected migrations: ${report.applied.join()}`);
  dataSource = await new DataSource(dataSourceOptions(db.url)).initialize();
  await dataSource.query('VACUUM ANALYZE rollouts');
  const readsAfter = await reads(dataSource, probe);
  const [deleteAfter] = await timed(() => dataSource!.query('DELETE FROM runs WHERE id = $1', [runs[1]!.id]));
  // Later migrations (small ones) are reverted first, outside the timing.
  for (let i = 0; i < later; i++) await dataSource.undoLastMigration({ transaction: 'each' });
  const [downSeconds] = await timed(() => dataSource!.undoLastMigration({ transaction: 'each' }));
  const [upAgainSeconds] = await timed(() => runMigrations(db.url));

  const millions = Number(rows) / 1e6;
  console.log(
    JSON.stringify(
      {
        name: 'partition-migration',
        rollouts: Number(rows),
        runs: RUNS,
        tableMb: round(Number(bytes) / 2 ** 20, 0),
        fillSeconds: round(fillSeconds, 1),
        migration: {
          upSeconds: round(upSeconds),
          upSecondsPerMillion: round(upSeconds / millions),
          downSeconds: round(downSeconds),
          upAgainSeconds: round(upAgainSeconds),
        },
        readsBefore: { ...readsBefore, deleteRunMs: round(deleteBefore * 1000, 1) },
        readsAfter: { ...readsAfter, deleteRunMs: round(deleteAfter * 1000, 1) },
        machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model },
      },
      null,
      2,
    ),
  );
} finally {
  if (before.isInitialized) await before.destroy();
  await dataSource?.destroy();
  await db.drop();
}
