import type { DataSource, QueryRunner } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDataSource } from '../src/data-source.js';
import {
  ENSEMBLE_QUESTIONS,
  REBUILD_STEP_AGGREGATES,
  STEP_METRICS_FROM_ROLLOUTS,
  STEP_METRICS_FROM_ROLLOUTS_AT_STEP,
} from '../src/metrics/metrics.sql.js';
import { EXISTING_PAIRS } from '../src/rollouts/rollout-ingest.sql.js';
import { RolloutIngestRepository } from '../src/rollouts/rollout-ingest.repository.js';
import { rolloutSelectSql, sampleSql } from '../src/rollouts/rollout-query.sql.js';
import { RunRepository } from '../src/runs/run.repository.js';
import { makeCheapRows } from './rollout-fixtures.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

// Every per-run statement on rollouts reads only the run's own partition (rollouts is
// PARTITION BY HASH (run_id)): with the run id known when planning (the API's unnamed statements
// are planned with their parameters), and in a generic plan, where the partitions are pruned when
// the executor starts (named prepared statements after their fifth run, and plpgsql's, such as the
// runs_delete_rollouts trigger's DELETE).

let db: TestDatabase;
let dataSource: DataSource;
let runId: string;
/** The partition holding runId's rows. */
let partition: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dataSource = await createDataSource(db.url).initialize();
  const runs = new RunRepository(dataSource);
  const ingest = new RolloutIngestRepository(dataSource);
  // Enough runs that most partitions hold rows, so that reading them would show.
  for (let i = 0; i < 24; i++) {
    const { run } = await runs.create({ kind: 'train', name: `pruning ${i}`, spec: {}, specVersion: 1 });
    await ingest.ingest(run.id, `pruning-${i}`, makeCheapRows([0, 1], 16, i + 1));
    runId = run.id;
  }
  await dataSource.query('ANALYZE rollouts');
  const [found] = await dataSource.query<{ partition: string }[]>(
    `SELECT tableoid::regclass::text AS partition FROM rollouts WHERE run_id = $1 LIMIT 1`,
    [runId],
  );
  partition = found!.partition;
});
afterAll(async () => {
  await dataSource?.destroy();
  await db?.drop();
});

/**
 * Names of the rollouts tables (parent or partitions) a JSON plan scans. A DELETE's ModifyTable node
 * is left out: in a generic plan it lists every partition as a possible target, but deletes only
 * the rows its child scans find, and those scans are what pruning removes.
 */
function scannedRollouts(plan: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(plan)) for (const item of plan) scannedRollouts(item, found);
  else if (plan !== null && typeof plan === 'object') {
    const node = plan as Record<string, unknown>;
    if (node['Node Type'] === 'ModifyTable') return scannedRollouts(node['Plans'], found);
    for (const [key, value] of Object.entries(node)) {
      if (key !== 'Relation Name') scannedRollouts(value, found);
      else if (typeof value === 'string' && value.startsWith('rollouts')) found.add(value);
    }
  }
  return found;
}

/** A SQL literal of a test value (numbers, booleans, text, uuids and arrays of numbers only). */
function literal(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (Array.isArray(value)) return `'{${value.join(',')}}'`;
  throw new TypeError(`no literal for ${String(value)}`);
}

/** The rollouts tables in the statement's plan: custom (parameters known) or generic. */
async function scannedPartitions(
  sql: string,
  params: unknown[],
  plan: 'custom' | 'generic',
): Promise<string[]> {
  const runner: QueryRunner = dataSource.createQueryRunner();
  try {
    type Explained = { 'QUERY PLAN': unknown }[];
    let explained: Explained;
    if (plan === 'custom') {
      explained = (await runner.query(`EXPLAIN (FORMAT JSON) ${sql}`, params)) as Explained;
    } else {
      await runner.query(`SET plan_cache_mode = force_generic_plan`);
      await runner.query(`PREPARE pruning_probe AS ${sql}`);
      explained = (await runner.query(
        `EXPLAIN (FORMAT JSON) EXECUTE pruning_probe(${params.map(literal).join(', ')})`,
      )) as Explained;
    }
    return [...scannedRollouts(explained[0]!['QUERY PLAN'])].sort();
  } finally {
    // The connection goes back to the pool: leave it as it was.
    if (plan === 'generic') await runner.query(`DEALLOCATE ALL; RESET plan_cache_mode`);
    await runner.release();
  }
}

describe('per-run statements read one partition of rollouts', () => {
  const pageParams: unknown[] = [];
  const statements: [string, () => [string, unknown[]]][] = [
    ['metrics from raw rollouts, every step', () => [STEP_METRICS_FROM_ROLLOUTS, [runId]]],
    ['metrics from raw rollouts, one step', () => [STEP_METRICS_FROM_ROLLOUTS_AT_STEP, [runId, 1]]],
    ['rebuilding the aggregates', () => [REBUILD_STEP_AGGREGATES, [runId]]],
    [
      'a rollouts page (filtered, after a key, with prompts)',
      () => {
        pageParams.length = 0;
        const sql = rolloutSelectSql(
          runId,
          { parseable: true, stepFrom: 0 },
          { includePrompt: true, after: { step: 0, attempt: 0, sampleKey: 'cheap-0-3' }, limit: 101 },
          pageParams,
        );
        return [sql, pageParams];
      },
    ],
    ['a random sample of a step', () => [sampleSql('random'), [runId, 1, 'seed', 8]]],
    ['per-question ensembles', () => [ENSEMBLE_QUESTIONS, [runId, 0, 1, '', 50]]],
    [
      'the ingest probe of existing (step, attempt) pairs',
      () => [EXISTING_PAIRS, [runId, [0, 1, 2], [0, 0, 0]]],
    ],
    ["the runs_delete_rollouts trigger's DELETE", () => [`DELETE FROM rollouts WHERE run_id = $1`, [runId]]],
  ];

  it.each(statements)('%s', async (_name, statement) => {
    const [sql, params] = statement();
    expect(partition).toMatch(/^rollouts_p\d\d$/);
    expect(await scannedPartitions(sql, params, 'custom')).toEqual([partition]);
    expect(await scannedPartitions(sql, params, 'generic')).toEqual([partition]);
  });

  it('while a statement without the run reads them all (the probe sees partitions)', async () => {
    const all = await scannedPartitions(`SELECT count(*) FROM rollouts WHERE step = $1`, [1], 'custom');
    expect(all).toHaveLength(16);
  });
});
