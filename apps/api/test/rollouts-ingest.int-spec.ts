import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';

import type { RolloutRow } from '@brier/database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  countRollouts,
  createRun,
  expectReliabilityEqual,
  expectStepMetricsEqual,
  get,
  groupByStep,
  leaseRun,
  makeRows,
  ndjson,
  postRollouts,
  sql,
  toScored,
  toWire,
} from './support/rollout-api.js';
import { startTestApi, type TestApi } from './support/test-api.js';

interface IngestBody {
  inserted: number;
  skipped: number;
  duplicateBatch: boolean;
}
interface ErrorBody {
  statusCode: number;
  message: { path: string; message: string }[] | string;
  lines?: number[];
  errorLines?: number;
  reason?: string;
  status?: string;
}

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

const rows3x64 = makeRows({ steps: [0, 1, 2], perStep: 64, seed: 11 });

describe('POST /v1/runs/{id}/rollouts', () => {
  it('stores an NDJSON batch; metrics and reliability equal libs/calibration on the same rows', async () => {
    const run = await createRun(api);
    const res = await postRollouts<IngestBody>(api, run.id, ndjson(rows3x64.map((r) => toWire(r))));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ inserted: 192, skipped: 0, duplicateBatch: false });

    const byStep = groupByStep(rows3x64, toScored);
    const metrics = await get<Parameters<typeof expectStepMetricsEqual>[0]>(
      api,
      `/v1/runs/${run.id}/metrics`,
    );
    expect(metrics.status).toBe(200);
    expectStepMetricsEqual(metrics.body, byStep);
    const reliability = await get<Parameters<typeof expectReliabilityEqual>[0]>(
      api,
      `/v1/runs/${run.id}/reliability?group=2`,
    );
    expect(reliability.status).toBe(200);
    expectReliabilityEqual(reliability.body, byStep, 2);

    // Brier's recomputation of the reward agrees with the trainer's (both libs/calibration here).
    const stored = await sql<{ n: string }>(
      api,
      `SELECT count(*) AS n FROM rollouts WHERE run_id = $1 AND abs(reward_trainer - reward_brier) < 1e-12`,
      [run.id],
    );
    expect(Number(stored[0]!.n)).toBe(192);
    // Prompts are stored once: 8 rollouts per example.
    const prompts = await sql<{ n: string }>(
      api,
      `SELECT count(DISTINCT prompt_id) AS n FROM rollouts WHERE run_id = $1`,
      [run.id],
    );
    expect(Number(prompts[0]!.n)).toBe(24);

    // The one-step verification endpoint: raw rows and aggregates agree.
    const fromRows = await get<Record<string, number>>(
      api,
      `/v1/runs/${run.id}/steps/1/metrics?source=rollouts`,
    );
    const fromAggregates = await get<Record<string, number>>(api, `/v1/runs/${run.id}/steps/1/metrics`);
    expect(fromRows.status).toBe(200);
    for (const key of [
      'n',
      'brier',
      'ece',
      'ece_top_label',
      'mce',
      'accuracy',
      'reward',
      'mean_length',
    ] as const) {
      expect(Math.abs(fromRows.body[key]! - fromAggregates.body[key]!)).toBeLessThan(1e-9);
    }
    expect((await get(api, `/v1/runs/${run.id}/steps/9/metrics`)).status).toBe(404);
  });

  it('a replayed Batch-Id is a no-op; an overlapping batch stores only its new rows', async () => {
    const run = await createRun(api);
    const body = ndjson(rows3x64.map((r) => toWire(r)));
    const first = await postRollouts<IngestBody>(api, run.id, body, { batchId: 'replay-1' });
    expect(first.body).toEqual({ inserted: 192, skipped: 0, duplicateBatch: false });
    const again = await postRollouts<IngestBody>(api, run.id, body, { batchId: 'replay-1' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ inserted: 0, skipped: 192, duplicateBatch: true });
    expect(await countRollouts(api, run.id)).toBe(192);

    const more = makeRows({ steps: [2, 3], perStep: 64, seed: 12, prefix: 'more' });
    const overlap = [...rows3x64.slice(64), ...more];
    const res = await postRollouts<IngestBody>(api, run.id, ndjson(overlap.map((r) => toWire(r))), {
      batchId: 'overlap-1',
    });
    expect(res.body).toEqual({ inserted: 128, skipped: 128, duplicateBatch: false });
    expect(await countRollouts(api, run.id)).toBe(320);
    // The aggregates folded exactly the new rows.
    const all = [...rows3x64, ...more];
    const metrics = await get<Parameters<typeof expectStepMetricsEqual>[0]>(
      api,
      `/v1/runs/${run.id}/metrics`,
    );
    expectStepMetricsEqual(metrics.body, groupByStep(all, toScored));
    const batches = await sql(
      api,
      `SELECT batch_id, row_count, inserted, skipped FROM ingest_batches WHERE run_id = $1 ORDER BY batch_id`,
      [run.id],
    );
    expect(batches).toEqual([
      { batch_id: 'overlap-1', row_count: 256, inserted: 128, skipped: 128 },
      { batch_id: 'replay-1', row_count: 192, inserted: 192, skipped: 0 },
    ]);
  });

  it('malformed lines: 400 naming every bad line and field, and nothing of the request is stored', async () => {
    const run = await createRun(api);
    const lines = rows3x64.map((r) => JSON.stringify(toWire(r)));
    lines[4] = '{"step": 0, "sample_key": "x"'; // not JSON (line 5)
    lines[99] = JSON.stringify({ ...toWire(rows3x64[99]!), p_yes: 1.5 }); // line 100
    lines[150] = JSON.stringify({ ...toWire(rows3x64[150]!), sample_key: '', extra: 1 }); // line 151
    lines[160] = JSON.stringify({ ...toWire(rows3x64[160]!), completion: null, p_yes: undefined }); // line 161
    const res = await postRollouts<ErrorBody>(api, run.id, lines.join('\n'), { batchId: 'bad-1' });
    expect(res.status).toBe(400);
    expect(res.body.lines).toEqual([5, 100, 151, 161]);
    expect(res.body.errorLines).toBe(4);
    const paths = (res.body.message as { path: string }[]).map((m) => m.path);
    expect(paths).toEqual([
      'lines[5]',
      'lines[100].p_yes',
      'lines[151].extra',
      'lines[151].sample_key',
      'lines[161].p_yes',
    ]);
    expect(await countRollouts(api, run.id)).toBe(0);
    expect(await sql(api, `SELECT * FROM ingest_batches WHERE run_id = $1`, [run.id])).toEqual([]);
    expect(await sql(api, `SELECT * FROM step_aggregates WHERE run_id = $1`, [run.id])).toEqual([]);

    // The same Batch-Id, fixed, goes through: the failed request left no trace.
    const fixed = await postRollouts<IngestBody>(api, run.id, ndjson(rows3x64.map((r) => toWire(r))), {
      batchId: 'bad-1',
    });
    expect(fixed.body).toEqual({ inserted: 192, skipped: 0, duplicateBatch: false });
  });

  it('a bad line after many chunks were written still stores nothing (one transaction)', async () => {
    const run = await createRun(api);
    const many = makeRows({ steps: [0, 1, 2, 3, 4], perStep: 1024, seed: 5 });
    const lines = many.map((r) => JSON.stringify(toWire(r)));
    lines.push('{"step": -1}');
    const res = await postRollouts<ErrorBody>(api, run.id, lines.join('\n'));
    expect(res.status).toBe(400);
    expect(res.body.lines).toEqual([5121]);
    expect(await countRollouts(api, run.id)).toBe(0);
  });

  it('takes gzip bodies, JSON arrays, and lines that carry only a completion (scored by the API)', async () => {
    const run = await createRun(api);
    const gz = await postRollouts<IngestBody>(
      api,
      run.id,
      ndjson(rows3x64.slice(0, 64).map((r) => toWire(r))),
      { gzip: true },
    );
    expect(gz.status).toBe(200);
    expect(gz.body.inserted).toBe(64);

    const asArray = JSON.stringify(rows3x64.slice(64, 128).map((r) => toWire(r)));
    const json = await postRollouts<IngestBody>(api, run.id, asArray, { contentType: 'application/json' });
    expect(json.status).toBe(200);
    expect(json.body.inserted).toBe(64);

    const minimal = rows3x64.slice(128).map((r) => ({
      step: r.step,
      sample_key: r.sampleKey,
      ground_truth: r.label === 1 ? 'True' : 'False',
      full_completion: `[assistant] ${r.completion}\n`,
      full_prompt: r.prompt,
      reward: r.rewardTrainer,
      index: 7,
      pid: 1,
    }));
    const scored = await postRollouts<IngestBody>(api, run.id, ndjson(minimal));
    expect(scored.status).toBe(200);
    expect(scored.body.inserted).toBe(64);
    const metrics = await get<Parameters<typeof expectStepMetricsEqual>[0]>(
      api,
      `/v1/runs/${run.id}/metrics`,
    );
    expectStepMetricsEqual(metrics.body, groupByStep(rows3x64, toScored));

    const notGzip = await fetch(`${api.url}/v1/runs/${run.id}/rollouts`, {
      method: 'POST',
      headers: {
        ...api.authHeaders,
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
        'batch-id': 'not-gzip',
      },
      body: 'not gzip at all',
    });
    expect(notGzip.status).toBe(400);
    expect(((await notGzip.json()) as ErrorBody).message).toContain('does not decompress');
  });

  it('is described in the OpenAPI document', async () => {
    const doc = await get<{ paths: Record<string, unknown> }>(api, '/docs/json');
    expect(doc.status).toBe(200);
    for (const path of [
      '/v1/runs/{id}/rollouts',
      '/v1/runs/{id}/samples',
      '/v1/runs/{id}/metrics',
      '/v1/runs/{id}/metrics.csv',
      '/v1/runs/{id}/reliability',
      '/v1/runs/{id}/steps/{step}/metrics',
      '/v1/runs/{id}/ensembles',
      '/v1/compare',
      '/v1/imports',
    ]) {
      expect(doc.body.paths, path).toHaveProperty([path]);
    }
  });

  it('answers 415, 400, 404 and 413 for the wrong requests', async () => {
    const run = await createRun(api);
    const body = ndjson(rows3x64.slice(0, 4).map((r) => toWire(r)));
    expect((await postRollouts(api, run.id, body, { contentType: 'text/plain' })).status).toBe(415);
    expect((await postRollouts(api, run.id, body, { contentType: 'application/xml' })).status).toBe(415);
    const noBatch = await postRollouts<ErrorBody>(api, run.id, body, { batchId: null });
    expect(noBatch.status).toBe(400);
    expect(noBatch.body.message).toEqual([{ path: 'Batch-Id', message: 'the Batch-Id header is required' }]);
    expect((await postRollouts(api, run.id, body, { batchId: 'has spaces' })).status).toBe(400);
    expect((await postRollouts(api, run.id, body, { leaseToken: 'not-a-uuid' })).status).toBe(400);
    expect((await postRollouts(api, randomUUID(), body)).status).toBe(404);
    expect((await postRollouts(api, 'nope', body)).status).toBe(400);
    const encoded = await fetch(`${api.url}/v1/runs/${run.id}/rollouts`, {
      method: 'POST',
      headers: {
        ...api.authHeaders,
        'content-type': 'application/x-ndjson',
        'content-encoding': 'br',
        'batch-id': 'x',
      },
      body,
    });
    expect(encoded.status).toBe(415);
    // A Batch-Id of another run is a client bug: 409, nothing written.
    await postRollouts(api, run.id, body, { batchId: 'owned' });
    const other = await createRun(api);
    const stolen = await postRollouts<ErrorBody>(api, other.id, body, { batchId: 'owned' });
    expect(stolen.status).toBe(409);
  });

  it('413 past the configured body size, for plain and gzip bodies', async () => {
    const previous = process.env['ROLLOUTS_MAX_BODY_BYTES'];
    process.env['ROLLOUTS_MAX_BODY_BYTES'] = String(64 * 1024);
    const small = await startTestApi({}, api.db);
    try {
      const run = await createRun(small);
      const body = ndjson(rows3x64.map((r) => toWire(r))); // ~800 KB
      expect(Buffer.byteLength(body)).toBeGreaterThan(64 * 1024);
      const plain = await postRollouts<ErrorBody>(small, run.id, body);
      expect(plain.status).toBe(413);
      const gz = await postRollouts<ErrorBody>(small, run.id, body, { gzip: true });
      expect(gz.status).toBe(413);
      expect(await countRollouts(small, run.id)).toBe(0);
      const fits = await postRollouts<IngestBody>(
        small,
        run.id,
        ndjson(rows3x64.slice(0, 10).map((r) => toWire(r))),
      );
      expect(fits.status).toBe(200);
    } finally {
      if (previous === undefined) delete process.env['ROLLOUTS_MAX_BODY_BYTES'];
      else process.env['ROLLOUTS_MAX_BODY_BYTES'] = previous;
      await small.close();
    }
  });
});

describe('clients that go away', () => {
  it('a body cut off mid-stream stores nothing, and its ingestion slot is freed', async () => {
    const run = await createRun(api);
    const lines = ndjson(makeRows({ steps: [0], perStep: 512, seed: 51 }).map((r) => toWire(r)));
    // More aborted requests than there are ingestion slots (3): each must give its slot back.
    for (let k = 0; k < 5; k++) {
      const controller = new AbortController();
      const body = new ReadableStream<Uint8Array>({
        start(stream) {
          stream.enqueue(new TextEncoder().encode(lines)); // and never ends
        },
      });
      const pending = fetch(`${api.url}/v1/runs/${run.id}/rollouts`, {
        method: 'POST',
        headers: { ...api.authHeaders, 'content-type': 'application/x-ndjson', 'batch-id': `cut-${k}` },
        body,
        duplex: 'half',
        signal: controller.signal,
      }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort();
      await pending;
    }
    const ok = await postRollouts<IngestBody>(api, run.id, lines, { batchId: 'after-cuts' });
    expect(ok.status).toBe(200);
    expect(ok.body.inserted).toBe(512);
    expect(await countRollouts(api, run.id)).toBe(512);
    const batches = await sql(api, `SELECT batch_id FROM ingest_batches WHERE run_id = $1`, [run.id]);
    expect(batches).toEqual([{ batch_id: 'after-cuts' }]);
  });
});

describe('lease fencing (Lease-Token)', () => {
  it("writes under the lease's attempt; a stale lease or another attempt gets 409 and nothing is stored", async () => {
    const run = await createRun(api);
    const lease = await leaseRun(api, run.id, 2);
    const rows = makeRows({ steps: [0], perStep: 32, seed: 21 });
    const ok = await postRollouts<IngestBody>(
      api,
      run.id,
      ndjson(rows.map((r) => toWire(r, { attempt: false }))),
      {
        leaseToken: lease,
      },
    );
    expect(ok.status).toBe(200);
    expect(ok.body.inserted).toBe(32);
    expect(await sql(api, `SELECT DISTINCT attempt FROM rollouts WHERE run_id = $1`, [run.id])).toEqual([
      { attempt: 2 },
    ]);

    const stale = await postRollouts<ErrorBody>(
      api,
      run.id,
      ndjson(rows.map((r) => toWire(r, { attempt: false }))),
      {
        leaseToken: randomUUID(),
      },
    );
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ reason: 'lease-lost', status: 'running' });

    const wrongAttempt = await postRollouts<ErrorBody>(
      api,
      run.id,
      ndjson(makeRows({ steps: [1], perStep: 8, attempt: 1 }).map((r) => toWire(r))),
      { leaseToken: lease },
    );
    expect(wrongAttempt.status).toBe(409);
    expect(wrongAttempt.body.reason).toBe('attempt-mismatch');

    await sql(api, `UPDATE runs SET status = 'lost' WHERE id = $1`, [run.id]);
    const lost = await postRollouts<ErrorBody>(
      api,
      run.id,
      ndjson(rows.map((r) => toWire(r, { attempt: false }))),
      {
        leaseToken: lease,
      },
    );
    expect(lost.status).toBe(409);
    expect(lost.body.status).toBe('lost');
    expect(await countRollouts(api, run.id)).toBe(32);
  });

  it('a lease that ends while the body streams in stores nothing of it', async () => {
    const run = await createRun(api);
    const lease = await leaseRun(api, run.id, 1);
    const rows: RolloutRow[] = makeRows({ steps: [0, 1, 2, 3], perStep: 1024, seed: 31 });
    const lines = rows.map((r) => `${JSON.stringify(toWire(r, { attempt: false }))}\n`);
    const half = Math.floor(lines.length / 2);
    let releaseSecondHalf!: () => void;
    const secondHalf = new Promise<void>((resolve) => (releaseSecondHalf = resolve));
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode(lines.slice(0, half).join('')));
        await secondHalf;
        controller.enqueue(encoder.encode(lines.slice(half).join('')));
        controller.close();
      },
    });
    const pending = fetch(`${api.url}/v1/runs/${run.id}/rollouts`, {
      method: 'POST',
      headers: {
        ...api.authHeaders,
        'content-type': 'application/x-ndjson',
        'batch-id': 'streamed',
        'lease-token': lease,
      },
      body,
      duplex: 'half',
    });
    // Wait until the first chunks are in the (uncommitted) transaction, then re-lease the run.
    for (let i = 0; i < 100; i++) {
      const [row] = await sql<{ n: string }>(
        api,
        `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`,
      );
      if (Number(row!.n) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await sql(api, `UPDATE runs SET lease_token = gen_random_uuid(), attempt = 2 WHERE id = $1`, [run.id]);
    releaseSecondHalf();
    const res = await pending;
    expect(res.status).toBe(409);
    expect(((await res.json()) as ErrorBody).reason).toBe('lease-lost');
    expect(await countRollouts(api, run.id)).toBe(0);
    expect(await sql(api, `SELECT * FROM ingest_batches WHERE run_id = $1`, [run.id])).toEqual([]);
  });
});

describe('gzip of a large body', () => {
  it('streams a 5-step gzip body (5,120 rollouts) in chunks', async () => {
    const run = await createRun(api);
    const rows = makeRows({ steps: [0, 1, 2, 3, 4], perStep: 1024, seed: 41 });
    const body = gzipSync(ndjson(rows.map((r) => toWire(r))));
    const response = await fetch(`${api.url}/v1/runs/${run.id}/rollouts`, {
      method: 'POST',
      headers: {
        ...api.authHeaders,
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
        'batch-id': 'big-gz',
      },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ inserted: 5120, skipped: 0, duplicateBatch: false });
    const metrics = await get<Parameters<typeof expectStepMetricsEqual>[0]>(
      api,
      `/v1/runs/${run.id}/metrics`,
    );
    expectStepMetricsEqual(metrics.body, groupByStep(rows, toScored));
  });
});
