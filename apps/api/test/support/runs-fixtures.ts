import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { QUEUES } from '@brier/contracts';
import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import pg from 'pg';

import { TEST_REDIS_URL, type TestApi } from './test-api.js';

/** The seed's run as a researcher submits it. */
export const SEED_SUBMIT = { kind: 'train', preset: 'seed-gemma2-2b-boolq', resources: { gpuCount: 2 } };

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  ms: number;
}

/** fetch with a deadline; the body parsed as JSON when there is one. */
export async function request<T = unknown>(
  url: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<JsonResponse<T>> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  const started = performance.now();
  const response = await fetch(url, {
    ...rest,
    headers,
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : undefined) as T,
    ms,
  };
}

/** request() with `auth` (a token's Authorization header) under the call's own headers. */
export function authedRequest<T = unknown>(
  auth: Record<string, string>,
  url: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<JsonResponse<T>> {
  const headers = new Headers(init.headers);
  for (const [name, value] of Object.entries(auth)) if (!headers.has(name)) headers.set(name, value);
  return request<T>(url, { ...init, headers });
}

/** Poll `check` until it returns something other than undefined/false, or fail after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 10_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** `promise`, or an error naming `what` once `ms` have passed (for waits with no deadline of their own). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A BullMQ Queue on a test API's prefix, to look at (and tamper with) its jobs. */
export function openRunsQueue(api: Pick<TestApi, 'queuePrefix'>, redisUrl = TEST_REDIS_URL): Queue {
  return new Queue(QUEUES.runs, { prefix: api.queuePrefix, connection: { url: redisUrl } });
}

/** Every job id in the queue, in any state. */
export async function allJobIds(queue: Queue): Promise<string[]> {
  const jobs = await queue.getJobs(
    ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'],
    0,
    -1,
  );
  return jobs.map((job) => job.id ?? '').sort();
}

/** One query against a test database. */
export async function sql<T>(databaseUrl: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A port nothing listens on: bind one, then let it go. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Whether a Redis server answers PING now: one short-lived connection that never retries. */
export async function redisAnswersPing(options: RedisOptions): Promise<boolean> {
  const probe = new Redis({
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...options,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * A redis-server of the test's own on a free port (no persistence), for tests that stop Redis or
 * configure it: the shared server is never touched. `stop()` kills it (SIGKILL: a crash).
 */
export interface OwnRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startOwnRedis(args: string[] = [], port?: number): Promise<OwnRedis> {
  const chosen = port ?? (await freePort());
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(chosen), '--save', '', '--appendonly', 'no', ...args],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${chosen}`;
  await waitFor(() => redisAnswersPing({ host: '127.0.0.1', port: chosen }), {
    timeoutMs: 5_000,
    what: `redis-server on port ${chosen}`,
  });
  return {
    url,
    port: chosen,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
