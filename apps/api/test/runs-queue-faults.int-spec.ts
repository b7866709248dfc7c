import { randomUUID } from 'node:crypto';

import { QUEUES } from '@brier/contracts';
import { validateConfig } from '@brier/config';
import { createTestDatabase, type TestDatabase } from '@brier/database/testing';
import { NestFactory } from '@nestjs/core';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';

import { AppModule } from '../src/app.module.js';
import { ApiConfig } from '../src/config/api.config.js';
import { configureApp } from '../src/configure-app.js';
import {
  allJobIds,
  freePort,
  openRunsQueue,
  request,
  SEED_SUBMIT,
  sql,
  startOwnRedis,
  waitFor,
  type OwnRedis,
} from './support/runs-fixtures.js';
import { deleteKeys, startTestApi, TEST_REDIS_URL, type TestApi } from './support/test-api.js';

interface RunBody {
  id: string;
  status: string;
  error: { message: string; source: string } | null;
}
interface QueueSummary {
  queue: string;
  counts: Record<string, number>;
  reconciled_total: number;
  last_pass: { checked: number; requeued: number; failed: number; skipped?: string } | null;
}
interface ErrorBody {
  statusCode: number;
  message: string;
  runId?: string;
  run?: RunBody;
}

/** Everything a test started, stopped afterwards in reverse order. */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  return db;
}

/** A test API, closed after the test (or before, by the test: closing twice is a no-op). */
async function api(env: Record<string, string>, db?: TestDatabase): Promise<TestApi> {
  const started = await startTestApi(env, db);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= started.close());
  cleanups.push(close);
  return { ...started, close };
}

async function summary(base: TestApi): Promise<QueueSummary> {
  const response = await request<QueueSummary>(`${base.url}/v1/admin/queue`, { headers: base.authHeaders });
  expect(response.status).toBe(200);
  return response.body;
}

async function runStatus(base: TestApi, id: string): Promise<RunBody> {
  return (await request<RunBody>(`${base.url}/v1/runs/${id}`, { headers: base.authHeaders })).body;
}

describe('Redis down during submit', () => {
  it('answers 503 within 2 s with the run, keeps it queued, and the next API enqueues it exactly once', async () => {
    const db = await database();
    const down = await api({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` }, db);
    const key = `down-${randomUUID()}`;
    const first = await request<ErrorBody>(`${down.url}/v1/runs`, {
      method: 'POST',
      json: SEED_SUBMIT,
      headers: { ...down.authHeaders, 'Idempotency-Key': key },
    });
    expect(first.status).toBe(503);
    expect(first.ms).toBeLessThan(2_000);
    expect(first.headers.get('retry-after')).toBe('5');
    expect(first.body.runId).toEqual(expect.any(String));
    expect(first.body.run).toMatchObject({ id: first.body.runId, status: 'queued' });
    expect(first.body.message).toMatch(/queued/);
    const runId = first.body.runId!;

    // A repeat with the same key: the same run, still answered 503 while Redis is down.
    const repeat = await request<ErrorBody>(`${down.url}/v1/runs`, {
      method: 'POST',
      json: SEED_SUBMIT,
      headers: { ...down.authHeaders, 'Idempotency-Key': key },
    });
    expect(repeat).toMatchObject({ status: 503, body: { runId } });
    expect(repeat.ms).toBeLessThan(2_000);
    expect(await sql(db.url, 'SELECT id, status FROM runs')).toEqual([{ id: runId, status: 'queued' }]);
    // Other queue routes fail fast too.
    const admin = await request(`${down.url}/v1/admin/queue`, { headers: down.authHeaders });
    expect(admin.status).toBe(503);
    expect(admin.ms).toBeLessThan(2_000);
    await down.close();

    // Redis is back (a working one), same database: the boot pass enqueues the run, once.
    const up = await api({ RECONCILE_GRACE_MS: '0' }, db);
    const queue = openRunsQueue(up);
    cleanups.push(() => queue.close());
    await waitFor(async () => (await allJobIds(queue)).length > 0, { what: 'the reconciler to enqueue' });
    expect(await allJobIds(queue)).toEqual([`run-${runId}`]);
    expect((await queue.getJob(`run-${runId}`))!.data).toMatchObject({ runId });
    expect((await summary(up)).reconciled_total).toBe(1);

    // Further passes find the job and leave it alone.
    const pass = await request<{ checked: number; requeued: number }>(`${up.url}/v1/admin/queue/reconcile`, {
      headers: up.authHeaders,
      method: 'POST',
    });
    expect(pass.body).toMatchObject({ checked: 1, requeued: 0 });
    expect(await allJobIds(queue)).toEqual([`run-${runId}`]);
    expect((await summary(up)).reconciled_total).toBe(1);
    const events = await sql<{ type: string; actor: string }>(
      db.url,
      `SELECT type, actor FROM run_events WHERE run_id = $1 ORDER BY id`,
      [runId],
    );
    expect(events).toEqual([
      { type: 'created', actor: 'test-admin' },
      { type: 'requeued', actor: 'reconciler' },
    ]);
  });

  it('fails fast while Redis is stopped, and re-enqueues everything Redis lost once it is back', async () => {
    const redis: OwnRedis = await startOwnRedis();
    cleanups.push(() => redis.stop());
    const base = await api({ REDIS_URL: redis.url, RECONCILE_INTERVAL_MS: '200', RECONCILE_GRACE_MS: '300' });
    const before = await request<RunBody>(`${base.url}/v1/runs`, {
      headers: base.authHeaders,
      method: 'POST',
      json: SEED_SUBMIT,
    });
    expect(before.status).toBe(202);

    await redis.stop();
    const during = await request<ErrorBody>(`${base.url}/v1/runs`, {
      headers: base.authHeaders,
      method: 'POST',
      json: SEED_SUBMIT,
    });
    expect(during.status).toBe(503);
    expect(during.ms).toBeLessThan(2_000);
    expect((await request(`${base.url}/health`, { headers: base.authHeaders })).status).toBe(503);

    // Restarted without persistence: the first run's job is gone too.
    const again = await startOwnRedis([], redis.port);
    cleanups.push(() => again.stop());
    cleanups.push(() => deleteKeys(again.url, `${base.queuePrefix}:*`));
    const queue = openRunsQueue(base, again.url);
    cleanups.push(() => queue.close());
    const expected = [`run-${before.body.id}`, `run-${during.body.runId}`].sort();
    await waitFor(async () => (await allJobIds(queue)).length === 2, {
      timeoutMs: 25_000,
      intervalMs: 100,
      what: 'both jobs to be re-enqueued',
    });
    expect(await allJobIds(queue)).toEqual(expected);
    expect((await summary(base)).reconciled_total).toBe(2);
    // And submits work again.
    expect(
      (await request(`${base.url}/v1/runs`, { headers: base.authHeaders, method: 'POST', json: SEED_SUBMIT }))
        .status,
    ).toBe(202);
  });
});

describe('the reconciler', () => {
  it('re-adds a job deleted from Redis behind the API, with the same id and payload', async () => {
    const base = await api({ RECONCILE_INTERVAL_MS: '200', RECONCILE_GRACE_MS: '300' });
    const queue = openRunsQueue(base);
    cleanups.push(() => queue.close());
    const run = (
      await request<RunBody>(`${base.url}/v1/runs`, {
        headers: base.authHeaders,
        method: 'POST',
        json: SEED_SUBMIT,
      })
    ).body;
    const jobId = `run-${run.id}`;
    const original = (await queue.getJob(jobId))!.data as unknown;
    // Several passes see the job in place and do nothing.
    await waitFor(async () => ((await summary(base)).last_pass?.checked ?? 0) >= 1, {
      what: 'a pass that sees the run',
    });
    expect((await summary(base)).reconciled_total).toBe(0);

    expect(await queue.remove(jobId)).toBe(1);
    expect(await allJobIds(queue)).toEqual([]);
    await waitFor(async () => (await allJobIds(queue)).length === 1, { what: 'the job to come back' });
    expect(await allJobIds(queue)).toEqual([jobId]);
    expect((await queue.getJob(jobId))!.data).toEqual(original);
    const status = await summary(base);
    expect(status.reconciled_total).toBe(1);
    expect(status.counts).toMatchObject({ waiting: 1 });
  });

  it('leaves cancelled runs alone and does not re-add their jobs', async () => {
    const base = await api({ RECONCILE_INTERVAL_MS: '100', RECONCILE_GRACE_MS: '0' });
    const queue = openRunsQueue(base);
    cleanups.push(() => queue.close());
    const run = (
      await request<RunBody>(`${base.url}/v1/runs`, {
        headers: base.authHeaders,
        method: 'POST',
        json: SEED_SUBMIT,
      })
    ).body;
    expect(
      (await request(`${base.url}/v1/runs/${run.id}/cancel`, { headers: base.authHeaders, method: 'POST' }))
        .status,
    ).toBe(200);
    await request(`${base.url}/v1/admin/queue/reconcile`, { headers: base.authHeaders, method: 'POST' });
    await request(`${base.url}/v1/admin/queue/reconcile`, { headers: base.authHeaders, method: 'POST' });
    expect(await allJobIds(queue)).toEqual([]);
    expect((await summary(base)).reconciled_total).toBe(0);
  });

  it('re-adds a job that failed while its run stayed queued, a bounded number of times, then fails the run', async () => {
    const base = await api({ RECONCILE_INTERVAL_MS: '100', RECONCILE_GRACE_MS: '0' });
    const run = (
      await request<RunBody>(`${base.url}/v1/runs`, {
        headers: base.authHeaders,
        method: 'POST',
        json: SEED_SUBMIT,
      })
    ).body;
    let deliveries = 0;
    const worker = new Worker(
      QUEUES.runs,
      () => {
        deliveries += 1;
        throw new UnrecoverableError('invalid payload: jobVersion 1 unknown');
      },
      { prefix: base.queuePrefix, connection: { url: TEST_REDIS_URL } },
    );
    cleanups.push(() => worker.close());
    const failed = await waitFor(
      async () => {
        const now = await runStatus(base, run.id);
        return now.status === 'failed' ? now : undefined;
      },
      { timeoutMs: 15_000, what: 'the run to be failed' },
    );
    expect(deliveries).toBe(4); // the first delivery and 3 re-adds
    expect(failed.error).toMatchObject({
      source: 'queue',
      message: expect.stringMatching(/invalid payload/) as unknown,
    });
    expect((await summary(base)).reconciled_total).toBe(3);
    const events = await sql<{ type: string; actor: string; to_status: string | null }>(
      base.db.url,
      `SELECT type, actor, to_status FROM run_events WHERE run_id = $1 ORDER BY id`,
      [run.id],
    );
    expect(events.map((e) => `${e.type}:${e.actor}:${e.to_status ?? ''}`)).toEqual([
      'created:test-admin:queued',
      'requeued:reconciler:',
      'requeued:reconciler:',
      'requeued:reconciler:',
      'status:reconciler:failed',
    ]);
  });
});

describe("Redis's eviction policy at boot", () => {
  async function boot(
    env: Record<string, string>,
  ): Promise<{ init: Promise<unknown>; close: () => Promise<void> }> {
    const db = await database();
    const config = validateConfig(ApiConfig, {
      PORT: '0',
      DATABASE_URL: db.url,
      BRIER_QUEUE_PREFIX: `test-${randomUUID()}`,
      ...env,
    });
    const app = await NestFactory.create(AppModule.register(config), { logger: false, abortOnError: false });
    configureApp(app, config);
    return { init: app.init(), close: () => app.close() };
  }

  it('refuses to start in production on an evicting Redis, naming the policy', async () => {
    const redis = await startOwnRedis(['--maxmemory-policy', 'allkeys-lru']);
    cleanups.push(() => redis.stop());
    const app = await boot({ NODE_ENV: 'production', REDIS_URL: redis.url });
    cleanups.push(app.close);
    await expect(app.init).rejects.toThrow(
      /maxmemory-policy is "allkeys-lru".*noeviction.*Refusing to start in production/,
    );
  });

  it('only warns outside production, and starts on noeviction in production', async () => {
    const redis = await startOwnRedis(['--maxmemory-policy', 'allkeys-lru']);
    cleanups.push(() => redis.stop());
    const dev = await boot({ NODE_ENV: 'development', REDIS_URL: redis.url });
    cleanups.push(dev.close);
    await expect(dev.init).resolves.toBeDefined();
    const good = await startOwnRedis(['--maxmemory-policy', 'noeviction']);
    cleanups.push(() => good.stop());
    const prod = await boot({ NODE_ENV: 'production', REDIS_URL: good.url });
    cleanups.push(prod.close);
    await expect(prod.init).resolves.toBeDefined();
  });
});
