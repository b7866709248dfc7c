import { randomUUID } from 'node:crypto';

import { QUEUES, SPEC_VERSION } from '@brier/contracts';
import { RunRepository } from '@brier/database';
import { UnrecoverableError, Worker, type Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  allJobIds,
  authedRequest,
  openRunsQueue,
  SEED_SUBMIT,
  sql,
  waitFor,
} from './support/runs-fixtures.js';
import { startTestApi, TEST_REDIS_URL, type TestApi } from './support/test-api.js';

interface RunBody {
  id: string;
  status: string;
  name: string;
  kind: string;
  preset: string | null;
  attempt: number;
  cancelRequestedAt: string | null;
  exitCode: number | null;
  error: unknown;
}
interface ErrorBody {
  statusCode: number;
  error: string;
  message: unknown;
  status?: string;
  runId?: string;
}
interface EventBody {
  id: string;
  type: string;
  fromStatus: string | null;
  toStatus: string | null;
  actor: string;
  reason: string | null;
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

const url = (path: string): string => `${api.url}/v1/runs${path}`;
/** request() as the test API's admin. */
const request = <T = unknown>(target: string, init?: RequestInit & { json?: unknown }) =>
  authedRequest<T>(api.authHeaders, target, init);

async function submit(body: Record<string, unknown> = SEED_SUBMIT): Promise<RunBody> {
  const response = await request<RunBody>(url(''), { method: 'POST', json: body });
  expect(response.status).toBe(202);
  return response.body;
}

/** What an agent's claim and finish would do, written directly. */
async function setStatus(id: string, status: string, extra = ''): Promise<void> {
  await sql(
    api.db.url,
    `UPDATE runs SET status = $2, lease_token = CASE WHEN $2 = 'running' THEN gen_random_uuid() ELSE lease_token END,
            attempt = CASE WHEN $2 = 'running' THEN attempt + 1 ELSE attempt END ${extra}
     WHERE id = $1`,
    [id, status],
  );
}

async function events(id: string): Promise<EventBody[]> {
  const response = await request<{ items: EventBody[]; nextAfter: string | null }>(url(`/${id}/events`));
  expect(response.status).toBe(200);
  return response.body.items;
}

async function jobState(id: string): Promise<string> {
  return queue.getJobState(`run-${id}`);
}

describe('GET /v1/runs/{id}', () => {
  it('answers the run, 404 for an unknown id and 400 for a malformed one', async () => {
    const run = await submit();
    expect(await request(url(`/${run.id}`))).toMatchObject({
      status: 200,
      body: { id: run.id, status: 'queued' },
    });
    const unknown = randomUUID();
    expect(await request(url(`/${unknown}`))).toMatchObject({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: `run ${unknown} not found` },
    });
    expect(await request(url('/not-a-uuid'))).toMatchObject({
      status: 400,
      body: { statusCode: 400, message: [{ path: 'id', message: 'id must be a UUID' }] },
    });
    for (const path of ['/not-a-uuid/cancel', '/not-a-uuid/retry']) {
      expect((await request(url(path), { method: 'POST' })).status).toBe(400);
    }
    expect((await request(url('/x'), { method: 'DELETE' })).status).toBe(400);
    for (const sub of ['attempts', 'events', 'checkpoints']) {
      expect((await request(url(`/${unknown}/${sub}`))).status).toBe(404);
      expect((await request(url(`/nope/${sub}`))).status).toBe(400);
    }
  });
});

describe('POST /v1/runs/{id}/cancel', () => {
  it('cancels a queued run at once and removes its job', async () => {
    const run = await submit();
    expect(await jobState(run.id)).toBe('waiting');
    const response = await request<RunBody>(url(`/${run.id}/cancel`), { method: 'POST' });
    expect(response).toMatchObject({ status: 200, body: { id: run.id, status: 'cancelled' } });
    expect(await jobState(run.id)).toBe('unknown');
    expect((await events(run.id)).map((e) => [e.type, e.fromStatus, e.toStatus, e.actor])).toEqual([
      ['created', null, 'queued', 'test-admin'],
      ['status', 'queued', 'cancelled', 'api'],
    ]);
    // Finished: 409 naming the status.
    const again = await request<ErrorBody>(url(`/${run.id}/cancel`), { method: 'POST' });
    expect(again).toMatchObject({
      status: 409,
      body: { statusCode: 409, status: 'cancelled', runId: run.id },
    });
  });

  it('asks the agent of a running run to stop it: 202, cancel_requested_at, one cancel-requested event', async () => {
    const run = await submit();
    await setStatus(run.id, 'running');
    const first = await request<RunBody>(url(`/${run.id}/cancel`), { method: 'POST' });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: 'running' });
    expect(first.body.cancelRequestedAt).toEqual(expect.any(String));
    const second = await request<RunBody>(url(`/${run.id}/cancel`), { method: 'POST' });
    expect(second).toMatchObject({ status: 202, body: { cancelRequestedAt: first.body.cancelRequestedAt } });
    const cancelEvents = (await events(run.id)).filter((e) => e.type === 'cancel-requested');
    expect(cancelEvents).toHaveLength(1);
    expect(cancelEvents[0]).toMatchObject({ actor: 'api', fromStatus: 'running', toStatus: 'running' });
  });

  it('cancels a lost run at once, and refuses finished ones', async () => {
    const lost = await submit();
    await setStatus(lost.id, 'lost');
    expect(await request(url(`/${lost.id}/cancel`), { method: 'POST' })).toMatchObject({
      status: 200,
      body: { status: 'cancelled' },
    });
    for (const status of ['succeeded', 'failed']) {
      const run = await submit();
      await setStatus(run.id, status);
      expect(await request(url(`/${run.id}/cancel`), { method: 'POST' })).toMatchObject({
        status: 409,
        body: { status, runId: run.id },
      });
    }
  });
});

describe('POST /v1/runs/{id}/retry', () => {
  it('re-queues a failed run whose job failed: the old job is replaced by a fresh one with the same id', async () => {
    const run = await submit();
    // An agent fails the job for good.
    const worker = new Worker(
      QUEUES.runs,
      () => {
        throw new UnrecoverableError('bad payload');
      },
      { prefix: api.queuePrefix, connection: { url: TEST_REDIS_URL } },
    );
    try {
      await waitFor(async () => (await jobState(run.id)) === 'failed', { what: 'the job to fail' });
    } finally {
      await worker.close();
    }
    await setStatus(run.id, 'failed', `, exit_code = 1, error = '{"message": "boom"}'`);

    const response = await request<RunBody>(url(`/${run.id}/retry`), { method: 'POST' });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ id: run.id, status: 'queued', exitCode: null, error: null });
    expect(await jobState(run.id)).toBe('waiting');
    expect(await allJobIds(queue)).toContain(`run-${run.id}`);
    const last = (await events(run.id)).at(-1)!;
    expect(last).toMatchObject({
      type: 'status',
      fromStatus: 'failed',
      toStatus: 'queued',
      reason: 'retry requested',
    });
  });

  it('clears a cancel request, so the retried run can be claimed', async () => {
    const run = await submit();
    await setStatus(run.id, 'running');
    expect((await request(url(`/${run.id}/cancel`), { method: 'POST' })).status).toBe(202);
    await setStatus(run.id, 'cancelled'); // the agent stopped it
    const retried = await request<RunBody>(url(`/${run.id}/retry`), { method: 'POST' });
    expect(retried).toMatchObject({
      status: 202,
      body: { status: 'queued', cancelRequestedAt: null, attempt: 1 },
    });
  });

  it('re-queues a lost run; refuses queued, running and succeeded ones with 409', async () => {
    const lost = await submit();
    await setStatus(lost.id, 'lost');
    expect((await request(url(`/${lost.id}/retry`), { method: 'POST' })).status).toBe(202);
    for (const status of ['queued', 'running', 'succeeded']) {
      const run = await submit();
      if (status !== 'queued') await setStatus(run.id, status);
      expect(await request(url(`/${run.id}/retry`), { method: 'POST' })).toMatchObject({
        status: 409,
        body: { status, runId: run.id },
      });
    }
    expect((await request(url(`/${randomUUID()}/retry`), { method: 'POST' })).status).toBe(404);
  });

  it('refuses a failed import run with 409: no agent processes imports, so it gets no job', async () => {
    const { run } = await api.app.get(RunRepository).create({
      kind: 'import',
      name: 'failed import',
      spec: { source: 'upload', batchSize: 8 },
      specVersion: SPEC_VERSION,
      gpuCount: 0,
    });
    await setStatus(run.id, 'failed');
    const response = await request<{ message: string; status: string }>(url(`/${run.id}/retry`), {
      method: 'POST',
    });
    expect(response).toMatchObject({ status: 409, body: { status: 'failed', runId: run.id } });
    expect(response.body.message).toMatch(/POST \/v1\/imports/);
    expect((await request<RunBody>(url(`/${run.id}`))).body.status).toBe('failed');
    expect(await jobState(run.id)).toBe('unknown');
  });
});

describe('DELETE /v1/runs/{id}', () => {
  it('deletes a finished run with its rows; refuses an unfinished one without force', async () => {
    const run = await submit();
    await sql(
      api.db.url,
      `INSERT INTO checkpoints (run_id, attempt, step, kind, path, complete) VALUES ($1, 1, 10, 'weights', 'ckpt/step-10', true)`,
      [run.id],
    );
    expect(await request(url(`/${run.id}`), { method: 'DELETE' })).toMatchObject({
      status: 409,
      body: { status: 'queued', message: expect.stringMatching(/force=true/) as unknown },
    });
    await setStatus(run.id, 'succeeded');
    const deleted = await request(url(`/${run.id}`), { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await request(url(`/${run.id}`))).status).toBe(404);
    expect((await request(url(`/${run.id}`), { method: 'DELETE' })).status).toBe(404);
    expect(await sql(api.db.url, 'SELECT 1 FROM run_events WHERE run_id = $1', [run.id])).toEqual([]);
    expect(await sql(api.db.url, 'SELECT 1 FROM checkpoints WHERE run_id = $1', [run.id])).toEqual([]);
    expect(await jobState(run.id)).toBe('unknown');
  });

  it('with force=true cancels a queued or running run first, and removes its job', async () => {
    for (const status of ['queued', 'running']) {
      const run = await submit();
      if (status === 'running') await setStatus(run.id, 'running');
      expect((await request(url(`/${run.id}?force=true`), { method: 'DELETE' })).status).toBe(204);
      expect(await sql(api.db.url, 'SELECT 1 FROM runs WHERE id = $1', [run.id])).toEqual([]);
      if (status === 'queued') expect(await jobState(run.id)).toBe('unknown');
    }
    const run = await submit();
    expect(await request(url(`/${run.id}?force=maybe`), { method: 'DELETE' })).toMatchObject({
      status: 400,
      body: { message: [{ path: 'force', message: expect.any(String) as unknown }] },
    });
  });
});

describe("a run's attempts, events and checkpoints", () => {
  it('lists them in order, without lease tokens, events in pages', async () => {
    const run = await submit();
    await setStatus(run.id, 'running');
    await sql(
      api.db.url,
      `INSERT INTO run_attempts (run_id, number, lease_token, status, exit_code) VALUES ($1, 1, gen_random_uuid(), 'failed', 1)`,
      [run.id],
    );
    await sql(
      api.db.url,
      `INSERT INTO checkpoints (run_id, attempt, step, kind, path, complete)
       VALUES ($1, 1, 20, 'weights', 'c/20', false), ($1, 1, 10, 'weights', 'c/10', true)`,
      [run.id],
    );
    expect((await request(url(`/${run.id}/cancel`), { method: 'POST' })).status).toBe(202);

    const attempts = await request<Record<string, unknown>[]>(url(`/${run.id}/attempts`));
    expect(attempts.status).toBe(200);
    expect(attempts.body).toEqual([expect.objectContaining({ number: 1, status: 'failed', exitCode: 1 })]);
    expect(attempts.body[0]).not.toHaveProperty('leaseToken');

    const checkpoints = await request<{ step: number; complete: boolean }[]>(url(`/${run.id}/checkpoints`));
    expect(checkpoints.body.map((c) => [c.step, c.complete])).toEqual([
      [10, true],
      [20, false],
    ]);

    const all = await events(run.id);
    expect(all.map((e) => e.type)).toEqual(['created', 'cancel-requested']);
    const first = await request<{ items: EventBody[]; nextAfter: string | null }>(
      url(`/${run.id}/events?limit=1`),
    );
    expect(first.body.items.map((e) => e.type)).toEqual(['created']);
    expect(first.body.nextAfter).toBe(all[0]!.id);
    const second = await request<{ items: EventBody[]; nextAfter: string | null }>(
      url(`/${run.id}/events?limit=1&after=${first.body.nextAfter}`),
    );
    expect(second.body).toEqual({ items: [all[1]], nextAfter: null });
    expect((await request(url(`/${run.id}/events?after=abc`))).status).toBe(400);
  });
});

describe('GET /v1/runs', () => {
  it('filters by status, kind, name and preset, newest first, in cursor pages', async () => {
    await sql(api.db.url, 'DELETE FROM runs');
    const tag = randomUUID().slice(0, 8);
    const made: RunBody[] = [];
    for (let i = 0; i < 5; i++) made.push(await submit({ ...SEED_SUBMIT, name: `seed ${tag} ${i}` }));
    const evalRun = await submit({
      preset: 'eval-boolq-validation',
      kind: 'eval',
      resources: { gpuCount: 1 },
    });
    const custom = await submit({
      kind: 'train',
      name: `custom ${tag}_100`,
      resources: { gpuCount: 1 },
      spec: { model: 'google/gemma-2-2b-it', maxSteps: 5 },
    });
    await setStatus(made[1]!.id, 'failed');
    const newestFirst = [custom, evalRun, ...[...made].reverse()].map((r) => r.id);

    const list = async (
      query: string,
    ): Promise<{ ids: string[]; nextCursor: string | null; status: number }> => {
      const response = await request<{ items: RunBody[]; nextCursor: string | null }>(url(`?${query}`));
      return {
        status: response.status,
        ids: response.body.items?.map((r) => r.id) ?? [],
        nextCursor: response.body.nextCursor ?? null,
      };
    };
    expect((await list('')).ids).toEqual(newestFirst);

    const pages: string[] = [];
    let cursor: string | null = null;
    let count = 0;
    do {
      const page = await list(`limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      pages.push(...page.ids);
      cursor = page.nextCursor;
      count += 1;
    } while (cursor && count < 10);
    expect(pages).toEqual(newestFirst);
    expect(count).toBe(3);

    expect((await list('kind=eval')).ids).toEqual([evalRun.id]);
    expect((await list('status=failed')).ids).toEqual([made[1]!.id]);
    expect((await list('status=failed,queued&kind=train')).ids).toEqual(
      newestFirst.filter((id) => id !== evalRun.id),
    );
    expect((await list('status=failed&status=queued&kind=eval')).ids).toEqual([evalRun.id]);
    expect((await list('preset=seed-gemma2-2b-boolq')).ids).toEqual([...made].reverse().map((r) => r.id));
    expect((await list(`name=${encodeURIComponent(`SEED ${tag} 3`)}`)).ids).toEqual([made[3]!.id]);
    // LIKE wildcards in the search are literal.
    expect((await list(`name=${encodeURIComponent('_')}`)).ids).toEqual([custom.id]);
    expect((await list(`name=${encodeURIComponent('%')}`)).ids).toEqual([]);

    const bad = async (query: string, path: string): Promise<void> => {
      const response = await request<ErrorBody>(url(`?${query}`));
      expect(response.status, query).toBe(400);
      expect(response.body.message, query).toEqual(
        expect.arrayContaining([expect.objectContaining({ path })]),
      );
    };
    await bad('limit=201', 'limit');
    await bad('limit=0', 'limit');
    await bad('limit=ten', 'limit');
    await bad('status=done', 'status');
    await bad('kind=train,nope', 'kind');
    await bad('cursor=garbage', 'cursor');
    await bad('sort=name', 'sort');
    expect((await list('limit=200')).status).toBe(200);
  });
});
