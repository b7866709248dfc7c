import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';

import { openRunsQueue, SEED_SUBMIT } from '../../apps/api/test/support/runs-fixtures.js';
import {
  deleteKeys,
  startTestApi,
  TEST_REDIS_URL,
  type TestApi,
} from '../../apps/api/test/support/test-api.js';
import { SwitchableProxy } from '../../apps/gpu-agent/test/support/shipping-fixtures.js';
import {
  attempts,
  drainQueue,
  expectJobCompleted,
  expectSucceededOnce,
  explained,
  FAST_API_ENV,
  request,
  runView,
  sleep,
  startAgent,
  submitTiny,
  untilStatus,
  untilStep,
  waitFor,
  cleanupsAfterEach,
} from './support/fault-harness.js';

// reliability.md §2.11 #4 and #5. The shared Redis is never restarted: a restart is a TCP proxy
// in front of it that drops every connection and refuses new ones for a while (what clients see
// of a restart with AOF: the keys survive); data loss is every key of the test's prefix deleted.

const cleanups = cleanupsAfterEach();

async function api(env: Record<string, string> = {}): Promise<{ api: TestApi; queue: Queue }> {
  const started = await startTestApi({ ...FAST_API_ENV, ...env });
  cleanups.push(() => started.close());
  const queue = openRunsQueue(started);
  cleanups.push(() => queue.close());
  return { api: started, queue };
}

interface QueueSummary {
  reconciled_total: number;
}

describe('Redis restarted while jobs wait and run', { timeout: 120_000 }, () => {
  it('API and agent reconnect by themselves; every run succeeds exactly once, one submitted during the outage too', async () => {
    const proxy = await SwitchableProxy.create(TEST_REDIS_URL);
    await proxy.open();
    cleanups.push(() => proxy.close());
    const redisUrl = proxy.url.replace('http:', 'redis:');
    const { api: base, queue } = await api({ REDIS_URL: redisUrl });
    const agent = startAgent(base, 'redis-restart', {
      gpus: 2,
      redisUrl,
      env: { FAKE_PRIME_RL_STEP_SECONDS: '1' },
    });
    await agent.waitForOutput('pulling runs');
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await submitTiny(base, `redis-restart-${i}`));
    // Two run (2 GPUs), two wait.
    await untilStep(base, ids[0]!, 0);

    await proxy.close();
    const during = await request<{ runId: string }>(`${base.url}/v1/runs`, {
      method: 'POST',
      headers: base.authHeaders,
      json: {
        ...SEED_SUBMIT,
        preset: 'smoke-tiny',
        name: 'during-outage',
        spec: { maxSteps: 3, batchSize: 8 },
      },
    });
    expect(during.status).toBe(503);
    await sleep(3_000); // longer than the agent's 2 s job lock
    await proxy.open();
    ids.push(during.body.runId);

    for (const id of ids) await untilStatus(base, id, 'succeeded', 90_000);
    await drainQueue(queue);
    for (const id of ids) {
      const rows = await expectSucceededOnce(base, id);
      // An active job redelivered after its lock expired is refused by the claim: at most the one attempt.
      expect(rows.length, JSON.stringify(rows)).toBe(1);
      await expectJobCompleted(queue, id);
    }
    expect(agent.child.exitCode).toBeNull();
    expect(await queue.getJobCounts('waiting', 'active', 'delayed', 'failed')).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
      failed: 0,
    });
  });
});

describe(
  'Redis flushed (every key of the prefix deleted) while jobs wait and run',
  { timeout: 120_000 },
  () => {
    it('the reconciler rebuilds the queue from Postgres; every run succeeds exactly once', async () => {
      const { api: base, queue } = await api();
      // One run at a time (no CPU slots): the other two wait in the queue, untouched by the agent.
      const agent = startAgent(base, 'redis-flush', {
        env: { FAKE_PRIME_RL_STEP_SECONDS: '1', AGENT_CPU_SLOTS: '0' },
      });
      await agent.waitForOutput('pulling runs');
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await submitTiny(base, `redis-flush-${i}`));
      await untilStep(base, ids[0]!, 0);
      await deleteKeys(TEST_REDIS_URL, `${base.queuePrefix}:*`);
      expect(await queue.getJobCounts('waiting', 'active')).toEqual({ waiting: 0, active: 0 });

      for (const id of ids) await untilStatus(base, id, 'succeeded', 90_000);
      for (const id of ids) {
        const rows = await expectSucceededOnce(base, id);
        expect(rows.length, JSON.stringify(rows)).toBe(1);
      }
      const summary = await explained(
        waitFor(
          async () => {
            const answer = await request<QueueSummary>(`${base.url}/v1/admin/queue`, {
              headers: base.authHeaders,
            });
            return answer.body.reconciled_total >= 2 ? answer.body : undefined;
          },
          { timeoutMs: 10_000, what: 'reconciled_total' },
        ),
      );
      // The two waiting runs' jobs were re-added; the running one kept its lease and needed none.
      expect(summary.reconciled_total).toBe(2);
      expect((await attempts(base, ids[0]!)).map((a) => a.status)).toEqual(['succeeded']);
      expect((await runView(base, ids[0]!)).attempt).toBe(1);
    });
  },
);
