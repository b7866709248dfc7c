import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

import { validateConfig } from '@brier/config';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { AppModule } from '../src/app.module.js';
import { ApiConfig } from '../src/config/api.config.js';

// The shared services of the development and CI machines; each run uses its own database.
const ADMIN_DATABASE_URL =
  process.env.BRIER_TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BRIER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const databaseName = `brier_test_${randomBytes(6).toString('hex')}`;
const databaseUrl = (() => {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${databaseName}`;
  return url.toString();
})();

async function withAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A port nothing listens on: bind one, then let it go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

let app: INestApplication | undefined;

async function startApi(env: Record<string, string>): Promise<string> {
  const config = validateConfig(ApiConfig, { NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', ...env });
  app = await NestFactory.create(AppModule.register(config), { logger: false });
  await app.listen(config.PORT, config.HOST);
  return app.getUrl();
}

async function getHealth(baseUrl: string): Promise<{ status: number; body: unknown; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.json(), ms: performance.now() - started };
}

beforeAll(() => withAdmin(`CREATE DATABASE ${databaseName}`));
afterAll(() => withAdmin(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('GET /health against the real services', () => {
  it('answers 200 when Postgres and Redis both answer', async () => {
    const url = await startApi({ DATABASE_URL: databaseUrl, REDIS_URL });
    const health = await getHealth(url);
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', postgres: 'up', redis: 'up' });
  });

  it('answers 503 quickly, naming Redis, when Redis is on a closed port', async () => {
    const url = await startApi({
      DATABASE_URL: databaseUrl,
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
    });
    const health = await getHealth(url);
    expect(health.status).toBe(503);
    expect(health.body).toEqual({ status: 'error', postgres: 'up', redis: 'down' });
    expect(health.ms).toBeLessThan(1_500);
  });

  it('answers 503 quickly, naming Postgres, when Postgres is on a closed port', async () => {
    const url = await startApi({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/brier`,
      REDIS_URL,
    });
    const health = await getHealth(url);
    expect(health.status).toBe(503);
    expect(health.body).toEqual({ status: 'error', postgres: 'down', redis: 'up' });
    expect(health.ms).toBeLessThan(1_500);
  });
});
