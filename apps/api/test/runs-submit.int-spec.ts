import { randomUUID } from 'node:crypto';

import { JOBS, RUN_JOB_VERSION, SPEC_VERSION, type RunJobData } from '@brier/contracts';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { allJobIds, authedRequest, openRunsQueue, SEED_SUBMIT, sql } from './support/runs-fixtures.js';
import { startTestApi, type TestApi } from './support/test-api.js';

interface RunBody {
  id: string;
  status: string;
  kind: string;
  name: string;
  description: string | null;
  preset: string | null;
  spec: Record<string, unknown>;
  specVersion: number;
  resources: { gpuCount: number; gpuType: string | null; labels: string[] };
  maxSteps: number | null;
}
interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | { path: string; message: string }[];
}

let api: TestApi;
let queue: Queue;

beforeAll(async () => {
  api = await startTestApi();
  queue = openRunsQueue(api);
});
afterAll(async () => {
  await queue?.close();
  await api?.close();
});

const runsUrl = (): string => `${api.url}/v1/runs`;
/** request() as the test API's admin. */
const request = <T = unknown>(target: string, init?: RequestInit & { json?: unknown }) =>
  authedRequest<T>(api.authHeaders, target, init);
const countRuns = async (): Promise<number> =>
  (await sql<{ n: number }>(api.db.url, 'SELECT count(*)::int AS n FROM runs'))[0]!.n;

describe('POST /v1/runs', () => {
  beforeEach(async () => {
    await sql(api.db.url, 'DELETE FROM runs');
    await queue.obliterate({ force: true });
  });

  it('queues the seed preset: 202, a committed row, exactly one job that carries only ids and versions', async () => {
    const response = await request<RunBody>(runsUrl(), { method: 'POST', json: SEED_SUBMIT });
    expect(response.status).toBe(202);
    const run = response.body;
    expect(run).toMatchObject({
      status: 'queued',
      kind: 'train',
      name: 'seed-gemma2-2b-boolq',
      preset: 'seed-gemma2-2b-boolq',
      specVersion: SPEC_VERSION,
      resources: { gpuCount: 2, gpuType: null, labels: [] },
      maxSteps: 50,
      spec: { model: 'google/gemma-2-2b-it', batchSize: 1024, rolloutsPerExample: 8, maxSteps: 50 },
    });
    expect(run).not.toHaveProperty('leaseToken');
    expect(run).not.toHaveProperty('idempotencyKey');

    const rows = await sql<{ id: string; status: string; preset: string }>(
      api.db.url,
      'SELECT id, status, preset FROM runs',
    );
    expect(rows).toEqual([{ id: run.id, status: 'queued', preset: 'seed-gemma2-2b-boolq' }]);

    expect(await allJobIds(queue)).toEqual([`run-${run.id}`]);
    const job = (await queue.getJob(`run-${run.id}`))!;
    expect(job.name).toBe(JOBS.trainRun);
    expect(job.data).toEqual({
      runId: run.id,
      specVersion: SPEC_VERSION,
      jobVersion: RUN_JOB_VERSION,
      // The version only an agent driving it may run (config keys change between versions).
      resources: { gpuCount: 2, gpuType: null, labels: [], primeRlVersion: 'v0.4.0' },
    });
    // Nothing of the spec, nothing secret-like.
    expect(JSON.stringify(job.data)).not.toMatch(
      /token|secret|password|api_?key|hf_|wandb|model|gemma|prompt/i,
    );
    expect(job.opts).toMatchObject({
      attempts: 3,
      backoff: { type: 'exponential', delay: 10_000, jitter: 0.5 },
      removeOnComplete: { age: 86_400, count: 1000 },
      removeOnFail: { age: 14 * 86_400 },
    });
  });

  it('returns the same run for the same Idempotency-Key, also under concurrency: one row, one job', async () => {
    const key = `submit-${randomUUID()}`;
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        request<RunBody>(runsUrl(), {
          method: 'POST',
          json: SEED_SUBMIT,
          headers: { 'Idempotency-Key': key },
        }),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 202]);
    const ids = new Set(responses.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(await countRuns()).toBe(1);
    expect(await allJobIds(queue)).toEqual([`run-${id}`]);

    const again = await request<RunBody>(runsUrl(), {
      method: 'POST',
      json: SEED_SUBMIT,
      headers: { 'Idempotency-Key': key },
    });
    expect(again).toMatchObject({ status: 200, body: { id, status: 'queued' } });

    // The same key for a different request is a client bug, not a new run.
    const different = await request<ErrorBody & { runId: string }>(runsUrl(), {
      method: 'POST',
      json: { ...SEED_SUBMIT, name: 'another name' },
      headers: { 'Idempotency-Key': key },
    });
    expect(different.status).toBe(422);
    expect(different.body.runId).toBe(id);
    expect(await countRuns()).toBe(1);
    expect(await allJobIds(queue)).toEqual([`run-${id}`]);
  });

  it('stores the description, returns it on submit, read and list, and documents it in the RunDto schema', async () => {
    const description = 'Seed rerun after the prompt fix: does ECE still fall by step 30? Ünïcödé, 🎯.';
    const key = `described-${randomUUID()}`;
    const submit = (json: unknown): Promise<{ status: number; body: RunBody }> =>
      request<RunBody>(runsUrl(), { method: 'POST', json, headers: { 'Idempotency-Key': key } });
    const response = await submit({ ...SEED_SUBMIT, description });
    expect(response.status).toBe(202);
    expect(response.body.description).toBe(description);
    const id = response.body.id;
    expect(await sql(api.db.url, 'SELECT description FROM runs WHERE id = $1', [id])).toEqual([
      { description },
    ]);
    expect((await request<RunBody>(`${runsUrl()}/${id}`)).body.description).toBe(description);
    const list = await request<{ items: RunBody[] }>(runsUrl());
    expect(list.body.items.find((run) => run.id === id)?.description).toBe(description);

    // The description is part of the request an Idempotency-Key stands for.
    expect((await submit({ ...SEED_SUBMIT, description })).status).toBe(200);
    expect((await submit({ ...SEED_SUBMIT, description: 'another text' })).status).toBe(422);
    expect((await submit(SEED_SUBMIT)).status).toBe(422);

    const plain = await request<RunBody>(runsUrl(), { method: 'POST', json: SEED_SUBMIT });
    expect(plain.status).toBe(202);
    expect(plain.body.description).toBeNull();

    const doc = await request<{ components: { schemas: Record<string, { properties: object }> } }>(
      `${api.url}/docs/json`,
    );
    expect(doc.body.components.schemas['RunDto']?.properties).toHaveProperty('description', {
      type: 'string',
      nullable: true,
      description: 'Free text for people, as submitted.',
    });
  });

  it('merges a request over its preset, the request winning field by field', async () => {
    const response = await request<RunBody>(runsUrl(), {
      method: 'POST',
      json: {
        ...SEED_SUBMIT,
        name: 'shorter seed',
        spec: { maxSteps: 10 },
        resources: { gpuCount: 2, labels: ['a100'] },
      },
    });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({
      name: 'shorter seed',
      maxSteps: 10,
      resources: { gpuCount: 2, labels: ['a100'] },
      spec: { maxSteps: 10, batchSize: 1024, promptTemplate: 'boolq-passage-v1' },
    });
    const job = (await queue.getJob(`run-${response.body.id}`))!;
    expect((job.data as RunJobData).resources).toEqual({
      gpuCount: 2,
      gpuType: null,
      labels: ['a100'],
      primeRlVersion: 'v0.4.0',
    });
  });

  it('queues an eval run as a run.eval job', async () => {
    const response = await request<RunBody>(runsUrl(), {
      method: 'POST',
      json: { preset: 'eval-boolq-validation', kind: 'eval', resources: { gpuCount: 1 } },
    });
    expect(response.status).toBe(202);
    expect((await queue.getJob(`run-${response.body.id}`))!.name).toBe(JOBS.evalRun);
  });

  describe('rejects bad input with field messages, and stores and enqueues nothing', () => {
    const seedSpec = (spec: Record<string, unknown>): Record<string, unknown> => ({ ...SEED_SUBMIT, spec });
    const cases: { name: string; body: unknown; status: number; path?: string; match?: RegExp }[] = [
      { name: 'an unknown field', body: { ...SEED_SUBMIT, gpus: 2 }, status: 400, path: 'gpus' },
      { name: 'an unknown nested field', body: seedSpec({ lr: 0.1 }), status: 400, path: 'spec.lr' },
      { name: 'a wrong type', body: seedSpec({ maxSteps: '50' }), status: 400, path: 'spec.maxSteps' },
      {
        name: 'a negative gpuCount',
        body: { ...SEED_SUBMIT, resources: { gpuCount: -1 } },
        status: 400,
        path: 'resources.gpuCount',
      },
      {
        name: 'a batch not divisible by rolloutsPerExample',
        body: seedSpec({ batchSize: 1020 }),
        status: 400,
        path: 'spec.batchSize',
        match: /divisible by rolloutsPerExample/,
      },
      { name: 'maxSteps 1e9', body: seedSpec({ maxSteps: 1e9 }), status: 400, path: 'spec.maxSteps' },
      {
        name: 'an unknown preset',
        body: { ...SEED_SUBMIT, preset: 'no-such-preset' },
        status: 400,
        path: 'preset',
        match: /does not exist/,
      },
      {
        name: 'a kind that contradicts the preset',
        body: { ...SEED_SUBMIT, kind: 'eval' },
        status: 400,
        path: 'kind',
      },
      { name: 'a missing everything', body: {}, status: 400, path: 'kind' },
      { name: 'an array body', body: [SEED_SUBMIT], status: 400, path: '' },
      {
        name: 'an import run (created by POST /v1/imports)',
        body: { kind: 'import', name: 'x', resources: { gpuCount: 0 }, spec: {} },
        status: 400,
        path: 'kind',
        match: /\/v1\/imports/,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const response = await request<ErrorBody>(runsUrl(), { method: 'POST', json: c.body });
        expect(response.status).toBe(c.status);
        expect(response.body).toMatchObject({ statusCode: c.status, error: 'Bad Request' });
        const messages = response.body.message as { path: string; message: string }[];
        expect(Array.isArray(messages)).toBe(true);
        const hit = messages.find((m) => m.path === c.path);
        expect(hit, JSON.stringify(messages)).toBeDefined();
        if (c.match) expect(hit!.message).toMatch(c.match);
        expect(JSON.stringify(response.body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack
        expect(await countRuns()).toBe(0);
        expect(await allJobIds(queue)).toEqual([]);
      });
    }

    it('malformed JSON: 400 naming the body', async () => {
      const response = await request<ErrorBody>(runsUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"kind": "train", "preset": ',
      });
      expect(response.status).toBe(400);
      expect(response.body.message).toEqual([
        { path: '', message: expect.stringMatching(/not valid JSON/) as unknown },
      ]);
      expect(await countRuns()).toBe(0);
    });

    it('a wrong content type: 415', async () => {
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
      ]) {
        const response = await request<ErrorBody>(runsUrl(), {
          method: 'POST',
          headers: { 'content-type': type },
          body: JSON.stringify(SEED_SUBMIT),
        });
        expect(response.status, type).toBe(415);
        expect(response.body.message).toMatch(/application\/json/);
      }
      expect(await countRuns()).toBe(0);
      expect(await allJobIds(queue)).toEqual([]);
    });

    it('a 2 MB body: 413, with and without a Content-Length', async () => {
      const big = JSON.stringify({ ...SEED_SUBMIT, description: 'x'.repeat(2 * 1024 * 1024) });
      const declared = await request<ErrorBody>(runsUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: big,
      });
      expect(declared.status).toBe(413);
      expect(declared.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
      expect(declared.body.message).toMatch(/1 MiB/);
      const chunked = await request<ErrorBody>(runsUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new Blob([big]).stream(),
        duplex: 'half',
      });
      expect(chunked.status).toBe(413);
      expect(await countRuns()).toBe(0);
      expect(await allJobIds(queue)).toEqual([]);
    });

    it('a malformed Idempotency-Key: 400', async () => {
      const response = await request<ErrorBody>(runsUrl(), {
        method: 'POST',
        json: SEED_SUBMIT,
        headers: { 'Idempotency-Key': 'k'.repeat(201) },
      });
      expect(response.status).toBe(400);
      expect(response.body.message).toEqual([
        { path: 'Idempotency-Key', message: expect.stringMatching(/1 to 200/) as unknown },
      ]);
      expect(await countRuns()).toBe(0);
    });
  });
});
