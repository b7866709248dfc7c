import { SEED_LENGTH_PENALTY } from '@brier/calibration';
import { afterAll, describe, expect, it } from 'vitest';

import type { ChunkTask } from './rollout-chunk.parser.js';
import type { RolloutLimitsConfig } from './rollout-limits.config.js';
import { RolloutParsePool } from './rollout-parse-pool.js';

const completion = 'Reasoning: fine.\nANSWER: NO with 70% probability';
const text = Array.from({ length: 50 }, (_, i) =>
  JSON.stringify({
    step: 0,
    sample_key: `k${i}`,
    ground_truth: i % 2 === 0,
    completion,
    prompt: `P${i >> 3}`,
  }),
).join('\n');

function task(body = text): ChunkTask {
  return {
    bytes: new Uint8Array(Buffer.from(body)),
    firstLine: 1,
    firstRecord: 0,
    options: { context: { defaultAttempt: 0, penalty: SEED_LENGTH_PENALTY }, maxErrors: 10 },
  };
}

const pools: RolloutParsePool[] = [];
function pool(threads: number): RolloutParsePool {
  const created = new RolloutParsePool({ ROLLOUTS_PARSE_THREADS: threads } as RolloutLimitsConfig);
  pools.push(created);
  return created;
}
afterAll(async () => {
  for (const created of pools) await created.onModuleDestroy();
});

describe('RolloutParsePool', () => {
  it('parses in worker threads exactly what it parses in its own thread', async () => {
    const [inThread, inWorkers] = await Promise.all([pool(0).parse(task()), pool(2).parse(task())]);
    expect(inWorkers.batch!.rows).toBe(50);
    expect(inWorkers).toEqual(inThread);
    expect(Buffer.from(inWorkers.batch!.tuples).equals(Buffer.from(inThread.batch!.tuples))).toBe(true);
  }, 20_000);

  it('runs many chunks on few threads, and skips a chunk whose signal aborted before it started', async () => {
    const workers = pool(1);
    const aborted = new AbortController();
    const results = Array.from({ length: 6 }, (_, i) =>
      workers.parse(task(), i === 5 ? aborted.signal : undefined),
    );
    aborted.abort(new Error('not needed any more'));
    const settled = await Promise.allSettled(results);
    expect(settled.slice(0, 5).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(settled[5]).toMatchObject({ status: 'rejected', reason: { message: 'not needed any more' } });
  }, 20_000);

  it('fails the chunk a worker cannot parse, and keeps working', async () => {
    const workers = pool(1);
    const broken = { ...task(), options: { ...task().options, context: null } } as unknown as ChunkTask;
    await expect(workers.parse(broken)).rejects.toThrow();
    expect((await workers.parse(task())).batch!.rows).toBe(50);
  }, 20_000);
});
