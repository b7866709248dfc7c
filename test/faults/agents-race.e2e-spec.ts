import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';

import type { TestApi } from '../../apps/api/test/support/test-api.js';
import {
  drainQueue,
  expectSucceededOnce,
  startAgent,
  submitTiny,
  untilStatus,
  untilStep,
  explained,
  waitFor,
  sql,
  runView,
  faultSuite,
} from './support/fault-harness.js';

// Issue 6: two agents racing for one job. BullMQ hands a job to one worker, so the race is made
// real with a second delivery of the same run (a duplicate job, as a redelivery or a hand-added
// job would be), both in the queue before two agents start together. The API's claim is the fence.

let api: TestApi;
let queue: Queue;
faultSuite((suite) => ({ api, queue } = suite));

describe('two agents racing for one run', { timeout: 90_000 }, () => {
  it('one claim wins, the other is refused (409) and drops its job; one attempt, one success', async () => {
    const id = await submitTiny(api, 'race');
    const job = (await queue.getJob(`run-${id}`))!;
    await queue.add(job.name, job.data, { jobId: `duplicate-of-run-${id}` });

    // Started together: both boot, register and pull at the same moment.
    const agents = ['race-a', 'race-b'].map((name) =>
      startAgent(api, name, { env: { AGENT_CPU_SLOTS: '0' } }),
    );
    await untilStatus(api, id, 'succeeded');
    await drainQueue(queue);

    const rows = await expectSucceededOnce(api, id);
    expect(rows.map((a) => [a.number, a.status])).toEqual([[1, 'succeeded']]);
    // Both deliveries ended: one ran the run, the other was dropped after its claim was refused.
    expect(await queue.getJobState(`run-${id}`)).toBe('completed');
    expect(await queue.getJobState(`duplicate-of-run-${id}`)).toBe('completed');
    const refused = agents.filter((agent) => /run \S+ is not claimable/.test(agent.stdout()));
    expect(refused.length, agents.map((a) => a.stdout()).join('\n')).toBe(1);
  });

  it('a second delivery of a running run to the same agent, with a GPU free, is refused and leaves the run alone', async () => {
    const agent = startAgent(api, 'race-same-host', {
      gpus: 2,
      env: { AGENT_CPU_SLOTS: '0', FAKE_PRIME_RL_STEP_SECONDS: '3' },
    });
    const id = await submitTiny(api, 'race-same-host');
    await untilStep(api, id, 0);
    const job = (await queue.getJob(`run-${id}`))!;
    await queue.add(job.name, job.data, { jobId: `redelivery-of-run-${id}` });
    await explained(
      waitFor(() => Promise.resolve(/run \S+ is not claimable/.test(agent.stdout())), {
        timeoutMs: 10_000,
        what: 'the second delivery to be refused',
      }),
    );
    // The refused delivery must not have released the running run's GPU: the next run gets the other.
    const next = await submitTiny(api, 'race-same-host-next');
    await untilStatus(api, next, 'running');
    expect((await runView(api, id)).status).toBe('running');
    const gpus = await sql<{ run_id: string; gpu_indices: number[] }>(
      api.db.url,
      'SELECT run_id, gpu_indices FROM run_attempts WHERE run_id = ANY($1::uuid[])',
      [[id, next]],
    );
    expect(new Set(gpus.flatMap((g) => g.gpu_indices)).size, JSON.stringify(gpus)).toBe(2);
    for (const run of [id, next]) await untilStatus(api, run, 'succeeded');
    await drainQueue(queue);
    const rows = await expectSucceededOnce(api, id);
    expect(rows.map((a) => [a.number, a.status])).toEqual([[1, 'succeeded']]);
  });
});
