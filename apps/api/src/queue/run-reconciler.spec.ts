import type { RunEntity, RunRepository } from '@brier/database';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import type { ApiConfig } from '../config/api.config.js';
import type { QueueRedis } from './queue-redis.js';
import type { RunEnqueuer, UndeliverableState } from './run-enqueuer.js';
import { RunReconciler } from './run-reconciler.js';

const QUEUED = { id: '0b7c3f3e-8f1a-4c59-9a55-3f1e2d4c5b6a', status: 'queued' } as RunEntity;

function reconciler(
  options: { redisReady?: boolean; lost?: Map<string, UndeliverableState>; slowMs?: number } = {},
) {
  const query = vi.fn((sql: string) => {
    if (sql.includes('FROM runs') && sql.includes("status = 'queued'")) return Promise.resolve([QUEUED]);
    return Promise.resolve([]);
  });
  const dataSource = { isInitialized: true, query } as unknown as DataSource;
  const undeliverable = vi.fn(async () => {
    if (options.slowMs) await new Promise((resolve) => setTimeout(resolve, options.slowMs));
    return options.lost ?? new Map<string, UndeliverableState>();
  });
  const replace = vi.fn(() => Promise.resolve('added' as const));
  const enqueuer = {
    undeliverable,
    replace,
    failedReason: () => Promise.resolve(null),
  } as unknown as RunEnqueuer;
  const runs = { findById: () => Promise.resolve(QUEUED) } as unknown as RunRepository;
  const client = { set: vi.fn(() => Promise.resolve('OK')), eval: vi.fn(() => Promise.resolve(1)) };
  const redis = { ready: options.redisReady ?? true, client } as unknown as QueueRedis;
  const config = { BRIER_QUEUE_PREFIX: 'p', RECONCILE_INTERVAL_MS: 50, RECONCILE_GRACE_MS: 0 } as ApiConfig;
  return {
    subject: new RunReconciler(dataSource, runs, enqueuer, redis, config),
    undeliverable,
    replace,
    client,
  };
}

beforeAll(() => {
  vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
});
afterEach(() => vi.useRealTimers());

describe('RunReconciler', () => {
  it('re-adds the job of a queued run whose job is missing, and counts it', async () => {
    const { subject, replace } = reconciler({ lost: new Map([[QUEUED.id, 'unknown']]) });
    const pass = await subject.reconcileNow();
    expect(pass).toMatchObject({ checked: 1, requeued: 1, failed: 0 });
    expect(replace).toHaveBeenCalledTimes(1);
    expect(subject.reconciledTotal).toBe(1);
  });

  it('runs one pass at a time: a second call joins the pass in flight', async () => {
    const { subject, undeliverable } = reconciler({ slowMs: 30 });
    const [a, b] = await Promise.all([subject.reconcileNow(), subject.reconcileNow()]);
    expect(a).toBe(b);
    expect(undeliverable).toHaveBeenCalledTimes(1);
  });

  it('skips a pass while Redis is not connected, and takes the cross-instance lock otherwise', async () => {
    const down = reconciler({ redisReady: false });
    expect(await down.subject.reconcileNow()).toMatchObject({ skipped: 'Redis not connected' });
    expect(down.undeliverable).not.toHaveBeenCalled();
    const up = reconciler();
    up.client.set.mockResolvedValueOnce(null as never);
    expect(await up.subject.reconcileNow()).toMatchObject({ skipped: 'another API instance is reconciling' });
    expect(await up.subject.reconcileNow()).toMatchObject({ checked: 1 });
    expect(up.client.eval).toHaveBeenCalledTimes(1); // the lock is released after the pass
  });

  it('passes at boot and every interval, and stops on shutdown', async () => {
    vi.useFakeTimers();
    const { subject, undeliverable } = reconciler();
    subject.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(1);
    expect(undeliverable).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(120);
    expect(undeliverable.mock.calls.length).toBeGreaterThanOrEqual(3);
    await subject.onModuleDestroy();
    const calls = undeliverable.mock.calls.length;
    await vi.advanceTimersByTimeAsync(500);
    expect(undeliverable).toHaveBeenCalledTimes(calls);
  });
});
