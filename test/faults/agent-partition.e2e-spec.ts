import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';

import type { TestApi } from '../../apps/api/test/support/test-api.js';
import { SwitchableProxy } from '../../apps/gpu-agent/test/support/shipping-fixtures.js';
import {
  attempts,
  drainQueue,
  expectSucceededOnce,
  explained,
  processesInGroup,
  runView,
  sleep,
  sql,
  startAgent,
  submitTiny,
  untilStatus,
  untilStep,
  waitFor,
  faultSuite,
  recordedGroup,
} from './support/fault-harness.js';

// reliability.md §2.11 #11-#12, issue 6: an agent cut off from the API for longer than the lease
// (3 missed heartbeats) while its run goes on. The reaper re-queues the run; when the agent is
// back its late writes are refused by the lease, it kills its child, and the run succeeds once.

let api: TestApi;
let queue: Queue;
faultSuite((suite) => ({ api, queue } = suite));

async function rolloutsOfAttempt(runId: string, attempt: number): Promise<number> {
  const [row] = await sql<{ n: string }>(
    api.db.url,
    'SELECT count(*) AS n FROM rollouts WHERE run_id = $1 AND attempt = $2',
    [runId, attempt],
  );
  return Number(row!.n);
}

describe('an agent partitioned from the API longer than the heartbeat timeout', { timeout: 120_000 }, () => {
  it('is fenced off: the run is re-queued and finished elsewhere, the late writes are refused, its child killed', async () => {
    const proxy = await SwitchableProxy.create(api.url);
    await proxy.open();
    try {
      const cutOff = startAgent(api, 'partitioned', {
        apiUrl: proxy.url,
        env: { FAKE_PRIME_RL_STEP_SECONDS: '2' },
      });
      const id = await submitTiny(api, 'partition');
      await untilStep(api, id, 0);
      const { pgid } = recordedGroup(cutOff.workDir, id)!;

      await proxy.close();
      // Lease 1.5 s, reaper every 300 ms: the run is lost, then queued again, while the agent runs on.
      await explained(
        waitFor(async () => (await runView(api, id)).status === 'queued', {
          timeoutMs: 15_000,
          intervalMs: 100,
          what: 'the reaper to re-queue the run',
        }),
      );
      const storedWhenReaped = await rolloutsOfAttempt(id, 1);
      startAgent(api, 'rescuer');
      await sleep(1_500); // the cut-off agent keeps producing (and spooling) meanwhile
      await proxy.open();

      const done = await untilStatus(api, id, 'succeeded', 60_000);
      await drainQueue(queue);
      const rows = await expectSucceededOnce(api, id);
      // The cut-off attempt is lost; the run then succeeds once, on either agent, at the next attempt.
      expect(rows.map((a) => a.status)).toEqual(['lost', 'succeeded']);
      expect(done.attempt).toBe(2);
      // Nothing the cut-off agent sent after the reap was stored under its stale lease.
      expect(await rolloutsOfAttempt(id, 1)).toBe(storedWhenReaped);
      await explained(
        waitFor(() => Promise.resolve(processesInGroup(pgid).length === 0), {
          timeoutMs: 10_000,
          what: "the cut-off agent's child to be killed",
        }),
      );
      expect(cutOff.stdout()).toMatch(/revoked|lease/);
      expect((await attempts(api, id)).filter((a) => a.status === 'succeeded')).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});
