import { createRedisClient, RedisConfig, validateConfig } from '@brier/config';
import { QUEUES } from '@brier/contracts';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';

import { request } from '../../apps/api/test/support/runs-fixtures.js';
import { startTestApi, type TestApi } from '../../apps/api/test/support/test-api.js';
import {
  expectSucceededOnce,
  startAgent,
  submitTiny,
  untilStatus,
  cleanupsAfterEach,
} from '../faults/support/fault-harness.js';
import { captureOutput } from './support/capture-output.js';
import { startTlsRedis, type PrivateRedis } from './support/private-redis.js';

// Issue 6, a larger deployment: Redis over TLS with a password (rediss://user:password@host:port
// and REDIS_TLS_CA_FILE). Every connection of the API and the agent goes through createRedisClient;
// this proves the health probe, the runs queue, the rate limiter and the agent's worker reach such a
// Redis, and that the password never shows in the logs (the agent's output included).

const PASSWORD = 'tls-test-Pa55word';
const cleanups = cleanupsAfterEach();

async function start(redis: PrivateRedis, url: string): Promise<TestApi> {
  const api = await startTestApi({ REDIS_URL: url, REDIS_TLS_CA_FILE: redis.caFile! });
  cleanups.push(() => api.close());
  return api;
}

describe('Redis with TLS and a password', { timeout: 60_000 }, () => {
  it('serves /health, takes a run into that Redis, and never logs the password', async () => {
    const redis = await startTlsRedis(PASSWORD);
    cleanups.push(() => redis.stop());
    const output = captureOutput();
    cleanups.push(() => Promise.resolve(output.stop()));

    const api = await start(redis, redis.url);
    const health = await request<Record<string, string>>(`${api.url}/health`);
    expect(health.status, JSON.stringify(health.body)).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', redis: 'up' });

    const runId = await submitTiny(api, 'over-tls');

    // The job is in the TLS Redis, under the API's prefix (read with the same settings).
    const config = validateConfig(RedisConfig, {
      REDIS_URL: redis.url,
      REDIS_TLS_CA_FILE: redis.caFile!,
      BRIER_QUEUE_PREFIX: api.queuePrefix,
    });
    const connection = createRedisClient(config, { connectionName: 'test-reader', maxRetriesPerRequest: 1 });
    const queue = new Queue(QUEUES.runs, { prefix: api.queuePrefix, connection });
    cleanups.push(async () => {
      await queue.close();
      connection.disconnect();
    });
    expect(await queue.getJobState(`run-${runId}`)).toBe('waiting');

    // The real agent's worker takes it from there (the same settings) and runs it to the end.
    const agent = startAgent(api, 'tls-agent', {
      redisUrl: redis.url,
      env: { REDIS_TLS_CA_FILE: redis.caFile! },
    });
    await untilStatus(api, runId, 'succeeded');
    await expectSucceededOnce(api, runId);

    for (const log of [output.text(), agent.stdout() + agent.stderr()]) {
      expect(log).not.toContain(PASSWORD);
      expect(log).not.toContain(encodeURIComponent(PASSWORD));
    }
  });

  it('a wrong password: /health says Redis is down and the log says why, without either password', async () => {
    const redis = await startTlsRedis(PASSWORD);
    cleanups.push(() => redis.stop());
    const output = captureOutput();
    cleanups.push(() => Promise.resolve(output.stop()));

    const wrong = 'not-the-Pa55word';
    const api = await start(redis, redis.url.replace(encodeURIComponent(PASSWORD), wrong));
    const health = await request<Record<string, string>>(`${api.url}/health`);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'error', postgres: 'up', redis: 'down' });
    expect(output.text()).toMatch(/Redis connection failed: WRONGPASS/);
    expect(output.text()).not.toContain(PASSWORD);
    expect(output.text()).not.toContain(wrong);
  });

  it('without the CA file the certificate is not trusted (TLS verification is on)', async () => {
    const redis = await startTlsRedis(PASSWORD);
    cleanups.push(() => redis.stop());
    const output = captureOutput();
    cleanups.push(() => Promise.resolve(output.stop()));

    const api = await startTestApi({ REDIS_URL: redis.url });
    cleanups.push(() => api.close());
    const health = await request<Record<string, string>>(`${api.url}/health`);
    expect(health.status).toBe(503);
    expect(output.text()).toMatch(/Redis connection failed: self[- ]signed certificate/);
  });
});
