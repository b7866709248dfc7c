import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';

import type { TestApi } from '../../apps/api/test/support/test-api.js';
import { tempDir } from '../../apps/gpu-agent/test/support/agent-process.js';
import {
  attempts,
  expectJobCompleted,
  expectSucceededOnce,
  isAlive,
  processesInGroup,
  promoteDelayedUntil,
  request,
  runView,
  startAgent,
  submitTiny,
  untilStatus,
  untilStep,
  waitFor,
  faultSuite,
  recordedGroup,
} from './support/fault-harness.js';

// reliability.md §2.11 #8-#10: prime-rl (the fake, told to misbehave) crashes, is OOM-killed,
// fails on its config, ignores signals and forks grandchildren. Each attempt gets the verdict its
// exit deserves (retryable or not), the run ends once, and no process of it outlives it.

let api: TestApi;
let queue: Queue;
faultSuite((suite) => ({ api, queue } = suite));

/** Every grandchild PID the fake wrote for this run, in any attempt's (archived) logs folder. */
function grandchildren(workDir: string, runId: string): number[] {
  const rl = join(workDir, 'runs', runId, 'rl');
  if (!existsSync(rl)) return [];
  return readdirSync(rl)
    .filter((entry) => entry.startsWith('logs'))
    .map((entry) => join(rl, entry, 'fake-grandchild.pid'))
    .filter((file) => existsSync(file))
    .map((file) => Number(readFileSync(file, 'utf8').trim()));
}

/** BullMQ's retry backoff is 5-20 s: promote the delayed job until the run ends. */
async function retriedUntilFinal(runId: string): Promise<void> {
  await promoteDelayedUntil(queue, async () =>
    ['succeeded', 'failed', 'cancelled'].includes((await runView(api, runId)).status),
  );
}

describe('child processes that fail', { timeout: 120_000 }, () => {
  it('a crash mid-run is retried and resumes from its checkpoint; its grandchildren die with it', async () => {
    const agent = startAgent(api, 'child-crash', {
      env: {
        FAKE_PRIME_RL_CRASH_AT_STEP: '1',
        FAKE_PRIME_RL_FAULT_LAUNCHES: '1',
        FAKE_PRIME_RL_FORK_GRANDCHILD: '1',
      },
    });
    const id = await submitTiny(api, 'child-crash');
    await retriedUntilFinal(id);
    const rows = await expectSucceededOnce(api, id);
    expect(rows.map((a) => [a.number, a.status, a.exit_code])).toEqual([
      [1, 'failed', 1],
      [2, 'succeeded', 0],
    ]);
    expect(rows[0]!.error).toMatchObject({ retryable: true });
    await expectJobCompleted(queue, id);
    const pids = grandchildren(agent.workDir, id);
    expect(pids).toHaveLength(2);
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it('exit 137 (the OOM killer) is retryable and says so', async () => {
    startAgent(api, 'child-oom', {
      env: {
        FAKE_PRIME_RL_CRASH_AT_STEP: '2',
        FAKE_PRIME_RL_EXIT_CODE: '137',
        FAKE_PRIME_RL_FAULT_LAUNCHES: '1',
      },
    });
    const id = await submitTiny(api, 'child-oom');
    await retriedUntilFinal(id);
    const rows = await expectSucceededOnce(api, id);
    expect(rows.map((a) => [a.status, a.exit_code])).toEqual([
      ['failed', 1],
      ['succeeded', 0],
    ]);
    expect(rows[0]!.error).toMatchObject({
      retryable: true,
      message: expect.stringMatching(/OOM killer/) as unknown,
    });
  });

  it('a config the trainer refuses fails the run at once: no retry, the job in the failed set', async () => {
    startAgent(api, 'child-config', { env: { FAKE_PRIME_RL_REJECT_KEY: 'max_async_level' } });
    const id = await submitTiny(api, 'child-config');
    const run = await untilStatus(api, id, 'failed', 30_000);
    expect(run.error).toMatchObject({
      retryable: false,
      message: expect.stringMatching(/ValidationError/) as unknown,
    });
    expect((await attempts(api, id)).map((a) => a.status)).toEqual(['failed']);
    const job = (await queue.getJob(`run-${id}`))!;
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
  });

  it("an environment prime-rl cannot import fails the run at once, although only the orchestrator's log says why", async () => {
    // rl.py's own console says only "Orchestrator failed with exit code 1"; the traceback is in
    // logs/orchestrator.stdout. Retrying would fail the same way, three times over.
    startAgent(api, 'child-no-env', { env: { FAKE_PRIME_RL_ENV_DIR: tempDir('brier-no-env-') } });
    const id = await submitTiny(api, 'child-no-env');
    const run = await untilStatus(api, id, 'failed', 30_000);
    expect(run.error).toMatchObject({
      retryable: false,
      message: expect.stringMatching(/a Python module could not be imported.*calibrated_qa/) as unknown,
    });
    expect((await attempts(api, id)).map((a) => [a.status, a.exit_code])).toEqual([['failed', 1]]);
  });

  it('a crash on every attempt uses the whole retry budget, then the run fails, visible in the API', async () => {
    startAgent(api, 'child-crash-always', { env: { FAKE_PRIME_RL_CRASH_AT_STEP: '0' } });
    const id = await submitTiny(api, 'child-crash-always');
    await retriedUntilFinal(id);
    const run = await runView(api, id);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ retryable: false });
    const rows = await attempts(api, id);
    expect(rows.map((a) => [a.status, a.exit_code])).toEqual([
      ['failed', 1],
      ['failed', 1],
      ['failed', 1],
    ]);
    expect(rows.map((a) => a.error?.retryable)).toEqual([true, true, false]);
    const job = (await queue.getJob(`run-${id}`))!;
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(3);
  });

  it('a child that ignores SIGINT and SIGTERM, with a grandchild that does too, is killed on cancel', async () => {
    const agent = startAgent(api, 'child-stubborn', {
      env: {
        FAKE_PRIME_RL_STEP_SECONDS: '5',
        FAKE_PRIME_RL_IGNORE_SIGINT: '1',
        FAKE_PRIME_RL_IGNORE_SIGTERM: '1',
        FAKE_PRIME_RL_FORK_GRANDCHILD: '1',
      },
    });
    const id = await submitTiny(api, 'child-stubborn');
    await untilStatus(api, id, 'running', 30_000);
    const [grandchild] = await waitFor(
      () => Promise.resolve(grandchildren(agent.workDir, id).length > 0 && grandchildren(agent.workDir, id)),
      { timeoutMs: 20_000, intervalMs: 100, what: 'the grandchild' },
    );
    const pgid = recordedGroup(agent.workDir, id)!.pgid;
    const cancel = await request(`${api.url}/v1/runs/${id}/cancel`, {
      method: 'POST',
      headers: api.authHeaders,
      json: {},
    });
    expect(cancel.status).toBeLessThan(300);
    await untilStatus(api, id, 'cancelled', 20_000);
    expect(isAlive(grandchild!)).toBe(false);
    expect(processesInGroup(pgid)).toEqual([]);
    expect((await attempts(api, id)).map((a) => [a.status, a.signal])).toEqual([['cancelled', 'SIGKILL']]);
  });
});

describe('a child that hangs', { timeout: 60_000 }, () => {
  it('is stopped by the no-output watchdog and the attempt fails as a timeout, then the retry succeeds', async () => {
    startAgent(api, 'child-hang', {
      env: { FAKE_PRIME_RL_HANG: '1', FAKE_PRIME_RL_FAULT_LAUNCHES: '1', RUN_STALL_TIMEOUT_MS: '3000' },
    });
    const id = await submitTiny(api, 'child-hang');
    await untilStep(api, id, 0);
    await retriedUntilFinal(id);
    const rows = await expectSucceededOnce(api, id);
    expect(rows.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(rows[0]!.error).toMatchObject({
      retryable: true,
      message: expect.stringMatching(/no output/) as unknown,
    });
  });
});
