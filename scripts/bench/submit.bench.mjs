// Submit → job in the queue, against the real API (apps/api/dist, `npm run build` first) started as
// its own process on loopback, with a fresh database and its own BullMQ prefix on the Postgres and
// Redis at DATABASE_URL / REDIS_URL (the shared ones on the dev and CI machines: nothing else is
// touched, and everything is removed afterwards).
//
// - latency: sequential POST /v1/runs of the seed preset, each with its own Idempotency-Key. The API
//   answers 202 only after `queue.add` resolved, so the round trip bounds submit → job in the queue
//   from above; a sample of the jobs is read back from Redis to prove it.
// - throughput: CONCURRENCY clients submitting back to back for DURATION_MS (at most MAX_SUBMITS),
//   then every accepted run is checked to have exactly one job. The API's own CPU time per submit
//   is reported too: on a shared machine it says more than the wall-clock rate.
//
//   node scripts/bench/submit.bench.mjs        # prints the result as JSON
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { Queue } from 'bullmq';
import pg from 'pg';

import { createBenchToken, deletePrefix } from './bench-api.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ADMIN_DATABASE_URL =
  process.env.BRIER_TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE_NAME = 'brier-runs'; // QUEUES.runs in @brier/contracts

const WARMUP = 200;
const LATENCY_SAMPLES = 1_000;
const CONCURRENCY = 16;
const DURATION_MS = 10_000;
const MAX_SUBMITS = 20_000;
const BOOT_TIMEOUT_MS = 30_000;
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
const BODY = JSON.stringify({ kind: 'train', preset: 'seed-gemma2-2b-boolq', resources: { gpuCount: 2 } });

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summarize(ms) {
  const sorted = [...ms].sort((a, b) => a - b);
  const round = (x) => (x === null ? null : Number(x.toFixed(2)));
  return {
    n: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p90Ms: round(percentile(sorted, 90)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? null),
    meanMs: round(sorted.reduce((a, b) => a + b, 0) / Math.max(sorted.length, 1)),
  };
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function withAdmin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** One POST /v1/runs on a keep-alive connection: { status, ms, id }. */
function submit(baseUrl, agent, token) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(
      `${baseUrl}/v1/runs`,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(BODY),
          'idempotency-key': randomUUID(),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          const ms = performance.now() - started;
          let id;
          try {
            id = JSON.parse(text).id;
          } catch {
            // a non-JSON answer counts as an error below
          }
          resolve({ status: res.statusCode, ms, id });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(BODY);
  });
}

async function waitForHealth(baseUrl, child) {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the API exited with code ${child.exitCode} while starting`);
    try {
      const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(1_000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`the API did not answer /health within ${BOOT_TIMEOUT_MS} ms`);
}

/** CPU seconds (user + system) a process has used so far, from /proc; null where there is none. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

async function stopApi(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function benchSubmit(_workDir) {
  const { runMigrations } = await import('@brier/database');
  const database = `brier_bench_${randomBytes(8).toString('hex')}`;
  const databaseUrl = Object.assign(new URL(ADMIN_DATABASE_URL), { pathname: `/${database}` }).toString();
  const prefix = `bench-${randomUUID()}`;
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  await withAdmin(`CREATE DATABASE ${database}`);
  let child;
  const queue = new Queue(QUEUE_NAME, { prefix, connection: { url: REDIS_URL } });
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    await runMigrations(databaseUrl);
    const token = await createBenchToken(databaseUrl, 'researcher');
    child = spawn(process.execPath, [join(ROOT, 'apps/api/dist/main.js')], {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        REDIS_URL,
        BRIER_QUEUE_PREFIX: prefix,
        // Throughput is what is measured here: no per-token submit limit.
        RATE_LIMIT_SUBMIT_PER_MINUTE: '0',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitForHealth(baseUrl, child);

    for (let i = 0; i < WARMUP; i++) await submit(baseUrl, agent, token);

    // Latency: one at a time.
    const latencies = [];
    const sampleIds = [];
    let latencyErrors = 0;
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const result = await submit(baseUrl, agent, token);
      if (result.status !== 202) latencyErrors += 1;
      else {
        latencies.push(result.ms);
        if (i % 100 === 0) sampleIds.push(result.id);
      }
    }
    for (const id of sampleIds) {
      if (!(await queue.getJob(`run-${id}`))) throw new Error(`run ${id} was answered 202 but has no job`);
    }

    // Throughput: CONCURRENCY clients back to back.
    const loaded = [];
    const statuses = {};
    let issued = 0;
    const cpuBefore = cpuSeconds(child.pid);
    const started = performance.now();
    const stopAt = started + DURATION_MS;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < stopAt && issued < MAX_SUBMITS) {
          issued += 1;
          const result = await submit(baseUrl, agent, token);
          statuses[result.status] = (statuses[result.status] ?? 0) + 1;
          if (result.status === 202) loaded.push(result.ms);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = cpuSeconds(child.pid);
    const apiCpuMsPerSubmit =
      cpuBefore === null || cpuAfter === null || loaded.length === 0
        ? null
        : Number((((cpuAfter - cpuBefore) * 1000) / loaded.length).toFixed(3));

    // Every accepted run has exactly one job.
    const accepted = WARMUP + LATENCY_SAMPLES - latencyErrors + loaded.length;
    const [{ n: rows }] = (await withDbQuery(databaseUrl, 'SELECT count(*)::int AS n FROM runs')).rows;
    const counts = await queue.getJobCounts();
    const jobs = Object.values(counts).reduce((a, b) => a + b, 0);

    const latency = summarize(latencies);
    const throughput = {
      concurrency: CONCURRENCY,
      seconds: Number(seconds.toFixed(2)),
      accepted: loaded.length,
      statuses,
      submitsPerSecond: Number((loaded.length / seconds).toFixed(1)),
      latency: summarize(loaded),
      // The API process's own CPU per accepted submit (Postgres, Redis and this client not counted):
      // what one core of the API can do, whatever else the machine is running.
      apiCpuMsPerSubmit,
      apiSubmitsPerCpuSecond: apiCpuMsPerSubmit ? Math.round(1000 / apiCpuMsPerSubmit) : null,
    };
    return {
      name: 'submit',
      input: { preset: 'seed-gemma2-2b-boolq', warmup: WARMUP, idempotencyKeys: true },
      latency: { ...latency, errors: latencyErrors },
      throughput,
      integrity: { accepted, rows, jobs, oneJobPerRun: rows === accepted && jobs === accepted },
      targets: {
        p50Under10ms: latency.p50Ms !== null && latency.p50Ms < 10,
        sustained500PerSecond: throughput.submitsPerSecond >= 500,
      },
    };
  } finally {
    agent.destroy();
    if (child) await stopApi(child);
    await queue.close().catch(() => undefined);
    await deletePrefix(prefix, REDIS_URL).catch(() => undefined);
    await withAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
  }
}

async function withDbQuery(url, sql) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchSubmit(join(ROOT, 'bench-results', 'work'));
  console.log(JSON.stringify(result, null, 2));
}
