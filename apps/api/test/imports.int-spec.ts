import {
  mkdirSync,
  mkdtempSync,
  openAsBlob,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { bufferedIo } from '../../cli/test/buffered-io.js';
import { runCli } from '../../cli/src/program.js';
import { get, METRIC_KEYS, sql } from './support/rollout-api.js';
import { makeGenerations } from './support/make-generations.js';
import { startTestApi, type TestApi } from './support/test-api.js';

const SEED_DIR = new URL('../../../examples/seed-run/', import.meta.url).pathname;

interface ImportBody {
  id: string;
  kind: string;
  status: string;
  name: string;
  spec: Record<string, unknown>;
  progressStep: number | null;
  error: { message: string } | null;
  import: {
    rollouts: number;
    steps: number;
    orchestratorSteps: number;
    rolloutSource: string;
    files: string[];
    ignored: unknown[];
  };
  message?: unknown;
  lines?: number[];
  runId?: string;
  run?: { status: string; error: { message: string } };
}
type MetricRow = Record<string, number | null> & { step: number };

let api: TestApi;
let work: string;

beforeAll(async () => {
  api = await startTestApi();
  work = mkdtempSync(join(tmpdir(), 'brier-import-test-'));
});
afterAll(async () => {
  await api?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function postImport(
  target: TestApi,
  files: { path: string; name?: string }[],
  fields: Record<string, string> = {},
): Promise<{ status: number; body: ImportBody }> {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  for (const file of files)
    form.append('files', await openAsBlob(file.path), file.name ?? file.path.split('/').pop());
  const response = await fetch(`${target.url}/v1/imports`, {
    headers: target.authHeaders,
    method: 'POST',
    body: form,
    signal: AbortSignal.timeout(120_000),
  });
  return { status: response.status, body: (await response.json()) as ImportBody };
}

async function analyze(file: string, ...args: string[]): Promise<MetricRow[]> {
  const io = bufferedIo();
  const code = await runCli(['analyze', file, '--format', 'json', ...args], io);
  expect(code, io.err()).toBe(0);
  return JSON.parse(io.out()) as MetricRow[];
}

function expectSameMetrics(actual: MetricRow[], expected: MetricRow[]): void {
  expect(actual.map((m) => m.step)).toEqual(expected.map((m) => m.step));
  actual.forEach((row, i) => {
    for (const key of METRIC_KEYS) {
      const want = expected[i]![key] ?? null;
      const got = row[key] ?? null;
      if (want === null) expect(got, `step ${row.step} ${key}`).toBeNull();
      else
        expect(Math.abs(got! - want), `step ${row.step} ${key}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-9);
    }
  });
}

describe('POST /v1/imports', () => {
  it("imports the seed's run: 50 steps, the metrics of `brier analyze`, the log's rewards", async () => {
    const res = await postImport(
      api,
      ['calibration_metrics.csv', 'orchestrator.stdout', 'cot_samples.txt'].map((name) => ({
        path: join(SEED_DIR, name),
      })),
      { name: 'seed run' },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      kind: 'import',
      status: 'succeeded',
      name: 'seed run',
      progressStep: 49,
    });
    expect(res.body.spec).toMatchObject({ batchSize: 1024, source: 'upload' });
    expect(res.body.import).toMatchObject({
      rolloutSource: 'calibration_metrics.csv',
      rollouts: 51_200,
      steps: 50,
      orchestratorSteps: 50,
    });

    const metrics = await get<MetricRow[]>(api, `/v1/runs/${res.body.id}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toHaveLength(50);
    expectSameMetrics(metrics.body, await analyze(join(SEED_DIR, 'calibration_metrics.csv')));
    expect(metrics.body[0]).toMatchObject({
      step: 0,
      orchestrator_reward: 0.3787,
      orchestrator_seq_len: 473.6,
    });
    expect(Math.abs(metrics.body[0]!.reward! - 0.3688109115600598)).toBeLessThan(1e-12);
    expect(Math.abs(metrics.body[49]!.ece! - 0.04017578124999965)).toBeLessThan(1e-12);
    expect(metrics.body[49]!.orchestrator_reward).toBe(0.911);

    const run = await get<{ status: string }>(api, `/v1/runs/${res.body.id}`);
    expect(run.body.status).toBe('succeeded');
  });

  it('imports generations.jsonl.gz: steps by batch_size, reward_brier recomputed, prompts once', async () => {
    const plain = join(work, 'generations.jsonl');
    await makeGenerations(plain, { steps: 3, batchSize: 64, rolloutsPerExample: 8 });
    const gz = join(work, 'generations.jsonl.gz');
    writeFileSync(gz, gzipSync(readFileSync(plain)));
    const res = await postImport(api, [{ path: gz }], { batch_size: '64', name: 'synthetic' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.import).toMatchObject({ rolloutSource: 'generations.jsonl.gz', rollouts: 192, steps: 3 });
    const metrics = await get<MetricRow[]>(api, `/v1/runs/${res.body.id}/metrics`);
    expectSameMetrics(metrics.body, await analyze(gz, '--batch-size', '64'));
    for (const step of metrics.body)
      expect(Math.abs(step['reward_brier']! - step['reward']!)).toBeLessThan(1e-12);
    const [counts] = await sql<{ prompts: string; completions: string }>(
      api,
      `SELECT count(DISTINCT prompt_id) AS prompts, count(completion) AS completions FROM rollouts WHERE run_id = $1`,
      [res.body.id],
    );
    expect(counts).toEqual({ prompts: '24', completions: '192' });

    const cut = await postImport(api, [{ path: plain }], { batch_size: '64', max_steps: '2' });
    expect(cut.status).toBe(201);
    expect(cut.body.import).toMatchObject({ rollouts: 128, steps: 2 });
    expect(cut.body.spec).toMatchObject({ maxSteps: 2, batchSize: 64 });
  });

  it('a malformed line: 400 naming it, no rollouts stored, the run failed with the error', async () => {
    const file = join(work, 'bad', 'generations.jsonl');
    mkdirSync(join(work, 'bad'), { recursive: true });
    await makeGenerations(file, { steps: 1, batchSize: 16, rolloutsPerExample: 8 });
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[6] = '{"truncated": ';
    writeFileSync(file, lines.join('\n'));
    const res = await postImport(api, [{ path: file }], { batch_size: '16' });
    expect(res.status).toBe(400);
    expect(res.body.lines).toEqual([7]);
    expect(res.body.run).toMatchObject({ status: 'failed' });
    expect(res.body.run!.error.message).toContain('line(s) of generations.jsonl are invalid');
    const [row] = await sql<{ n: string }>(api, 'SELECT count(*) AS n FROM rollouts WHERE run_id = $1', [
      res.body.runId,
    ]);
    expect(row!.n).toBe('0');
  });

  it('400 for no result file (listing what was given) and bad fields; 415 for a non-multipart body', async () => {
    const notes = join(work, 'notes.txt');
    writeFileSync(notes, 'hello');
    const before = await sql<{ n: string }>(api, 'SELECT count(*) AS n FROM runs');
    const none = await postImport(api, [{ path: notes }, { path: notes, name: 'Generations.jsonl' }]);
    expect(none.status).toBe(400);
    expect(none.body.message).toContain('notes.txt, Generations.jsonl');
    expect(none.body.message).toContain('case-sensitive');
    const empty = await postImport(api, []);
    expect(empty.status).toBe(400);
    const csv = { path: join(SEED_DIR, 'calibration_metrics.csv') };
    const badSize = await postImport(api, [csv], { batch_size: '0' });
    expect(badSize.status).toBe(400);
    expect(badSize.body.message).toEqual([
      { path: 'batch_size', message: 'batch_size must not be less than 1' },
    ]);
    const unknown = await postImport(api, [csv], { colour: 'red' });
    expect(unknown.status).toBe(400);
    const after = await sql<{ n: string }>(api, 'SELECT count(*) AS n FROM runs');
    expect(after).toEqual(before);

    const json = await fetch(`${api.url}/v1/imports`, {
      method: 'POST',
      headers: { ...api.authHeaders, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
  });

  it('413 past the per-file and total upload caps, and the spool folder is removed', async () => {
    const saved = { ...process.env };
    const spool = mkdtempSync(join(tmpdir(), 'brier-spool-'));
    Object.assign(process.env, {
      IMPORT_MAX_FILE_BYTES: '100000',
      IMPORT_MAX_TOTAL_BYTES: '120000',
      IMPORT_TMP_DIR: spool,
    });
    const small = await startTestApi({}, api.db);
    try {
      const big = await postImport(small, [{ path: join(SEED_DIR, 'calibration_metrics.csv') }]);
      expect(big.status).toBe(413);
      const log = { path: join(SEED_DIR, 'orchestrator.stdout') }; // 58 KB: three of them pass 120 KB
      const total = await postImport(small, [
        log,
        { ...log, name: 'cot_samples.txt' },
        { ...log, name: 'x.txt' },
      ]);
      expect(total.status).toBe(413);
      const ok = await postImport(small, [log]);
      expect(ok.status).toBe(201);
      expect(ok.body.import).toMatchObject({ rollouts: 0, orchestratorSteps: 50 });
      expect(readdirSync(spool)).toEqual([]);
    } finally {
      process.env = saved;
      await small.close();
      rmSync(spool, { recursive: true, force: true });
    }
  });
});
