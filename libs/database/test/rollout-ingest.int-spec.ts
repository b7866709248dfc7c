import { randomUUID } from 'node:crypto';

import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createDataSource } from '../src/data-source.js';
import { MetricsRepository } from '../src/metrics/metrics.repository.js';
import {
  BatchRunMismatchError,
  RolloutIngestRepository,
  UnknownRunError,
} from '../src/rollouts/rollout-ingest.repository.js';
import { RolloutBatchError, type RolloutRow } from '../src/rollouts/rollout-row.js';
import { RunRepository } from '../src/runs/run.repository.js';
import { expectReliabilityEqual, expectStepMetricsEqual, groupByStep } from './metrics-assertions.js';
import { makeCheapRows, makeRows, toScored } from './rollout-fixtures.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

let db: TestDatabase;
let dataSource: DataSource;
let ingest: RolloutIngestRepository;
let metrics: MetricsRepository;
let runs: RunRepository;
let runId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dataSource = await createDataSource(db.url, { poolSize: 6 }).initialize();
  ingest = new RolloutIngestRepository(dataSource);
  metrics = new MetricsRepository(dataSource);
  runs = new RunRepository(dataSource);
});
afterAll(async () => {
  await dataSource?.destroy();
  await db?.drop();
});
beforeEach(async () => {
  const { run } = await runs.create({ kind: 'train', name: 'ingest test', spec: {}, specVersion: 1 });
  runId = run.id;
});

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await dataSource.query<{ n: number }[]>(sql, params);
  return Number(row!.n);
}

const rolloutCount = () => count('SELECT count(*) AS n FROM rollouts WHERE run_id = $1', [runId]);
const aggregateN = () =>
  count('SELECT coalesce(sum(n), 0) AS n FROM step_aggregates WHERE run_id = $1', [runId]);

/** Metrics from the aggregates and from raw rollouts both equal libs/calibration on `rows`. */
async function expectMetricsOf(rows: readonly RolloutRow[]): Promise<void> {
  const byStep = groupByStep(rows, toScored);
  expectStepMetricsEqual(await metrics.stepMetrics(runId), byStep);
  expectStepMetricsEqual(await metrics.stepMetricsFromRollouts(runId), byStep);
  expectReliabilityEqual(await metrics.reliability(runId, 2), byStep, 2);
}

describe('RolloutIngestRepository.ingest', () => {
  it('ingests 3 steps × 64 rollouts; a replayed batch and an overlapping batch change nothing twice', async () => {
    const rows = makeRows({ steps: [0, 1, 2], perStep: 64 });
    expect(await ingest.ingest(runId, 'b-1', rows)).toEqual({
      inserted: 192,
      skipped: 0,
      duplicateBatch: false,
    });
    expect(await rolloutCount()).toBe(192);
    expect(await aggregateN()).toBe(192);
    await expectMetricsOf(rows);

    expect(await ingest.ingest(runId, 'b-1', rows)).toEqual({
      inserted: 0,
      skipped: 192,
      duplicateBatch: true,
    });
    expect(await rolloutCount()).toBe(192);
    expect(await aggregateN()).toBe(192);

    // Steps 2 (already stored) and 3 (new): only step 3's rows go in.
    const step3 = makeRows({ steps: [3], perStep: 64, seed: 2 });
    const overlapping = [...rows.filter((r) => r.step === 2), ...step3];
    expect(await ingest.ingest(runId, 'b-2', overlapping)).toEqual({
      inserted: 64,
      skipped: 64,
      duplicateBatch: false,
    });
    expect(await rolloutCount()).toBe(256);
    expect(await aggregateN()).toBe(256);
    await expectMetricsOf([...rows, ...step3]);

    const [batch] = await dataSource.query<unknown[]>(
      `SELECT row_count, inserted, skipped FROM ingest_batches WHERE batch_id = 'b-2'`,
    );
    expect(batch).toEqual({ row_count: 128, inserted: 64, skipped: 64 });
  });

  it('keeps the first of duplicate keys within a batch and reports the rest as skipped', async () => {
    const rows = makeRows({ steps: [0], perStep: 16 });
    const twin = { ...rows[3]!, pYes: 1, brier: rows[3]!.label === 1 ? 0 : 1, completion: 'the second copy' };
    const result = await ingest.ingest(runId, 'dup', [...rows, twin, rows[5]!]);
    expect(result).toEqual({ inserted: 16, skipped: 2, duplicateBatch: false });
    const [stored] = await dataSource.query<{ completion: string }[]>(
      `SELECT completion FROM rollouts WHERE run_id = $1 AND sample_key = $2`,
      [runId, rows[3]!.sampleKey],
    );
    expect(stored!.completion).toBe(rows[3]!.completion);
    await expectMetricsOf(rows);
  });

  it('takes a 100,000-row batch in one COPY (no 65,535-parameter limit)', async () => {
    const rows = makeCheapRows([0, 1, 2, 3, 4], 20_000);
    expect(await ingest.ingest(runId, 'big', rows)).toEqual({
      inserted: 100_000,
      skipped: 0,
      duplicateBatch: false,
    });
    expect(await aggregateN()).toBe(100_000);
    await expectMetricsOf(rows);
  }, 120_000);

  it('round-trips completions byte for byte: tabs, newlines, CR, backslashes, unicode, emoji, COPY markers', async () => {
    const texts = [
      'tab\there\tand\\t a literal backslash-t',
      'line one\nline two\r\nwindows\rold mac',
      'C:\\path\\to\\file \\\\server\\share \\N \\. end',
      '\\.',
      '\\N',
      '',
      'unicode: ı ſ ß ǅ, naïve, 中文, עברית, ‮RTL override‬, zero\u200bwidth',
      'emoji: 😀👩‍👩‍👧‍👦🏳️‍🌈 and a trailing newline\n',
      '"quoted", \'single\', ,commas, ;semicolons; |pipes|',
      '\u0001\u0002\u0007\b\f\v control characters',
    ];
    const rows: RolloutRow[] = makeRows({ steps: [0], perStep: texts.length }).map((row, i) => ({
      ...row,
      completion: texts[i]!,
      answerText: texts[(i + 1) % texts.length]!,
      exampleId: `ex\t${i}\\`,
      sampleKey: `key\n${i}\\\t😀`,
      prompt: `prompt with\ttab\nand ${texts[i]}`,
    }));
    rows.push({
      ...rows[0]!,
      sampleKey: 'nulls',
      completion: null,
      answerText: null,
      exampleId: null,
      prompt: null,
    });
    expect((await ingest.ingest(runId, 'weird', rows)).inserted).toBe(rows.length);
    const stored = await dataSource.query<
      {
        sample_key: string;
        completion: string | null;
        answer_text: string;
        example_id: string;
        prompt: string;
      }[]
    >(
      `SELECT r.sample_key, r.completion, r.answer_text, r.example_id, p.text AS prompt
       FROM rollouts r LEFT JOIN prompts p ON p.id = r.prompt_id WHERE r.run_id = $1`,
      [runId],
    );
    const byKey = new Map(stored.map((s) => [s.sample_key, s]));
    for (const row of rows) {
      const got = byKey.get(row.sampleKey);
      expect(got, row.sampleKey).toBeDefined();
      expect(Buffer.from(got!.completion ?? '\0null').equals(Buffer.from(row.completion ?? '\0null'))).toBe(
        true,
      );
      expect(got).toEqual({
        sample_key: row.sampleKey,
        completion: row.completion,
        answer_text: row.answerText,
        example_id: row.exampleId,
        prompt: row.prompt,
      });
    }
  });

  it('stores each prompt once, however many rollouts and batches repeat it', async () => {
    const before = await count('SELECT count(*) AS n FROM prompts');
    const rows = makeRows({ steps: [0, 1], perStep: 64, prefix: 'prompt-once' }); // 8 rollouts per prompt
    await ingest.ingest(runId, 'p-1', rows.slice(0, 70));
    await ingest.ingest(runId, 'p-2', rows.slice(70));
    const { run: other } = await runs.create({
      kind: 'eval',
      name: 'same prompts',
      spec: {},
      specVersion: 1,
    });
    await ingest.ingest(other.id, 'p-3', rows);
    expect((await count('SELECT count(*) AS n FROM prompts')) - before).toBe(16);
    expect(
      await count('SELECT count(DISTINCT prompt_id) AS n FROM rollouts WHERE run_id = ANY($1)', [
        [runId, other.id],
      ]),
    ).toBe(16);
  });

  it("a superseding attempt's rows replace the older attempt's in a step's metrics", async () => {
    const first = makeRows({ steps: [0, 1, 2], perStep: 64, attempt: 1, seed: 11 });
    await ingest.ingest(runId, 'a1', first);
    // Attempt 2 resumed from a checkpoint at step 1 and regenerated steps 1 and 2.
    const second = makeRows({ steps: [1, 2], perStep: 48, attempt: 2, seed: 12 });
    await ingest.ingest(runId, 'a2', second);
    const current = [...first.filter((r) => r.step === 0), ...second];
    await expectMetricsOf(current);
    const stepMetrics = await metrics.stepMetrics(runId);
    expect(stepMetrics.map((m) => [m.step, m.attempt, m.n])).toEqual([
      [0, 1, 64],
      [1, 2, 48],
      [2, 2, 48],
    ]);
    expect(await rolloutCount()).toBe(192 + 96); // the older attempt's rows are kept, just not counted
  });

  it('rebuildAggregates reproduces the incrementally maintained aggregates', async () => {
    const rows = makeRows({ steps: [0, 1, 2, 3], perStep: 40, seed: 5 });
    for (let i = 0; i < rows.length; i += 37) await ingest.ingest(runId, `r-${i}`, rows.slice(i, i + 37));
    const incremental = await metrics.stepMetrics(runId);
    expect(await metrics.rebuildAggregates(runId)).toBe(4);
    const rebuilt = await metrics.stepMetrics(runId);
    expect(rebuilt.map((m) => m.n)).toEqual(incremental.map((m) => m.n));
    await expectMetricsOf(rows);
  });

  it('concurrent overlapping batches count every rollout exactly once', async () => {
    const rows = makeRows({ steps: [0, 1, 2, 3], perStep: 128, seed: 9 });
    const batches = Array.from({ length: 6 }, (_, b) => rows.filter((_, i) => (i + b) % 3 !== 0));
    const results = await Promise.all(batches.map((batch, b) => ingest.ingest(runId, `c-${b}`, batch)));
    expect(results.reduce((sum, r) => sum + r.inserted, 0)).toBe(rows.length);
    expect(await aggregateN()).toBe(rows.length);
    await expectMetricsOf(rows);
  });

  it('rejects a row without a natural-key field before touching the database, naming the row', async () => {
    const rows = makeRows({ steps: [0], perStep: 8 });
    const bad = rows.map((r, i) => (i === 5 ? { ...r, sampleKey: undefined as unknown as string } : r));
    await expect(ingest.ingest(runId, 'bad', bad)).rejects.toThrow(RolloutBatchError);
    await expect(ingest.ingest(runId, 'bad', bad)).rejects.toThrow(/rows\[5\]\.sampleKey is missing/);
    const noStep = rows.map((r, i) => (i === 2 ? { ...r, step: null as unknown as number } : r));
    await expect(ingest.ingest(runId, 'bad', noStep)).rejects.toThrow(/rows\[2\]\.step is missing/);
    const nul = rows.map((r, i) => (i === 7 ? { ...r, completion: 'a\0b' } : r));
    await expect(ingest.ingest(runId, 'bad', nul)).rejects.toThrow(/rows\[7\]\.completion contains a NUL/);
    const outOfRange = rows.map((r, i) => (i === 1 ? { ...r, pYes: 1.5 } : r));
    await expect(ingest.ingest(runId, 'bad', outOfRange)).rejects.toThrow(
      /rows\[1\]\.pYes must be a number in \[0, 1\]/,
    );
    expect(await count(`SELECT count(*) AS n FROM ingest_batches WHERE batch_id = 'bad'`)).toBe(0);
  });

  it('records an empty batch, so its replay is recognised too', async () => {
    expect(await ingest.ingest(runId, 'empty', [])).toEqual({
      inserted: 0,
      skipped: 0,
      duplicateBatch: false,
    });
    expect(await ingest.ingest(runId, 'empty', [])).toEqual({
      inserted: 0,
      skipped: 0,
      duplicateBatch: true,
    });
    expect(await metrics.stepMetrics(runId)).toEqual([]);
    expect(await metrics.stepMetrics('not-a-uuid')).toEqual([]);
  });

  it('names an unknown run, and refuses a batch id that belongs to another run', async () => {
    const rows = makeRows({ steps: [0], perStep: 4 });
    await expect(ingest.ingest(randomUUID(), 'orphan', rows)).rejects.toThrow(UnknownRunError);
    await ingest.ingest(runId, 'mine', rows);
    const { run: other } = await runs.create({ kind: 'train', name: 'other', spec: {}, specVersion: 1 });
    await expect(ingest.ingest(other.id, 'mine', rows)).rejects.toThrow(BatchRunMismatchError);
  });
});
