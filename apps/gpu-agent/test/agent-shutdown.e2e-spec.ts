import { describe, expect, it } from 'vitest';

import { request, waitFor } from '../../api/test/support/runs-fixtures.js';
import { RUN_JOB_ATTEMPTS } from '../../api/src/queue/run-job-options.js';
import { mintToken } from '../../api/test/support/test-tokens.js';
import { isGroupAlive } from '../src/process/group-liveness.js';
import { recordedGroup, tempDir } from './support/agent-process.js';
import {
  attempts,
  e2eApi,
  eventTypes,
  metrics,
  openApiProxy,
  run,
  startAgent,
  submit,
  untilStatus,
  untilStep,
  useE2eApi,
} from './support/e2e-harness.js';

// SIGTERM to the agent (a host drained, a deploy): no new work, its runs stopped and reported,
// then exit; and when the API is gone too, a bounded wait instead of minutes of retries.

useE2eApi();

describe('gpu-agent shutdown', { timeout: 150_000 }, () => {
  it('on SIGTERM takes no new work, hands its run back and exits 0; another host finishes the run', async () => {
    const first = startAgent('e2e-term-a', 1, { FAKE_PRIME_RL_STEP_SECONDS: '1' });
    const id = await submit('e2e-term');
    await untilStep(id, 1);
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(['queued', 'running', 'succeeded']).toContain((await run(id)).status);

    // Another host: the checkpoints stayed on the first one, so it starts over, and says why.
    startAgent('e2e-term-b', 1);
    const done = await untilStatus(id, 'succeeded', 60_000);
    expect(done.attempt).toBe(2);
    expect(await eventTypes(id)).toContain('checkpoint-not-reachable');
    // The claim offered the first host's checkpoint; the record says where attempt 2 really began.
    expect((await attempts(id)).map((attempt) => attempt.resumeStep)).toEqual([null, null]);
    const steps = await metrics(id);
    expect(steps.map((step) => [step.step, step.n])).toEqual([0, 1, 2, 3, 4].map((step) => [step, 64]));
  });

  it('hands a run back on SIGTERM without spending its attempts: it outlives more agent restarts than it has', async () => {
    const id = await submit('e2e-term-many');
    for (let restart = 1; restart <= RUN_JOB_ATTEMPTS; restart += 1) {
      const agent = startAgent(`e2e-term-many-${restart}`, 1, { FAKE_PRIME_RL_STEP_SECONDS: '1' });
      await waitFor(
        async () => {
          const view = await run(id);
          return view.status === 'running' && view.attempt === restart;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: `attempt ${restart} running` },
      );
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toEqual({ code: 0, signal: null });
    }
    startAgent('e2e-term-many-last', 1);
    const done = await untilStatus(id, 'succeeded', 60_000);
    expect(done.attempt).toBe(RUN_JOB_ATTEMPTS + 1);
  });

  it('stops its run and exits 1 once the API revokes its token; another agent finishes the run', async () => {
    const token = await mintToken(e2eApi().app, 'agent', 'e2e-revoked', 'e2e-revoked');
    const workDir = tempDir();
    const knobs = { FAKE_PRIME_RL_STEP_SECONDS: '1', AGENT_API_TOKEN: token.token };
    const agent = startAgent('e2e-revoked', 1, knobs, workDir);
    const id = await submit('e2e-revoked');
    await untilStep(id, 0);
    const { pgid } = recordedGroup(workDir, id)!;
    const revoked = await request(`${e2eApi().url}/v1/tokens/${token.id}`, {
      method: 'DELETE',
      headers: e2eApi().authHeaders,
    });
    expect(revoked.status).toBe(200);

    // Before: it kept training, its batches refused (401) and counted as stored, for ever.
    expect(await agent.exited).toEqual({ code: 1, signal: null });
    expect(agent.stdout() + agent.stderr()).toMatch(/the API refuses this agent's token/);
    expect(await isGroupAlive(pgid)).toBe(false);
    startAgent('e2e-revoked-b', 1);
    expect((await untilStatus(id, 'succeeded', 60_000)).attempt).toBe(2);
  });

  it('on SIGTERM with the API unreachable too, stops its run, gives up reporting after its deadline and exits 1', async () => {
    const proxy = await openApiProxy();
    const workDir = tempDir();
    const knobs = { FAKE_PRIME_RL_STEP_SECONDS: '1', AGENT_SHUTDOWN_REPORT_MS: '1000' };
    const first = startAgent('e2e-term-cut', 1, knobs, workDir, proxy.url);
    const id = await submit('e2e-term-cut');
    await untilStep(id, 1);
    const { pgid } = recordedGroup(workDir, id)!;
    await proxy.close();
    first.child.kill('SIGTERM');
    // Without the deadline it would retry its reports for minutes (the test's timeout).
    const exit = await first.exited;
    expect(exit).toEqual({ code: 1, signal: null });
    expect(first.stdout() + first.stderr()).toMatch(/1 run\(s\) not reported within 3000 ms of the shutdown/);
    expect(await isGroupAlive(pgid)).toBe(false); // its prime-rl was stopped all the same

    // The API's reaper finds the run silent, re-queues it, and another host runs it to the end.
    await proxy.open();
    startAgent('e2e-term-cut-b', 1);
    const done = await untilStatus(id, 'succeeded', 60_000);
    expect(done.attempt).toBe(2);
    const steps = await metrics(id);
    expect(steps.map((step) => [step.step, step.n])).toEqual([0, 1, 2, 3, 4].map((step) => [step, 64]));
  });
});
