import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDataSource } from '../src/data-source.js';
import { MetricsRepository } from '../src/metrics/metrics.repository.js';
import { encodeRolloutBatch } from '../src/rollouts/rollout-batch.js';
import { RolloutIngestRepository } from '../src/rollouts/rollout-ingest.repository.js';
import type { RolloutRow } from '../src/rollouts/rollout-row.js';
import { RunRepository } from '../src/runs/run.repository.js';
import { expectStepMetricsEqual, groupByStep } from './metrics-assertions.js';
import { makeCheapRows, toScored } from './rollout-fixtures.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

let db: TestDatabase;
let dataSource: DataSource;
let ingest: RolloutIngestRepository;
let metrics: MetricsRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  dataSource = await createDataSource(db.url, { poolSize: 6 }).initialize();
  ingest = new RolloutIngestRepository(dataSource);
  metrics = new MetricsRepository(dataSource);
});
afterAll(async () => {
  await dataSource?.destroy();
  await db?.drop();
});

async function newRun(): Promise<string> {
  const runs = new RunRepository(dataSource);
  return (await runs.create({ kind: 'train', name: 'paths', spec: {}, specVersion: 1 })).run.id;
}

type Row = Record<string, unknown>;

/** A run's rollouts (without run and time) and aggregates (without time), in key order. */
async function stored(runId: string): Promise<{ rollouts: Row[]; aggregates: Row[] }> {
  const rollouts = await dataSource.query<Row[]>(
    `SELECT r.step, r.attempt, r.sample_key, p.text AS prompt, r.example_id, r.label, r.completion,
       r.answer_text, r.p_yes, r.p_yes_extracted, r.parseable, r.brier, r.length_penalty,
       r.reward_trainer, r.reward_brier, r.completion_chars, r.completion_tokens, r.approx_tokens
     FROM rollouts r LEFT JOIN prompts p ON p.id = r.prompt_id
     WHERE r.run_id = $1 ORDER BY r.step, r.attempt, r.sample_key`,
    [runId],
  );
  const aggregates = await dataSource.query<Row[]>(
    `SELECT * FROM step_aggregates WHERE run_id = $1 ORDER BY step, attempt`,
    [runId],
  );
  for (const row of aggregates) {
    delete row['run_id'];
    delete row['updated_at'];
  }
  return { rollouts, aggregates };
}

/** Equal but for the last bits of float sums (summed in another order). */
function expectSameAggregates(actual: readonly Row[], expected: readonly Row[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => {
    for (const [key, value] of Object.entries(expected[i]!)) {
      const got = row[key];
      const values = Array.isArray(value) ? (value as number[]) : [value as number];
      const gots = Array.isArray(got) ? (got as number[]) : [got as number];
      expect(gots.length, key).toBe(values.length);
      values.forEach((v, k) => expect(Math.abs(gots[k]! - v), `${key}[${k}]`).toBeLessThanOrEqual(1e-12));
    }
  });
}

/** Rows whose P(YES) sits on and next to every bin edge, with every optional field missing somewhere. */
function edgeRows(step: number): RolloutRow[] {
  const ps = [0, 0.09999999999999998, 0.1, 0.3, 0.5, 0.5000000000000001, 0.7, 0.7000000000000001, 0.9, 1];
  return ps.flatMap((pYes, i) =>
    ([0, 1] as const).map((label) => ({
      step,
      attempt: 1,
      sampleKey: `edge-${i}-${label}`,
      label,
      pYes,
      brier: (pYes - label) ** 2,
      parseable: i % 3 === 0 ? null : i % 3 === 1,
      rewardTrainer: i % 4 === 0 ? null : 1 - (pYes - label) ** 2,
      rewardBrier: i % 5 === 0 ? null : 0.25,
      approxTokens: i % 2 === 0 ? null : 100 + i,
      lengthPenalty: i % 6 === 0 ? null : -(i % 3) / 4,
    })),
  );
}

describe('the direct write and the staged write', () => {
  it("a direct write's sums (computed as rows are encoded) equal the SQL fold of the stored rows", async () => {
    const runId = await newRun();
    const rows = [...edgeRows(0), ...edgeRows(1), ...makeCheapRows([2], 300)];
    const session = (await ingest.open(runId, `edge-${runId}`))!;
    await session.write(encodeRolloutBatch(rows));
    expect(session.paths).toEqual({ direct: 1, staged: 0, fellBack: 0 });
    await session.commit();
    const direct = (await stored(runId)).aggregates;
    expect(await metrics.rebuildAggregates(runId)).toBe(3); // the SQL fold, from the stored rows
    expectSameAggregates(direct, (await stored(runId)).aggregates);
    expectStepMetricsEqual(await metrics.stepMetrics(runId), groupByStep(rows, toScored));
  });

  it('a write into steps that have rows is staged, and stores exactly what a direct write does', async () => {
    const rows = makeCheapRows([0, 1, 2], 200, 7);
    const whole = await newRun();
    expect(await ingest.ingest(whole, `whole-${whole}`, rows)).toMatchObject({ inserted: 600 });

    const halves = await newRun();
    const first = (await ingest.open(halves, `first-${halves}`))!;
    await first.write(encodeRolloutBatch(rows.filter((_, i) => i % 2 === 0)));
    await first.commit();
    const second = (await ingest.open(halves, `second-${halves}`))!;
    expect(await second.write(encodeRolloutBatch(rows))).toBe(300);
    expect(second.paths).toEqual({ direct: 0, staged: 1, fellBack: 0 });
    expect(await second.commit()).toEqual({ inserted: 300, skipped: 300, duplicateBatch: false });

    const a = await stored(whole);
    const b = await stored(halves);
    expect(b.rollouts).toEqual(a.rollouts);
    expectSameAggregates(b.aggregates, a.aggregates);
  });

  it('a key repeated across writes of one session: the direct write falls back, the repeat is skipped', async () => {
    const runId = await newRun();
    const rows = makeCheapRows([0], 20, 11);
    const session = (await ingest.open(runId, `repeat-${runId}`))!;
    expect(await session.write(encodeRolloutBatch(rows.slice(0, 12)))).toBe(12);
    expect(await session.write(encodeRolloutBatch(rows.slice(8)))).toBe(8);
    expect(session.paths).toEqual({ direct: 1, staged: 1, fellBack: 1 });
    expect(await session.commit()).toEqual({ inserted: 20, skipped: 4, duplicateBatch: false });
    expectStepMetricsEqual(await metrics.stepMetrics(runId), groupByStep(rows, toScored));
  });

  it('two sessions writing the same new step: both direct, or the later one waits and skips', async () => {
    const runId = await newRun();
    const rows = makeCheapRows([0], 40, 13);
    const a = (await ingest.open(runId, `a-${runId}`))!;
    const b = (await ingest.open(runId, `b-${runId}`))!;
    // Different keys of one step: both COPY straight in; each adds its own rows' sums.
    await a.write(encodeRolloutBatch(rows.slice(0, 20)));
    await b.write(encodeRolloutBatch(rows.slice(20)));
    expect([a.paths.direct, b.paths.direct]).toEqual([1, 1]);
    await Promise.all([a.commit(), b.commit()]);
    expectStepMetricsEqual(await metrics.stepMetrics(runId), groupByStep(rows, toScored));

    // The same keys: the second COPY waits on the first's uncommitted rows, then meets them.
    const again = await newRun();
    const c = (await ingest.open(again, `c-${again}`))!;
    const d = (await ingest.open(again, `d-${again}`))!;
    await c.write(encodeRolloutBatch(rows));
    const pending = d.write(encodeRolloutBatch(rows));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await c.commit();
    expect(await pending).toBe(0);
    expect(d.paths).toEqual({ direct: 0, staged: 1, fellBack: 1 });
    expect(await d.commit()).toEqual({ inserted: 0, skipped: 40, duplicateBatch: false });
    expectStepMetricsEqual(await metrics.stepMetrics(again), groupByStep(rows, toScored));
  });

  it('stages every write past the 48th of a session (each direct write holds a savepoint)', async () => {
    const runId = await newRun();
    const rows = makeCheapRows([0], 50, 17);
    const session = (await ingest.open(runId, `many-${runId}`))!;
    for (const row of rows) await session.write(encodeRolloutBatch([row]));
    expect(session.paths).toEqual({ direct: 48, staged: 2, fellBack: 0 });
    expect(await session.commit()).toMatchObject({ inserted: 50 });
    expectStepMetricsEqual(await metrics.stepMetrics(runId), groupByStep(rows, toScored));
  });
});
