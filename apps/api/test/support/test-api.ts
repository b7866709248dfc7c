import { randomUUID } from 'node:crypto';

import { validateConfig } from '@brier/config';
import { generateApiToken } from '@brier/database';
import { createTestDatabase, type TestDatabase } from '@brier/database/testing';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

import { AppModule } from '../../src/app.module.js';
import { ApiConfig } from '../../src/config/api.config.js';
import { configureApp } from '../../src/configure-app.js';
import { bearer, insertTestAgentToken, mintToken, TEST_AGENT_TOKEN } from './test-tokens.js';

export const TEST_REDIS_URL = process.env['BRIER_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export interface TestApi {
  app: INestApplication;
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  config: ApiConfig;
  db: TestDatabase;
  /** This API's BullMQ key prefix: unique per test API, so runs never see each other's queues. */
  queuePrefix: string;
  /** A working admin token minted for this test API (shown once, stored hashed). */
  adminToken: string;
  /** The admin's Authorization header, to spread into fetch headers. */
  authHeaders: Record<string, string>;
  /** The agent token every spawned test agent uses (test-tokens.ts). */
  agentToken: string;
  close(): Promise<void>;
}

/**
 * The real API on a random port, against a fresh migrated Postgres database and a Redis key prefix
 * of its own (the shared servers of the dev and CI machines), with an admin token (`authHeaders`)
 * and the test agent token. `close()` stops the app, drops the database and deletes the prefix's keys.
 */
export async function startTestApi(env: Record<string, string> = {}, db?: TestDatabase): Promise<TestApi> {
  const database = db ?? (await createTestDatabase());
  const queuePrefix = `test-${randomUUID()}`;
  const config = validateConfig(ApiConfig, {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    BRIER_QUEUE_PREFIX: queuePrefix,
    ...env,
  });
  const app = await NestFactory.create(AppModule.register(config), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  configureApp(app, config);
  await app.listen(config.PORT, config.HOST);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  // A test of an unreachable Postgres gets a well-formed token that was never stored: its requests
  // reach the lookup, which answers 503 like any other query.
  const dataSource = app.get(DataSource);
  let admin = { token: generateApiToken(), headers: {} as Record<string, string> };
  if (dataSource.isInitialized) {
    admin = await mintToken(app, 'admin', 'test-admin');
    await insertTestAgentToken(dataSource);
  }
  admin.headers = bearer(admin.token);
  return {
    app,
    url,
    config,
    db: database,
    queuePrefix,
    adminToken: admin.token,
    authHeaders: admin.headers,
    agentToken: TEST_AGENT_TOKEN,
    close: async () => {
      await app.close();
      await deleteKeys(TEST_REDIS_URL, `${queuePrefix}:*`);
      if (!db) await database.drop();
    },
  };
}

/** Delete keys by pattern with SCAN (never KEYS on a shared server). */
export async function deleteKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
