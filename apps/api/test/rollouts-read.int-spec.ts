import { isCorrect, positiveClassEce, reliabilityBins } from '@brier/calibration';
import type { RolloutView } from '@brier/contracts';
import type { RolloutRow } from '@brier/database';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  countRollouts,
  createRun,
  expectStepMetricsEqual,
  get,
  groupByStep,
  makeRows,
  ndjson,
  postRollouts,
  toScored,
  toWire,
  withExampleLabels,
} from './support/rollout-api.js';
import { startTestApi, type TestApi } from './support/test-api.js';

interface Page {
  items: RolloutView[];
  nextCursor: string | null;
}

let api: TestApi;
let runId: string;
/** What the run's reads should see: attempt 0 of steps 0, 2, 3 and attempt 1 of step 1 (a resume). */
let current: RolloutRow[];
let all: RolloutRow[];

const keyOf = (r: { step: number; attempt: number; sampleKey?: string; sample_key?: string }) =>
  `${r.step}/${r.attempt}/${r.sampleKey ?? r.sample_key}`;
/** The API's order: (step, attempt, sample_key) with sample_key in byte order. */
const byKey = (a: RolloutRow, b: RolloutRow) =>
  a.step - b.step ||
  a.attempt - b.attempt ||
  (a.sampleKey < b.sampleKey ? -1 : a.sampleKey > b.sampleKey ? 1 : 0);

beforeAll(async () => {
  api = await startTestApi();
  const run = await createRun(api);
  runId = run.id;
  const attempt0 = withExampleLabels(makeRows({ steps: [0, 1, 2, 3], perStep: 96, seed: 7 }));
  const attempt1 = withExampleLabels(
    makeRows({ steps: [1], perStep: 40, attempt: 1, seed: 8, prefix: 'resumed' }),
  );
  all = [...attempt0, ...attempt1];
  current = [...attempt0.filter((r) => r.step !== 1), ...attempt1].sort(byKey);
  for (const rows of [attempt0, attempt1]) {
    const res = await postRollouts(api, runId, ndjson(rows.map((r) => toWire(r))));
    expect(res.status).toBe(200);
  }
}, 60_000);
afterAll(async () => {
  await api?.close();
});

async function allPages(query: string, limit: number): Promise<RolloutView[]> {
  const out: RolloutView[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const res: Awaited<ReturnType<typeof get<Page>>> = await get<Page>(
      api,
      `/v1/runs/${runId}/rollouts?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.status).toBe(200);
    out.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  return out;
}

describe('GET /v1/runs/{id}/rollouts', () => {
  it("pages through each step's current attempt in key order (keyset cursor)", async () => {
    const items = await allPages('', 50);
    expect(items.map((r) => keyOf(r))).toEqual(current.map((r) => keyOf(r)));
    const first = items[0]!;
    const source = current[0]!;
    expect(first).toMatchObject({
      step: source.step,
      attempt: source.attempt,
      sample_key: source.sampleKey,
      example_id: source.exampleId,
      label: source.label,
      p_yes: source.pYes,
      brier_score: source.brier,
      reward: source.rewardTrainer,
      reward_brier: source.rewardTrainer,
      completion: source.completion,
      parsed_answer: source.answerText,
    });
    expect(first.prompt).toBeUndefined();
    const withPrompt = await get<Page>(api, `/v1/runs/${runId}/rollouts?limit=1&include=prompt`);
    expect(withPrompt.body.items[0]!.prompt).toBe(source.prompt);
  });

  it('attempt=all and attempt=N', async () => {
    const every = await allPages('&attempt=all', 500);
    expect(every.map((r) => keyOf(r))).toEqual([...all].sort(byKey).map((r) => keyOf(r)));
    const old = await allPages('&attempt=0&step=1', 500);
    expect(old).toHaveLength(96);
  });

  it('filters: step, steps, parseable, label, p_yes range, correct, example_id', async () => {
    const cases: [string, (r: RolloutRow) => boolean][] = [
      ['&step=2', (r) => r.step === 2],
      ['&steps=1-2', (r) => r.step >= 1 && r.step <= 2],
      ['&parseable=false', (r) => r.parseable === false],
      ['&label=1', (r) => r.label === 1],
      ['&min_p_yes=0.3&max_p_yes=0.7', (r) => r.pYes >= 0.3 && r.pYes <= 0.7],
      ['&correct=false', (r) => !isCorrect({ pYes: r.pYes, label: r.label })],
      [
        '&correct=true&label=0&steps=0-0',
        (r) => isCorrect({ pYes: r.pYes, label: r.label }) && r.label === 0 && r.step === 0,
      ],
      [`&example_id=${current[5]!.exampleId}`, (r) => r.exampleId === current[5]!.exampleId],
    ];
    for (const [query, keep] of cases) {
      const items = await allPages(query, 1000);
      const expected = current.filter(keep);
      expect(expected.length, query).toBeGreaterThan(0);
      expect(
        items.map((r) => keyOf(r)),
        query,
      ).toEqual(expected.map((r) => keyOf(r)));
    }
    const bad = await get(api, `/v1/runs/${runId}/rollouts?steps=5-2`);
    expect(bad.status).toBe(400);
    expect((await get(api, `/v1/runs/${runId}/rollouts?unknown=1`)).status).toBe(400);
    expect((await get(api, `/v1/runs/${runId}/rollouts?cursor=garbage`)).status).toBe(400);
    expect((await get(api, `/v1/runs/00000000-0000-4000-8000-000000000000/rollouts`)).status).toBe(404);
  });

  it('format=csv streams every matching rollout with a header line', async () => {
    const res = await get<string>(api, `/v1/runs/${runId}/rollouts?format=csv&steps=0-1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toContain(`${runId}-rollouts.csv`);
    const records = parse<Record<string, string>>(res.text, { columns: true });
    const expected = current.filter((r) => r.step <= 1);
    expect(records).toHaveLength(expected.length);
    expect(res.text.split('\r\n')[0]).toBe(
      'step,attempt,sample_key,example_id,label,p_yes,p_yes_extracted,parseable,brier_score,length_penalty,reward,reward_brier,approx_tokens,completion_chars,completion_tokens,parsed_answer,completion,created_at',
    );
    records.forEach((record, i) => {
      const row = expected[i]!;
      expect(record['sample_key']).toBe(row.sampleKey);
      expect(Number(record['p_yes'])).toBe(row.pYes);
      expect(record['completion']).toBe(row.completion);
      expect(record['parseable']).toBe(String(row.parseable));
    });
  });

  it('format=jsonl streams lines that can be ingested again as they are (same metrics)', async () => {
    const res = await get<string>(api, `/v1/runs/${runId}/rollouts?format=jsonl&include=prompt`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = res.text.trimEnd().split('\n');
    expect(lines).toHaveLength(current.length);
    const copy = await createRun(api);
    const again = await postRollouts(api, copy.id, res.text);
    expect(again.status).toBe(200);
    expect(await countRollouts(api, copy.id)).toBe(current.length);
    const metrics = await get<Parameters<typeof expectStepMetricsEqual>[0]>(
      api,
      `/v1/runs/${copy.id}/metrics`,
    );
    expectStepMetricsEqual(metrics.body, groupByStep(current, toScored));
  });

  it('an export larger than one cursor fetch, read slowly, arrives whole', async () => {
    const big = await createRun(api);
    const rows = makeRows({ steps: [0, 1, 2], perStep: 1024, seed: 17 });
    expect((await postRollouts(api, big.id, ndjson(rows.map((r) => toWire(r))))).status).toBe(200);
    const response = await fetch(`${api.url}/v1/runs/${big.id}/rollouts?format=jsonl&include=prompt`, {
      headers: api.authHeaders,
    });
    const reader = response.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = (await reader.read()) as { value?: Uint8Array; done: boolean };
      if (done) break;
      text += decoder.decode(value, { stream: true });
      await new Promise((resolve) => setTimeout(resolve, 1)); // a slow reader: backpressure
    }
    expect(text.trimEnd().split('\n')).toHaveLength(3072);
  });
});

describe('GET /v1/runs/{id}/metrics.csv', () => {
  it('one line per step with the metrics columns', async () => {
    const res = await get<string>(api, `/v1/runs/${runId}/metrics.csv`);
    expect(res.status).toBe(200);
    const records = parse<Record<string, string>>(res.text, { columns: true });
    expect(records.map((r) => Number(r['step']))).toEqual([0, 1, 2, 3]);
    const json = await get<Record<string, number | null>[]>(api, `/v1/runs/${runId}/metrics`);
    records.forEach((record, i) => {
      for (const [key, value] of Object.entries(json.body[i]!)) {
        expect(record[key], key).toBe(value === null ? '' : String(value));
      }
    });
    expect(Object.keys(records[0]!).slice(0, 10)).toEqual([
      'step',
      'n',
      'parse_rate',
      'reward',
      'brier',
      'ece',
      'ece_top_label',
      'mce',
      'accuracy',
      'mean_length',
    ]);
  });
});

describe('GET /v1/runs/{id}/samples', () => {
  it('random: n rows of the step, the same for the same seed', async () => {
    const a = await get<{ step: number; items: RolloutView[] }>(
      api,
      `/v1/runs/${runId}/samples?step=2&n=10&seed=abc`,
    );
    const b = await get<{ step: number; items: RolloutView[] }>(
      api,
      `/v1/runs/${runId}/samples?step=2&n=10&seed=abc`,
    );
    const c = await get<{ step: number; items: RolloutView[] }>(
      api,
      `/v1/runs/${runId}/samples?step=2&n=10&seed=xyz`,
    );
    expect(a.status).toBe(200);
    expect(a.body.items).toHaveLength(10);
    expect(a.body.items.every((r) => r.step === 2 && typeof r.prompt === 'string')).toBe(true);
    expect(a.body.items.map((r) => r.sample_key)).toEqual(b.body.items.map((r) => r.sample_key));
    expect(a.body.items.map((r) => r.sample_key)).not.toEqual(c.body.items.map((r) => r.sample_key));
    const latest = await get<{ step: number; items: RolloutView[] }>(api, `/v1/runs/${runId}/samples`);
    expect(latest.body.step).toBe(3);
  });

  it('parse_failures and confident_errors (most confident first)', async () => {
    const failures = await get<{ items: RolloutView[] }>(
      api,
      `/v1/runs/${runId}/samples?step=1&n=100&filter=parse_failures`,
    );
    const expectedFailures = current.filter((r) => r.step === 1 && r.parseable === false);
    expect(failures.body.items.map((r) => r.sample_key).sort()).toEqual(
      expectedFailures.map((r) => r.sampleKey).sort(),
    );

    const errors = await get<{ items: RolloutView[] }>(
      api,
      `/v1/runs/${runId}/samples?step=0&n=5&filter=confident_errors`,
    );
    const confidence = (p: number) => (p > 0.5 ? p : 1 - p);
    const wrong = current
      .filter((r) => r.step === 0 && r.parseable !== false && !isCorrect({ pYes: r.pYes, label: r.label }))
      .sort((x, y) => confidence(y.pYes) - confidence(x.pYes) || (x.sampleKey < y.sampleKey ? -1 : 1));
    expect(errors.body.items.map((r) => r.sample_key)).toEqual(wrong.slice(0, 5).map((r) => r.sampleKey));
    expect((await get(api, `/v1/runs/${runId}/samples?filter=nope`)).status).toBe(400);
    expect((await get(api, `/v1/runs/${runId}/samples?n=0`)).status).toBe(400);
  });
});

describe('GET /v1/runs/{id}/ensembles', () => {
  it("mean P(YES) per question over the steps, with the ensemble's Brier and ECE", async () => {
    const res = await get<{
      questions: number;
      rollouts: number;
      brier: number;
      ece: number;
      accuracy: number;
      items: { question: string; n: number; mean_p: number; label: number; brier: number }[];
      nextAfter: string | null;
    }>(api, `/v1/runs/${runId}/ensembles?steps=0-2`);
    expect(res.status).toBe(200);
    const rows = current.filter((r) => r.step <= 2);
    const byQuestion = new Map<string, RolloutRow[]>();
    for (const r of rows) byQuestion.set(r.exampleId!, [...(byQuestion.get(r.exampleId!) ?? []), r]);
    const ensembles = [...byQuestion.entries()]
      .map(([question, list]) => ({
        question,
        n: list.length,
        mean_p: list.reduce((s, r) => s + r.pYes, 0) / list.length,
        label: list[0]!.label,
      }))
      .sort((a, b) => (a.question < b.question ? -1 : 1));
    expect(res.body).toMatchObject({
      questions: ensembles.length,
      mixed_label_questions: 0,
      unidentified: 0,
    });
    expect(res.body.rollouts).toBe(rows.length);
    expect(res.body.items.map((q) => q.question)).toEqual(ensembles.map((q) => q.question));
    res.body.items.forEach((q, i) => {
      expect(q.n).toBe(ensembles[i]!.n);
      expect(Math.abs(q.mean_p - ensembles[i]!.mean_p)).toBeLessThan(1e-12);
    });
    const predictions = ensembles.map((q) => ({ pYes: q.mean_p, label: q.label }));
    const brier = predictions.reduce((s, p) => s + (p.pYes - p.label) ** 2, 0) / predictions.length;
    expect(Math.abs(res.body.brier - brier)).toBeLessThan(1e-9);
    expect(Math.abs(res.body.ece - positiveClassEce(predictions))).toBeLessThan(1e-9);
    expect(reliabilityBins(predictions).reduce((s, b) => s + b.count, 0)).toBe(ensembles.length);

    const page = await get<{ items: { question: string }[]; nextAfter: string | null }>(
      api,
      `/v1/runs/${runId}/ensembles?steps=0-2&limit=5`,
    );
    expect(page.body.items).toHaveLength(5);
    const next = await get<{ items: { question: string }[] }>(
      api,
      `/v1/runs/${runId}/ensembles?steps=0-2&limit=5&after=${encodeURIComponent(page.body.nextAfter!)}`,
    );
    expect(next.body.items.map((q) => q.question)).toEqual(ensembles.slice(5, 10).map((q) => q.question));
  });
});

describe('GET /v1/compare', () => {
  it('one metric of several runs, steps × runs', async () => {
    const other = await createRun(api);
    const rows = makeRows({ steps: [1, 2, 4], perStep: 32, seed: 99 });
    expect((await postRollouts(api, other.id, ndjson(rows.map((r) => toWire(r))))).status).toBe(200);
    const res = await get<{
      metric: string;
      runs: { id: string }[];
      steps: { step: number; values: Record<string, number | null> }[];
    }>(api, `/v1/compare?runs=${runId},${other.id}&metric=ece`);
    expect(res.status).toBe(200);
    expect(res.body.runs.map((r) => r.id)).toEqual([runId, other.id]);
    expect(res.body.steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4]);
    const mine = await get<{ step: number; ece: number }[]>(api, `/v1/runs/${runId}/metrics`);
    const theirs = await get<{ step: number; ece: number }[]>(api, `/v1/runs/${other.id}/metrics`);
    for (const row of res.body.steps) {
      expect(row.values[runId]).toBe(mine.body.find((m) => m.step === row.step)?.ece ?? null);
      expect(row.values[other.id]).toBe(theirs.body.find((m) => m.step === row.step)?.ece ?? null);
    }
    expect((await get(api, `/v1/compare?runs=${runId}&metric=nope`)).status).toBe(400);
    expect((await get(api, `/v1/compare?runs=not-a-uuid`)).status).toBe(400);
    expect((await get(api, `/v1/compare?runs=${runId},00000000-0000-4000-8000-000000000000`)).status).toBe(
      404,
    );
  });
});
