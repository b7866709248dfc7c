// Rollout ingest throughput on a seed-sized stream: 50 steps × 1,024 rollouts, one batch per step,
// real BoolQ passages in the seed's prompt (128 prompts × 8 rollouts per step), completions of
// 150–850 characters scored by libs/calibration. Runs against a throwaway database on the test server.
//
//   node --conditions=@brier/source --import ./test/support/register-ts.mjs libs/database/scripts/bench-ingest.ts
//
// Options (env): BENCH_STEPS (50), BENCH_BATCH (1024), BENCH_CONCURRENCY (1: batches in flight at once).
import { cpus } from 'node:os';

import { createDataSource } from '../src/data-source.js';
import { MetricsRepository } from '../src/metrics/metrics.repository.js';
import { RolloutIngestRepository } from '../src/rollouts/rollout-ingest.repository.js';
import { RunRepository } from '../src/runs/run.repository.js';
import { createTestDatabase } from '../test/test-database.js';
import { makeSeedStream } from './seed-stream.js';

const STEPS = Number(process.env['BENCH_STEPS'] ?? 50);
const BATCH = Number(process.env['BENCH_BATCH'] ?? 1024);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 1);

const stream = makeSeedStream(STEPS, BATCH);
const totalRows = stream.reduce((n, b) => n + b.length, 0);
const completionMb = stream.reduce((n, b) => n + b.reduce((m, r) => m + r.completion!.length, 0), 0) / 1e6;
const distinctPromptMb =
  stream.reduce((n, b) => n + [...new Set(b.map((r) => r.prompt!))].join('').length, 0) / 1e6;
const db = await createTestDatabase();
const dataSource = await createDataSource(db.url, { poolSize: Math.max(CONCURRENCY, 2) }).initialize();
try {
  const { run } = await new RunRepository(dataSource).create({
    kind: 'train',
    name: 'bench',
    spec: {},
    specVersion: 1,
  });
  const ingest = new RolloutIngestRepository(dataSource);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < stream.length) {
        const index = next++;
        const t0 = performance.now();
        const result = await ingest.ingest(run.id, `bench-${index}`, stream[index]!);
        latencies.push(performance.now() - t0);
        if (result.inserted !== stream[index]!.length)
          throw new Error(`batch ${index}: ${JSON.stringify(result)}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const replayStarted = performance.now();
  for (let i = 0; i < stream.length; i++) await ingest.ingest(run.id, `bench-${i}`, stream[i]!);
  const replaySeconds = (performance.now() - replayStarted) / 1000;
  const metricsStarted = performance.now();
  const metrics = await new MetricsRepository(dataSource).stepMetrics(run.id);
  const metricsMs = performance.now() - metricsStarted;

  latencies.sort((a, b) => a - b);
  const pct = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
  console.log(
    JSON.stringify(
      {
        name: 'rollout-ingest',
        rows: totalRows,
        batches: stream.length,
        batchSize: BATCH,
        concurrency: CONCURRENCY,
        completionMb: +completionMb.toFixed(1),
        distinctPromptMb: +distinctPromptMb.toFixed(1),
        seconds: +seconds.toFixed(2),
        rowsPerSecond: Math.round(totalRows / seconds),
        batchMs: { p50: pct(0.5), p95: pct(0.95), max: pct(1) },
        replayedRowsPerSecond: Math.round(totalRows / replaySeconds),
        stepMetricsMs: +metricsMs.toFixed(1),
        steps: metrics.length,
        machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model },
      },
      null,
      2,
    ),
  );
} finally {
  await dataSource.destroy();
  await db.drop();
}
