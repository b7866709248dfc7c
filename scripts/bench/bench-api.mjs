// A throwaway Brier API for benchmarks: a fresh database on the local Postgres (migrated with
// libs/database/dist/migrate.js), the built API (apps/api/dist/main.js) on a free port with a
// Redis key prefix of its own, an admin and an agent token (the rate limits off unless `env` sets
// them: benches measure throughput), and a stop() that removes all of it. Needs `npm run build`.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { Redis } from 'ioredis';
import pg from 'pg';

const root = new URL('../../', import.meta.url).pathname;
export const ADMIN_URL =
  process.env.BRIER_TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BRIER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function admin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Create and migrate a database named brier_bench_<hex>; returns its URL and a drop(). */
export async function createBenchDatabase() {
  const name = `brier_bench_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  execFileSync(process.execPath, [`${root}libs/database/dist/migrate.js`], {
    env: { ...process.env, DATABASE_URL: url.toString() },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { name, url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A new API token in the bench database (through the built libs/database); the token itself. */
export async function createBenchToken(databaseUrl, role, name = `bench-${role}`) {
  const { ApiTokenRepository, createDataSource } = await import('@brier/database');
  const dataSource = createDataSource(databaseUrl, { applicationName: 'brier-bench' });
  await dataSource.initialize();
  try {
    return (await new ApiTokenRepository(dataSource).create({ name, role, createdBy: 'bench' })).token;
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Start the built API on `databaseUrl`; resolves once GET /health answers 200, with its URL, the
 * admin's `authHeaders` and an `agentToken` for bench agents.
 */
export async function startBenchApi(databaseUrl, env = {}) {
  const adminToken = await createBenchToken(databaseUrl, 'admin');
  const agentToken = await createBenchToken(databaseUrl, 'agent');
  const port = await freePort();
  const prefix = `bench-${randomBytes(6).toString('hex')}`;
  const child = spawn(process.execPath, [`${root}apps/api/dist/main.js`], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      NO_COLOR: '1',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      BRIER_QUEUE_PREFIX: prefix,
      RATE_LIMIT_SUBMIT_PER_MINUTE: '0',
      RATE_LIMIT_INGEST_PER_MINUTE: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the API exited (${child.exitCode}): ${stderr}`);
    try {
      if ((await fetch(`${url}/health`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error(`the API did not become healthy: ${stderr}`);
    await sleep(100);
  }
  return {
    url,
    authHeaders: { authorization: `Bearer ${adminToken}` },
    adminToken,
    agentToken,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
      await deletePrefix(prefix);
    },
  };
}

/** Deletes every Redis key under `prefix:` (a bench's BullMQ queues), `redisUrl` defaulting to REDIS_URL. */
export async function deletePrefix(prefix, redisUrl = REDIS_URL) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(values) {
  return percentile(values, 50);
}

/**
 * POST multipart/form-data (fields, then files streamed from disk) the way curl -F does it: the
 * parts written straight to the socket with a Content-Length. (Node's fetch with FormData and
 * openAsBlob spends ~0.5 s of CPU sending 150 MB; a client should not be what a benchmark of the
 * server measures.) Resolves with the status and the parsed JSON answer.
 */
export async function postMultipart(url, fields, files, auth = {}) {
  const boundary = `----brier-bench-${randomBytes(12).toString('hex')}`;
  const parts = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  }
  for (const file of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${file.name}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      { path: file.path },
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const length = parts.reduce((n, p) => n + (Buffer.isBuffer(p) ? p.length : statSync(p.path).size), 0);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: {
          ...auth,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': length,
        },
      },
      async (res) => {
        let text = '';
        for await (const chunk of res) text += chunk;
        resolve({ status: res.statusCode, body: JSON.parse(text) });
      },
    );
    req.on('error', reject);
    async function* body() {
      for (const part of parts) {
        if (Buffer.isBuffer(part)) yield part;
        else yield* createReadStream(part.path, { highWaterMark: 1 << 20 });
      }
    }
    pipeline(Readable.from(body()), req).catch(reject);
  });
}
