// THE KEY PROOF: the seed's own 51,200 rows, stored and measured in SQL, give exactly what
// libs/calibration computes on the same rows — for every step and every metric.
import { summarizeRollouts } from '@brier/calibration';
import { readMetricsCsv, type MetricsCsvRow } from '@brier/results';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDataSource } from '../src/data-source.js';
import { MetricsRepository } from '../src/metrics/metrics.repository.js';
import { RolloutIngestRepository } from '../src/rollouts/rollout-ingest.repository.js';
import type { RolloutRow } from '../src/rollouts/rollout-row.js';
import { RunRepository } from '../src/runs/run.repository.js';
import { expectReliabilityEqual, expectStepMetricsEqual, groupByStep } from './metrics-assertions.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

const SEED_CSV = new URL('../../../examples/seed-run/calibration_metrics.csv', import.meta.url).pathname;

let db: TestDatabase;
let dataSource: DataSource;
let metrics: MetricsRepository;
let runId: string;
const csvRows: MetricsCsvRow[] = [];

/** A calibration_metrics.csv row as an importer stores it: the CSV index is the natural key. */
function toRolloutRow(row: MetricsCsvRow): RolloutRow {
  return {
    step: row.step,
    attempt: 0,
    sampleKey: String(row.index),
    label: row.label,
    pYes: row.pYes,
    brier: row.brier,
    parseable: row.parseable,
    rewardTrainer: row.reward,
    lengthPenalty: row.lengthPenalty,
    approxTokens: row.approxTokens,
  };
}

beforeAll(async () => {
  for await (const row of readMetricsCsv(SEED_CSV)) csvRows.push(row);
  db = await createTestDatabase();
  dataSource = await createDataSource(db.url).initialize();
  metrics = new MetricsRepository(dataSource);
  const { run } = await new RunRepository(dataSource).create({
    kind: 'import',
    name: 'seed run (calibration_metrics.csv)',
    spec: { source: 'examples/seed-run/calibration_metrics.csv' },
    specVersion: 1,
  });
  runId = run.id;
  const ingest = new RolloutIngestRepository(dataSource);
  for (const [step, rows] of groupByStep(csvRows, toRolloutRow)) {
    const result = await ingest.ingest(runId, `seed-csv-step-${step}`, rows);
    expect(result).toEqual({ inserted: 1024, skipped: 0, duplicateBatch: false });
  }
}, 120_000);

afterAll(async () => {
  await dataSource?.destroy();
  await db?.drop();
});

describe("the seed's calibration_metrics.csv in Postgres", () => {
  it('holds all 51,200 rows in 50 steps', () => {
    expect(csvRows).toHaveLength(51_200);
  });

  it('stepMetrics (from step_aggregates) equals summarizeRollouts for every step and metric, to 1e-9', async () => {
    const byStep = groupByStep(csvRows, (row) => row);
    const fromAggregates = await metrics.stepMetrics(runId);
    expect(fromAggregates).toHaveLength(50);
    expectStepMetricsEqual(fromAggregates, byStep, 1e-9);
  });

  it('stepMetricsFromRollouts (raw rows) equals summarizeRollouts for every step and metric, to 1e-9', async () => {
    const byStep = groupByStep(csvRows, (row) => row);
    const fromRollouts = await metrics.stepMetricsFromRollouts(runId);
    expect(fromRollouts).toHaveLength(50);
    expectStepMetricsEqual(fromRollouts, byStep, 1e-9);
  });

  it("reproduces seed-spec §5's published numbers", async () => {
    const [step0, step49] = [0, 49].map((s) => (async () => (await metrics.stepMetrics(runId))[s]!)());
    const first = await step0!;
    const last = await step49!;
    expect(first.reward).toBeCloseTo(0.3688109115600598, 12);
    expect(first.brier).toBeCloseTo(0.16991494140624988, 12);
    expect(first.ece).toBeCloseTo(0.1383886718749989, 12);
    expect(first.accuracy).toBe(0.8046875);
    expect(last.reward).toBeCloseTo(0.910234506988523, 12);
    expect(last.brier).toBeCloseTo(0.08866542968749969, 12);
    expect(last.ece).toBeCloseTo(0.04017578124999965, 12);
    expect(last.accuracy).toBe(0.9013671875);
    // The CSV says nothing about lengths; parseability is inferred (docs/metrics.md).
    expect(first.mean_length).toBeNull();
    expect(first.parse_rate).toBe(summarizeRollouts(csvRows.filter((r) => r.step === 0)).parse_rate);
  });

  it('reliability bins pooled per 5 steps equal reliabilityBins on the same rows', async () => {
    const byStep = groupByStep(csvRows, (row) => row);
    const groups = await metrics.reliability(runId, 5);
    expect(groups).toHaveLength(10);
    expect(groups[0]).toMatchObject({ group: 0, first_step: 0, last_step: 4, steps: 5, n: 5 * 1024 });
    expectReliabilityEqual(groups, byStep, 5, 1e-9);
  });

  it('the researcher views give the same numbers as the repository', async () => {
    const fromView = await dataSource.query<Record<string, unknown>[]>(
      `SELECT * FROM step_metrics WHERE run_id = $1 ORDER BY step`,
      [runId],
    );
    const fromRepository = await metrics.stepMetrics(runId);
    expect(fromView.map(({ run_id: _run, ...rest }) => rest)).toEqual(fromRepository);
    const [bins] = await dataSource.query<{ n: number; rows: number }[]>(
      `SELECT sum(count)::int AS n, count(*)::int AS rows FROM step_reliability_bins WHERE run_id = $1`,
      [runId],
    );
    expect(bins).toEqual({ n: 51_200, rows: 500 });
  });

  it('rebuildAggregates from the raw rows leaves every metric unchanged', async () => {
    const before = await metrics.stepMetrics(runId);
    expect(await metrics.rebuildAggregates(runId)).toBe(50);
    const after = await metrics.stepMetrics(runId);
    expectStepMetricsEqual(
      after,
      groupByStep(csvRows, (row) => row),
      1e-9,
    );
    expect(after.map((m) => m.n)).toEqual(before.map((m) => m.n));
  });
});
