import { setTimeout as sleep } from 'node:timers/promises';

import {
  AGENT_API,
  QUEUES,
  runJobId,
  SPEC_VERSION,
  type AgentView,
  type ClaimRunResponse,
} from '@brier/contracts';
import { ImportRunRepository, RunRepository } from '@brier/database';
import { Queue, Worker, type Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RunEnqueuer } from '../src/queue/run-enqueuer.js';
import { RunReconciler } from '../src/queue/run-reconciler.js';
import {
  claimed,
  createRun,
  get,
  post,
  registerAgent,
  storeWholeSteps,
  waitFor,
  type TestAgent,
} from './support/agent-api.js';
import { startTestApi, TEST_REDIS_URL, type TestApi } from './support/test-api.js';

// Heartbeats every 200 ms, so a run silent for 600 ms is lost; the reaper looks every 100 ms.
const HEARTBEAT_MS = 200;
const LEASE_TIMEOUT_MS = 3 * HEARTBEAT_MS;

let api: TestApi;
let db: DataSource;
let queue: Queue;

beforeAll(async () => {
  api = await startTestApi({
    AGENT_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
    REAPER_INTERVAL_MS: '100',
    RECONCILE_INTERVAL_MS: '100',
    RECONCILE_GRACE_MS: '0',
  });
  db = api.app.get(DataSource);
  queue = new Queue(QUEUES.runs, { prefix: api.queuePrefix, connection: { url: TEST_REDIS_URL } });
});
afterAll(async () => {
  await queue?.close();
  await api?.close();
});

/** A gpu-agent's BullMQ side: takes run jobs and claims them, as the agent's processor will. */
function startWorker(
  agent: TestAgent,
  claimedRuns: ClaimRunResponse[],
  options: { hang?: boolean } = {},
): Worker {
  const worker = new Worker(
    QUEUES.runs,
    async (job: Job<{ runId: string }>) => {
      const claim = await claimed(agent.claim(job.data.runId, [0]));
      claimedRuns.push(claim);
      if (options.hang) await new Promise(() => {}); // runs until the process dies
    },
    {
      prefix: api.queuePrefix,
      connection: { url: TEST_REDIS_URL },
      lockDuration: 200,
      stalledInterval: 200,
      maxStalledCount: 1,
    },
  );
  worker.on('error', () => undefined);
  return worker;
}

async function runStatus(runId: string): Promise<string> {
  const [row] = await db.query<{ status: string }[]>(`SELECT status FROM runs WHERE id = $1`, [runId]);
  return row!.status;
}

describe('the reaper (real timers, small intervals)', () => {
  it('marks a silent run lost, re-queues it with its job back in the queue, and the next claim resumes', async () => {
    const crashing = await registerAgent(api, 'crashing-agent');
    expect(crashing.leaseTimeoutMs).toBe(LEASE_TIMEOUT_MS);
    const runId = await createRun(api);
    const run = (await api.app.get(RunRepository).findById(runId))!;
    await api.app.get(RunEnqueuer).enqueue(run);

    // The agent takes the job, claims the run, checkpoints, then dies: no more heartbeats, and its
    // BullMQ lock is no longer renewed.
    const firstClaims: ClaimRunResponse[] = [];
    const dying = startWorker(crashing, firstClaims, { hang: true });
    const first = await waitFor(() => firstClaims[0], { what: 'the first claim' });
    const report = (step: number, complete: boolean) =>
      post(api, AGENT_API.checkpoints(runId), {
        leaseToken: first.leaseToken,
        step,
        kind: 'trainer',
        path: `outputs/checkpoints/step_${step}/trainer`,
        complete,
      });
    expect((await report(10, true)).status).toBe(200);
    expect((await report(20, false)).status).toBe(200);
    await dying.close(true);

    // lost, then queued again with a waiting job under the same id
    await waitFor(async () => ((await runStatus(runId)) === 'queued' ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the run to be re-queued',
    });
    const transitions = await db.query<unknown[]>(
      `SELECT from_status, to_status, actor FROM run_events WHERE run_id = $1 AND type = 'status' ORDER BY id`,
      [runId],
    );
    expect(transitions).toEqual([
      { from_status: 'queued', to_status: 'running', actor: 'agent:crashing-agent' },
      { from_status: 'running', to_status: 'lost', actor: 'reaper' },
      { from_status: 'lost', to_status: 'queued', actor: 'reaper' },
    ]);
    const job = await waitFor(
      async () => {
        const state = await queue.getJobState(runJobId(runId));
        return state === 'waiting' ? queue.getJob(runJobId(runId)) : undefined;
      },
      { what: 'a waiting job' },
    );
    expect(job?.data).toMatchObject({ runId, resources: { gpuCount: 1 } });
    expect(await db.query(`SELECT status FROM run_attempts WHERE run_id = $1`, [runId])).toEqual([
      { status: 'lost' },
    ]);

    // The silent agent is offline too.
    const view = await waitFor(
      async () => {
        const answer = await get<AgentView>(api, `/v1/agents/${crashing.agentId}`);
        return answer.body.status === 'offline' ? answer.body : undefined;
      },
      { what: 'the agent to go offline' },
    );
    expect(view.runs).toEqual([]);

    // Another agent takes the re-added job and resumes from the last complete checkpoint (whose
    // steps' rollouts had arrived: stored here by the admin, the silent agent's lease being gone).
    await storeWholeSteps(api, runId, undefined, 10);
    const rescuer = await registerAgent(api, 'rescuer-agent');
    const secondClaims: ClaimRunResponse[] = [];
    const worker = startWorker(rescuer, secondClaims);
    try {
      const second = await waitFor(() => secondClaims[0], { what: 'the second claim' });
      expect(second).toMatchObject({ runId, attempt: 2, resumeStep: 10 });
      expect(await runStatus(runId)).toBe('running');
    } finally {
      await worker.close();
    }
  });

  it('leaves alone a run whose agent keeps heartbeating', async () => {
    const steady = await registerAgent(api, 'steady-agent');
    const runId = await createRun(api);
    const { leaseToken } = await claimed(steady.claim(runId));
    const until = Date.now() + 4 * LEASE_TIMEOUT_MS;
    for (;;) {
      const beat = await steady.heartbeat([{ runId, leaseToken }]);
      expect(beat.body).toMatchObject({ revoked: [] });
      if (Date.now() >= until) break;
      await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS / 2));
    }
    // Read right after a heartbeat, both in one snapshot: this process also runs the API's reaper,
    // so a pause of the machine between two later reads could make either look silent.
    const [row] = await db.query<{ run: string; agent: string }[]>(
      `SELECT r.status AS run, a.status AS agent FROM runs r JOIN agents a ON a.id = r.agent_id WHERE r.id = $1`,
      [runId],
    );
    expect(row).toEqual({ run: 'running', agent: 'online' });
  });
});

describe('import runs: processed inside the API, which heartbeats them itself', () => {
  /** An import run as ImportService makes it: queued, then (started) running with a fresh heartbeat. */
  async function importRun(options: { started: boolean }): Promise<string> {
    const runs = api.app.get(RunRepository);
    const { run } = await runs.create({
      kind: 'import',
      name: `abandoned import ${Math.random().toString(36).slice(2, 8)}`,
      spec: { source: 'upload', batchSize: 8 },
      specVersion: SPEC_VERSION,
      gpuCount: 0,
      createdBy: 'api',
    });
    if (options.started) {
      const running = await runs.transition(run.id, {
        from: ['queued'],
        to: 'running',
        actor: 'api',
        reason: 'import of results.csv',
      });
      expect(running?.status).toBe('running');
    }
    return run.id;
  }

  const statusEvents = (runId: string) =>
    db.query<{ from_status: string; to_status: string; actor: string; reason: string }[]>(
      `SELECT from_status, to_status, actor, reason FROM run_events
       WHERE run_id = $1 AND type = 'status' ORDER BY id`,
      [runId],
    );
  const becomes = (runId: string, status: string, what: string) =>
    waitFor(async () => ((await runStatus(runId)) === status ? true : undefined), {
      timeoutMs: 10_000,
      what,
    });
  /** Several more reaper and reconciler passes (both every 100 ms) must change nothing. */
  async function staysWithoutJob(runId: string, status: string): Promise<void> {
    await sleep(8 * 100);
    expect(await runStatus(runId)).toBe(status);
    expect(await queue.getJob(runJobId(runId))).toBeUndefined();
  }

  it('fails an import whose API process stopped heartbeating it: never lost, never a job', async () => {
    const runId = await importRun({ started: true });
    await becomes(runId, 'failed', 'the silent import to fail');
    expect(await statusEvents(runId)).toEqual([
      { from_status: 'queued', to_status: 'running', actor: 'api', reason: 'import of results.csv' },
      {
        from_status: 'running',
        to_status: 'failed',
        actor: 'reaper',
        reason: expect.stringMatching(
          /^import stopped: the API process importing it sent no heartbeat for more than 600 ms .*upload the files again$/,
        ) as unknown,
      },
    ]);
    const [row] = await db.query<
      { error: { message: string; retryable: boolean }; finished_at: Date | null }[]
    >(`SELECT error, finished_at FROM runs WHERE id = $1`, [runId]);
    expect(row?.error).toEqual({
      message: expect.stringMatching(/^import stopped/) as unknown,
      retryable: false,
    });
    expect(row?.finished_at).toBeInstanceOf(Date);
    await staysWithoutJob(runId, 'failed');
  });

  it('fails an import its API process created but never started; the reconciler never enqueues it', async () => {
    const runId = await importRun({ started: false });
    // Queued and unchanged past RECONCILE_GRACE_MS (0) for the whole lease timeout: several
    // reconciler passes looked at the queued runs before the reaper failed it. (The second call
    // is a pass that began after the run was created, whatever the first one joined.)
    const reconciler = api.app.get(RunReconciler);
    await reconciler.reconcileNow();
    expect((await reconciler.reconcileNow()).error).toBeUndefined();
    expect(await runStatus(runId)).toBe('queued');
    expect(await queue.getJob(runJobId(runId))).toBeUndefined();
    await becomes(runId, 'failed', 'the never-started import to fail');
    expect(await statusEvents(runId)).toEqual([
      {
        from_status: 'queued',
        to_status: 'failed',
        actor: 'reaper',
        reason: expect.stringMatching(
          /^import never began: .* within 600 ms; upload the files again$/,
        ) as unknown,
      },
    ]);
    expect(
      await db.query(`SELECT type FROM run_events WHERE run_id = $1 AND type = 'requeued'`, [runId]),
    ).toEqual([]);
    await staysWithoutJob(runId, 'failed');
  });

  it('leaves alone an import that keeps heartbeating', async () => {
    const runId = await importRun({ started: true });
    const imports = new ImportRunRepository(db);
    const until = Date.now() + 3 * LEASE_TIMEOUT_MS;
    while (Date.now() < until) {
      expect(await imports.heartbeat(runId)).toEqual({ cancelRequested: false });
      await sleep(HEARTBEAT_MS / 2);
    }
    expect(await runStatus(runId)).toBe('running');
    expect(await queue.getJob(runJobId(runId))).toBeUndefined();
    expect(await statusEvents(runId)).toHaveLength(1);
    // Its API process "finishes" it, so the reaper has nothing left to do with it.
    await api.app.get(RunRepository).transition(runId, { from: ['running'], to: 'succeeded', actor: 'api' });
  });

  it('fails an import that an earlier reaper made lost, instead of re-queueing it', async () => {
    const runId = await importRun({ started: true });
    const lost = await api.app
      .get(RunRepository)
      .transition(runId, { from: ['running'], to: 'lost', actor: 'test', reason: 'lost by an older reaper' });
    expect(lost?.status).toBe('lost');
    await becomes(runId, 'failed', 'the lost import to fail');
    expect((await statusEvents(runId)).slice(1)).toEqual([
      { from_status: 'running', to_status: 'lost', actor: 'test', reason: 'lost by an older reaper' },
      {
        from_status: 'lost',
        to_status: 'failed',
        actor: 'reaper',
        reason: 'an import run is processed by the API, never by an agent: not re-queued',
      },
    ]);
    await staysWithoutJob(runId, 'failed');
  });

  it('an agent cannot claim an import run', async () => {
    const agent = await registerAgent(api, 'import-claiming-agent');
    const runId = await importRun({ started: false });
    const answer = await agent.claim(runId, []);
    expect(answer.status).toBe(409);
    expect(JSON.stringify(answer.body)).toMatch(/import run is processed by the API/);
    expect(await db.query(`SELECT count(*)::int AS n FROM run_attempts WHERE run_id = $1`, [runId])).toEqual([
      { n: 0 },
    ]);
  });
});
