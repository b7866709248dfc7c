import { randomUUID } from 'node:crypto';

import { ConfigError, validateConfig } from '@brier/config';
import { QUEUES } from '@brier/contracts';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

import { ApiConfig } from '../../apps/api/src/config/api.config.js';
import { request } from '../../apps/api/test/support/runs-fixtures.js';
import { startTestApi } from '../../apps/api/test/support/test-api.js';
import {
  expectSucceededOnce,
  startAgent,
  submitTiny,
  untilStatus,
  cleanupsAfterEach,
} from '../faults/support/fault-harness.js';
import { startRedisCluster } from './support/private-redis.js';

// Issue 6, a larger deployment: Redis Cluster (REDIS_CLUSTER=true, REDIS_URL one seed node). BullMQ's
// scripts touch several keys of a queue at once, which Cluster allows only within one slot: the
// queue prefix must be a hash tag, and then every key of the queue lives on one node.

const cleanups = cleanupsAfterEach();

describe('Redis Cluster', { timeout: 90_000 }, () => {
  it('refuses a queue prefix without a hash tag in cluster mode', () => {
    const env = { REDIS_CLUSTER: 'true', BRIER_QUEUE_PREFIX: 'brier' };
    expect(() => validateConfig(ApiConfig, env)).toThrow(ConfigError);
    expect(() => validateConfig(ApiConfig, env)).toThrow(/BRIER_QUEUE_PREFIX: must start with a hash tag/);
    expect(validateConfig(ApiConfig, { ...env, BRIER_QUEUE_PREFIX: '{brier}' }).BRIER_QUEUE_PREFIX).toBe(
      '{brier}',
    );
  });

  it('a run submitted through the API is run by the agent, and every queue key shares one slot', async () => {
    const cluster = await startRedisCluster();
    cleanups.push(() => cluster.stop());
    const prefix = `{test-${randomUUID()}}`;
    const api = await startTestApi({
      REDIS_URL: cluster.url,
      REDIS_CLUSTER: 'true',
      BRIER_QUEUE_PREFIX: prefix,
    });
    cleanups.push(() => api.close());
    api.queuePrefix = prefix;

    const health = await request<Record<string, string>>(`${api.url}/health`);
    expect(health.status, JSON.stringify(health.body)).toBe(200);

    startAgent(api, 'cluster-agent', { redisUrl: cluster.url, env: { REDIS_CLUSTER: 'true' } });
    const ids = [await submitTiny(api, 'on-cluster-a'), await submitTiny(api, 'on-cluster-b')];
    for (const id of ids) {
      await untilStatus(api, id, 'succeeded');
      await expectSucceededOnce(api, id);
    }

    // Every key under the prefix (jobs, lists, events, the reconciler's lock, rate limits) is in one
    // slot, so on one node; the other nodes hold none.
    const keysByNode = await Promise.all(cluster.ports.map((port) => keysOn(port, `${prefix}*`)));
    const keys = keysByNode.flat();
    expect(keys.length).toBeGreaterThan(5);
    expect(keys).toContain(`${prefix}:${QUEUES.runs}:run-${ids[0]}`);
    expect(keysByNode.filter((onNode) => onNode.length > 0)).toHaveLength(1);
    const node = new Redis({ port: cluster.ports[0]!, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    try {
      const slots = new Set(await Promise.all(keys.map((key) => node.cluster('KEYSLOT', key))));
      expect(slots.size).toBe(1);
    } finally {
      node.disconnect();
    }
  });
});

/** Keys matching `pattern` on one cluster node (SCAN, never KEYS). */
async function keysOn(port: number, pattern: string): Promise<string[]> {
  const node = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  try {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return found;
  } finally {
    node.disconnect();
  }
}
