import { randomUUID } from 'node:crypto';

import { JOBS, RUN_JOB_VERSION } from '@brier/contracts';
import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';

import type { TestApi } from '../../apps/api/test/support/test-api.js';
import {
  expectJobCompleted,
  expectSucceededOnce,
  explained,
  startAgent,
  submitTiny,
  untilStatus,
  waitFor,
  faultSuite,
} from './support/fault-harness.js';

// reliability.md §2.11 #15: anything can be put on the queue by hand. The agent fails what it can
// never process at once, without BullMQ's retries, and keeps serving the jobs it can.

let api: TestApi;
let queue: Queue;
faultSuite((suite) => ({ api, queue } = suite));

const resources = { gpuCount: 1, gpuType: null, labels: [] };
const valid = () => ({ runId: randomUUID(), specVersion: 1, jobVersion: RUN_JOB_VERSION, resources });

describe('malformed jobs put on the runs queue directly', { timeout: 90_000 }, () => {
  it('fails each on its first delivery, never retried, and the agent still runs a real run', async () => {
    const { runId: _dropped, ...noRunId } = valid();
    const malformed = [
      { name: JOBS.trainRun, data: noRunId, why: /runId is not a UUID/ },
      { name: JOBS.trainRun, data: { ...valid(), runId: '../../etc/passwd' }, why: /runId is not a UUID/ },
      { name: 'run.mine-bitcoin', data: valid(), why: /is not one an agent runs/ },
      { name: JOBS.trainRun, data: { ...valid(), jobVersion: 0 }, why: /jobVersion 0 is not 1/ },
      { name: JOBS.evalRun, data: { ...valid(), resources: { gpuCount: -1, labels: [] } }, why: /gpuCount/ },
      { name: JOBS.trainRun, data: 'not an object', why: /not an object/ },
    ];
    const ids: string[] = [];
    for (const [i, job] of malformed.entries()) {
      // The API's own retry budget: a retryable error would be delivered again.
      const added = await queue.add(job.name, job.data, { jobId: `bad-${i}`, attempts: 3, backoff: 1 });
      ids.push(added.id!);
    }

    startAgent(api, 'malformed-jobs');
    const real = await submitTiny(api, 'after-malformed');

    const failed = await explained(
      waitFor(
        async () => {
          const jobs = await queue.getFailed(0, -1);
          return jobs.length === malformed.length ? jobs : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'every malformed job failed' },
      ),
    );
    for (const [i, job] of malformed.entries()) {
      const found = failed.find((f) => f.id === ids[i])!;
      expect(found.failedReason, found.name).toMatch(job.why);
      expect(found.attemptsMade, `${found.name} was retried`).toBe(1);
    }

    await untilStatus(api, real, 'succeeded');
    await expectSucceededOnce(api, real);
    await expectJobCompleted(queue, real);
    // Nothing else was created by them: the only run is the real one.
    expect(await queue.getJobCounts('failed', 'waiting', 'delayed', 'active')).toEqual({
      failed: malformed.length,
      waiting: 0,
      delayed: 0,
      active: 0,
    });
  });
});
