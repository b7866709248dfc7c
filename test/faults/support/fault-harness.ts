import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

import {
  cleanupAgents,
  FAKE_NVIDIA_SMI,
  FAKE_UV,
  fakeGpus,
  recordedGroup,
  spawnAgent,
  tempDir,
  type AgentProcess,
} from '../../../apps/gpu-agent/test/support/agent-process.js';

export { isAlive } from '../../../apps/gpu-agent/test/support/agent-process.js';
import { openRunsQueue, request, sql, waitFor } from '../../../apps/api/test/support/runs-fixtures.js';
import { startTestApi, TEST_REDIS_URL, type TestApi } from '../../../apps/api/test/support/test-api.js';

/**
 * What every fault scenario needs: real agents (their own processes, the fake prime-rl, the fake
 * nvidia-smi) against a test API, tiny runs, and the "nothing lost, nothing doubled" checks.
 */

// The API's rollout parse threads run its TypeScript sources through SWC in tests, and a worker
// thread loading @swc/core's native addon can take the whole test process down (SIGSEGV in
// napi_register_module_v1, about one run in three of redis-restart). Production runs the built
// JavaScript; the fault suite parses in the API's own thread.
process.env['ROLLOUTS_PARSE_THREADS'] ??= '0';

/** A tiny training run: 3 steps × 8 rollouts (one question × 8), a checkpoint after every step. */
export const TINY = { steps: 3, batch: 8 } as const;
const TINY_SPEC = { maxSteps: TINY.steps, batchSize: TINY.batch, rolloutsPerExample: 8 };

/**
 * Short timers on the API side: heartbeats every 1 s, lost after 3 s (shorter leases make a
 * loaded 2-core machine lose healthy runs), reaper and reconciler every 300 ms.
 */
export const FAST_API_ENV = {
  AGENT_HEARTBEAT_INTERVAL_MS: '1000',
  REAPER_INTERVAL_MS: '300',
  RECONCILE_INTERVAL_MS: '300',
  RECONCILE_GRACE_MS: '300',
};

export interface RunView {
  id: string;
  status: string;
  attempt: number;
  progressStep: number | null;
  error: { message: string; retryable?: boolean } | null;
}

export interface StartedAgent extends AgentProcess {
  name: string;
  workDir: string;
}

/** The agents a test started: their output is attached to a failed wait (see explained). */
const started: StartedAgent[] = [];

export interface AgentOptions {
  gpus?: number;
  /** FAKE_PRIME_RL_* knobs and agent settings, over the defaults below. */
  env?: Record<string, string>;
  workDir?: string;
  /** Where the agent finds the API (a proxy in front of it, say); the API's own URL by default. */
  apiUrl?: string;
  /** Where the agent finds Redis; the shared test Redis by default. */
  redisUrl?: string;
}

/** The real agent, configured for fast faults: 2 s job locks, 300 ms hand-back, 1 s stop grace. */
export function startAgent(api: TestApi, name: string, options: AgentOptions = {}): StartedAgent {
  const workDir = options.workDir ?? tempDir();
  // The agent token: spawnAgent's (the test APIs' shared agent token) unless options.env has one.
  const agent = spawnAgent({
    API_URL: options.apiUrl ?? api.url,
    REDIS_URL: options.redisUrl ?? TEST_REDIS_URL,
    BRIER_QUEUE_PREFIX: api.queuePrefix,
    AGENT_NAME: name,
    AGENT_WORK_DIR: workDir,
    UV_BIN: FAKE_UV,
    PRIME_RL_DIR: tempDir('brier-prime-rl-'),
    NVIDIA_SMI_BIN: FAKE_NVIDIA_SMI,
    FAKE_NVIDIA_SMI_STATE: fakeGpus(options.gpus ?? 1),
    RUN_STOP_GRACE_MS: '1000',
    AGENT_HANDBACK_DELAY_MS: '300',
    AGENT_JOB_LOCK_MS: '2000',
    ...options.env,
  });
  const entry = { ...agent, name, workDir };
  started.push(entry);
  return entry;
}

/** SIGKILLs what is left of this test's agents and removes their directories (afterEach). */
export async function stopAgents(): Promise<void> {
  started.splice(0);
  await cleanupAgents();
}

/**
 * The cleanups a test registers as it goes (a database, a proxy, a second API, a private Redis),
 * run last first after each test, once its agents are stopped. Push onto the array returned.
 */
export function cleanupsAfterEach(): (() => Promise<unknown>)[] {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    await stopAgents();
    while (cleanups.length > 0) await cleanups.pop()!();
  });
  return cleanups;
}

/** `wait`, or its error with every agent's output appended: the first thing to read when a wait fails. */
export async function explained<T>(wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (error) {
    const said = started.map((a) => `--- agent ${a.name} ---\n${a.stdout()}${a.stderr()}`);
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${said.join('\n')}`, {
      cause: error,
    });
  }
}

/** Submits a tiny train run (or `body` over it); its id. */
export async function submitTiny(
  api: TestApi,
  name: string,
  body: Record<string, unknown> = {},
): Promise<string> {
  const answer = await request<RunView>(`${api.url}/v1/runs`, {
    method: 'POST',
    headers: api.authHeaders,
    json: { preset: 'smoke-tiny', name, spec: TINY_SPEC, ...body },
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  return answer.body.id;
}

export async function runView(api: TestApi, id: string): Promise<RunView> {
  const answer = await request<RunView>(`${api.url}/v1/runs/${id}`, { headers: api.authHeaders });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

/** Waits for the run to reach `status` (a final status other than it fails at once). */
export function untilStatus(api: TestApi, id: string, status: string, timeoutMs = 60_000): Promise<RunView> {
  return explained(
    waitFor(
      async () => {
        const current = await runView(api, id);
        const final = ['succeeded', 'failed', 'cancelled'].includes(current.status);
        if (final && current.status !== status) {
          throw new Error(`run ${id} ended ${current.status}, not ${status}: ${JSON.stringify(current)}`);
        }
        return current.status === status ? current : undefined;
      },
      { timeoutMs, intervalMs: 150, what: `run ${id} ${status}` },
    ),
  );
}

/** Waits until the run has stored at least step `step` (progressStep). */
export function untilStep(api: TestApi, id: string, step: number, timeoutMs = 30_000): Promise<RunView> {
  return explained(
    waitFor(
      async () => {
        const current = await runView(api, id);
        return (current.progressStep ?? -1) >= step ? current : undefined;
      },
      { timeoutMs, intervalMs: 100, what: `run ${id} at step ${step}` },
    ),
  );
}

export interface AttemptRow {
  number: number;
  status: string;
  exit_code: number | null;
  signal: string | null;
  error: { message: string; retryable?: boolean } | null;
  /** The checkpoint step it was told to resume from; null for a fresh start. */
  resume_step: number | null;
}

export async function attempts(api: TestApi, runId: string): Promise<AttemptRow[]> {
  return sql<AttemptRow>(
    api.db.url,
    'SELECT number, status, exit_code, signal, error, resume_step FROM run_attempts WHERE run_id = $1 ORDER BY number',
    [runId],
  );
}

/**
 * Nothing lost, nothing doubled: the run succeeded through exactly one succeeded attempt, every
 * step's metrics count exactly `batch` rollouts (the current attempt's), no step and attempt holds
 * more than `batch` rows, and no attempt is left running.
 */
export async function expectSucceededOnce(
  api: TestApi,
  runId: string,
  { steps = TINY.steps, batch = TINY.batch } = {},
): Promise<AttemptRow[]> {
  expect((await runView(api, runId)).status).toBe('succeeded');
  const rows = await attempts(api, runId);
  expect(
    rows.filter((a) => a.status === 'succeeded'),
    JSON.stringify(rows),
  ).toHaveLength(1);
  expect(rows.filter((a) => a.status === 'running')).toEqual([]);
  const metrics = await request<{ step: number; n: number }[]>(`${api.url}/v1/runs/${runId}/metrics`, {
    headers: api.authHeaders,
  });
  expect(metrics.body.map((m) => [m.step, m.n])).toEqual(
    Array.from({ length: steps }, (_, step) => [step, batch]),
  );
  const fullest = await sql<{ n: string }>(
    api.db.url,
    `SELECT coalesce(max(n), 0) AS n FROM (SELECT count(*) AS n FROM rollouts WHERE run_id = $1
       GROUP BY step, attempt) per_step_attempt`,
    [runId],
  );
  expect(Number(fullest[0]!.n)).toBe(batch);
  return rows;
}

/** The run's BullMQ job ended `completed` (a job id exists once, so it ran to an end once). */
export async function expectJobCompleted(queue: Queue, runId: string): Promise<void> {
  expect(await queue.getJobState(`run-${runId}`)).toBe('completed');
}

/**
 * Waits until the queue holds nothing more to deliver (a job redelivered after a fault may sit
 * delayed, handed back, until an agent sees its run is finished and drops it), promoting delayed jobs.
 */
export async function drainQueue(queue: Queue): Promise<void> {
  await promoteDelayedUntil(queue, async () => {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return Object.values(counts).every((n) => n === 0);
  });
}

/**
 * Moves delayed jobs (BullMQ's retry backoff, 5–20 s, or a hand-back) to waiting now, until
 * `done` says stop: a test waits for the retry, not for the clock.
 */
export async function promoteDelayedUntil(queue: Queue, done: () => Promise<boolean>, timeoutMs = 60_000) {
  await explained(
    waitFor(
      async () => {
        if (await done()) return true;
        for (const job of await queue.getDelayed()) await job.promote().catch(() => undefined);
        return false;
      },
      { timeoutMs, intervalMs: 200, what: 'delayed jobs to be retried' },
    ),
  );
}

/** Every live process whose process group is `pgid` (/proc/<pid>/stat's 5th field). */
export function processesInGroup(pgid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

export { sleep, sql, request, waitFor, tempDir, recordedGroup };

/**
 * The hooks most fault files share: one API (FAST_API_ENV) and its runs queue for the file's
 * tests, handed to `started` once up, closed after them; agents stopped after each test.
 */
export function faultSuite(started: (suite: { api: TestApi; queue: Queue }) => void): void {
  let suite: { api: TestApi; queue: Queue } | undefined;
  beforeAll(async () => {
    const api = await startTestApi(FAST_API_ENV);
    suite = { api, queue: openRunsQueue(api) };
    started(suite);
  });
  afterAll(async () => {
    await suite?.queue.close();
    await suite?.api.close();
  });
  afterEach(stopAgents);
}
