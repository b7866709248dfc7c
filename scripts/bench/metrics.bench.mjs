// Latency of a dashboard's reads — GET /v1/runs/{id}/metrics and /reliability?group=5 of a 50-step
// run (the seed's, imported through the API) — first alone in the database, then with many other
// runs' rollouts beside it (synthetic, inserted in bulk with generate_series, their step_aggregates
// folded by the same SQL as ingestion). Target: p50 < 5 ms with 10 million rollouts (200 runs):
// both reads use step_aggregates only, so the raw row count should not matter.
import { openAsBlob } from 'node:fs';
import { join } from 'node:path';

import pg from 'pg';

import { createBenchDatabase, percentile, startBenchApi } from './bench-api.mjs';

const root = new URL('../../', import.meta.url).pathname;
const OTHER_RUNS = Number(process.env.BENCH_METRICS_RUNS ?? 200);
const STEPS = 50;
const PER_STEP = 1024;
const REQUESTS = Number(process.env.BENCH_METRICS_REQUESTS ?? 300);
const TARGET_P50_MS = 5;

const round = (x, digits = 2) => Number(x.toFixed(digits));
/** The bench API's admin Authorization header (set once it is started). */
let auth = {};

async function importSeed(apiUrl) {
  const form = new FormData();
  form.append('name', 'bench seed run');
  for (const name of ['calibration_metrics.csv', 'orchestrator.stdout']) {
    form.append('files', await openAsBlob(join(root, 'examples/seed-run', name)), name);
  }
  const response = await fetch(`${apiUrl}/v1/imports`, { method: 'POST', body: form, headers: auth });
  const body = await response.json();
  if (response.status !== 201)
    throw new Error(`seed import answered ${response.status}: ${JSON.stringify(body)}`);
  return body.id;
}

/** p50/p99 (ms) of sequential GETs, after a warm-up. */
async function latency(url, count = REQUESTS) {
  for (let i = 0; i < 20; i++) await (await fetch(url, { headers: auth })).arrayBuffer();
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await fetch(url, { headers: auth });
    await response.arrayBuffer();
    times.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  }
  return { p50: round(percentile(times, 50)), p99: round(percentile(times, 99)), n: count };
}

/** p50/p99 (ms) of the SQL alone: the API's statement, prepared as the API runs it, on one connection. */
async function sqlLatency(client, text, params, count = REQUESTS) {
  const query = { name: `bench_${text.length}`, text, values: params };
  for (let i = 0; i < 20; i++) await client.query(query);
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await client.query(query);
    times.push(performance.now() - started);
  }
  return { p50: round(percentile(times, 50)), p99: round(percentile(times, 99)) };
}

async function measure(apiUrl, client, runId, sql) {
  return {
    metrics: await latency(`${apiUrl}/v1/runs/${runId}/metrics`),
    reliability: await latency(`${apiUrl}/v1/runs/${runId}/reliability?group=5`),
    sql: {
      metrics: await sqlLatency(client, sql.STEP_METRICS_BY_RUN, [runId]),
      reliability: await sqlLatency(client, sql.RELIABILITY_BY_RUN, [runId, 5]),
    },
  };
}

/** Other runs with STEPS × PER_STEP synthetic rollouts each, and their aggregates. */
async function fillOtherRuns(client, sql, runs) {
  const started = performance.now();
  const { rows } = await client.query(
    `INSERT INTO runs (kind, name, status, spec, spec_version, gpu_count)
     SELECT 'import', 'bench filler ' || g, 'succeeded', '{}', 1, 0 FROM generate_series(1, $1) g
     RETURNING id`,
    [runs],
  );
  for (const [i, { id }] of rows.entries()) {
    // Stated percentages like real answers: p = k/100 or 1 − k/100; ~3% unparseable at 0.5.
    await client.query(
      `INSERT INTO rollouts (run_id, step, attempt, sample_key, example_id, label, p_yes, p_yes_extracted, parseable,
                             brier, length_penalty, reward_trainer, approx_tokens)
       SELECT $1::uuid, s, 0, i::text, 'ex-' || (i / 8), t.label, t.p, CASE WHEN t.parseable THEN t.p END, t.parseable,
              (t.p - t.label) ^ 2, 0, CASE WHEN t.parseable THEN 1 - (t.p - t.label) ^ 2 ELSE 0 END, 300
       FROM generate_series(0, ${STEPS - 1}) s, generate_series(0, ${PER_STEP - 1}) i,
       LATERAL (SELECT (random() < 0.5)::int AS label, random() > 0.03 AS parseable, floor(random() * 101) / 100 AS k) r,
       LATERAL (SELECT r.label, r.parseable, CASE WHEN NOT r.parseable THEN 0.5 WHEN random() < 0.5 THEN r.k ELSE 1 - r.k END AS p) t`,
      [id],
    );
    await client.query(sql.REBUILD_STEP_AGGREGATES, [id]);
    if ((i + 1) % 20 === 0) {
      process.stderr.write(
        `metrics bench: ${i + 1}/${runs} filler runs (${Math.round((performance.now() - started) / 1000)} s)\n`,
      );
    }
  }
  await client.query('VACUUM ANALYZE rollouts');
  await client.query('VACUUM ANALYZE step_aggregates');
  const [{ n }] = (await client.query('SELECT count(*)::bigint AS n FROM rollouts')).rows;
  return { rollouts: Number(n), setupSeconds: round((performance.now() - started) / 1000, 1) };
}

export async function benchMetrics() {
  const sql = await import(`${root}libs/database/dist/metrics/metrics.sql.js`);
  const database = await createBenchDatabase();
  const client = new pg.Client({ connectionString: database.url });
  let api;
  try {
    await client.connect();
    api = await startBenchApi(database.url);
    auth = api.authHeaders;
    const runId = await importSeed(api.url);
    const alone = await measure(api.url, client, runId, sql);
    const filled = await fillOtherRuns(client, sql, OTHER_RUNS);
    const crowded = await measure(api.url, client, runId, sql);
    return {
      name: 'metrics',
      input: {
        steps: STEPS,
        rolloutsPerStep: PER_STEP,
        otherRuns: OTHER_RUNS,
        rolloutsInDatabase: filled.rollouts,
      },
      setupSeconds: filled.setupSeconds,
      alone,
      crowded,
      targets: {
        p50Ms: TARGET_P50_MS,
        met: crowded.metrics.p50 < TARGET_P50_MS && crowded.reliability.p50 < TARGET_P50_MS,
      },
    };
  } finally {
    await api?.stop();
    await client.end().catch(() => undefined);
    await database.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchMetrics(), null, 2));
}
