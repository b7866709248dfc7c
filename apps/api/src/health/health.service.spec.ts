import { describe, expect, it } from 'vitest';

import { HealthService } from './health.service.js';
import type { PostgresProbe } from './postgres.probe.js';
import type { RedisProbe } from './redis.probe.js';

const up = { ping: () => Promise.resolve() };
const failing = { ping: () => Promise.reject(new Error('ECONNREFUSED')) };
const hanging = { ping: () => new Promise<void>(() => {}) };

function service(postgres: PostgresProbe, redis: RedisProbe, deadlineMs = 50): HealthService {
  return new HealthService(postgres, redis, deadlineMs);
}

describe('HealthService', () => {
  it('is ok when both dependencies answer', async () => {
    await expect(service(up, up).check()).resolves.toEqual({ status: 'ok', postgres: 'up', redis: 'up' });
  });

  it('names the dependency whose ping fails', async () => {
    await expect(service(up, failing).check()).resolves.toEqual({
      status: 'error',
      postgres: 'up',
      redis: 'down',
    });
    await expect(service(failing, up).check()).resolves.toEqual({
      status: 'error',
      postgres: 'down',
      redis: 'up',
    });
  });

  it('counts a dependency that never answers as down once the deadline passes', async () => {
    const started = performance.now();
    await expect(service(hanging, hanging, 100).check()).resolves.toEqual({
      status: 'error',
      postgres: 'down',
      redis: 'down',
    });
    // Both probes run in parallel: one deadline, not two.
    expect(performance.now() - started).toBeLessThan(190);
  });
});
