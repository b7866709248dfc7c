import { AGENT_API, type AgentView, type ClaimRunResponse } from '@brier/contracts';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RunReaper } from '../src/agents/run-reaper.js';
import {
  claimed,
  createRun,
  get,
  post,
  registerAgent,
  storeWholeSteps,
  TEST_RUN_BATCH,
  type Answer,
} from './support/agent-api.js';
import { ndjson, postRollouts } from './support/rollout-api.js';
import { startTestApi, type TestApi } from './support/test-api.js';

let api: TestApi;
let db: DataSource;

beforeAll(async () => {
  // The reaper runs only when a test asks (reapNow), so that timings never race the assertions.
  api = await startTestApi({ REAPER_INTERVAL_MS: '0', REAPER_GRACE_MS: '0', RUN_MAX_LOST_ATTEMPTS: '2' });
  db = api.app.get(DataSource);
});
afterAll(() => api?.close());

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await db.query<{ n: string }[]>(`SELECT count(*) AS n FROM (${sql}) AS t`, params);
  return Number(row?.n);
}

async function runRow(runId: string): Promise<Record<string, unknown>> {
  const [row] = await db.query<Record<string, unknown>[]>(`SELECT * FROM runs WHERE id = $1`, [runId]);
  return row!;
}

/** Everything an agent's writes could have touched for a run. */
async function footprint(runId: string): Promise<Record<string, number>> {
  return {
    logs: await count(`SELECT 1 FROM run_logs WHERE run_id = $1`, [runId]),
    events: await count(`SELECT 1 FROM run_events WHERE run_id = $1`, [runId]),
    checkpoints: await count(`SELECT 1 FROM checkpoints WHERE run_id = $1`, [runId]),
    steps: await count(`SELECT 1 FROM orchestrator_steps WHERE run_id = $1`, [runId]),
    attempts: await count(`SELECT 1 FROM run_attempts WHERE run_id = $1`, [runId]),
  };
}

/** A 409 whose body has these fields (reason, status). */
function expectConflict(answer: Answer, fields: Record<string, unknown>): void {
  expect(answer.status).toBe(409);
  expect(answer.body).toMatchObject(fields);
}

/** Make a run look silent for an hour, then run one reaper pass. */
async function silenceAndReap(runId: string): Promise<void> {
  await db.query(`UPDATE runs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [runId]);
  await api.app.get(RunReaper).reapNow();
}

describe('the agent-facing API against real Postgres and Redis', () => {
  it('register → claim → progress → logs (a replayed batch is a no-op) → checkpoint → finish', async () => {
    const agent = await registerAgent(api, 'happy-agent');
    expect(agent.heartbeatIntervalMs).toBe(10_000);
    expect(agent.leaseTimeoutMs).toBe(30_000);
    expect(agent.voidedRunIds).toEqual([]);
    const runId = await createRun(api, { gpuCount: 2, labels: ['a100'] });

    const claim = await claimed(agent.claim(runId, [0, 1]));
    expect(claim).toMatchObject({ runId, kind: 'train', attempt: 1, specVersion: 1, resumeStep: null });
    expect(claim.spec).toEqual({ model: 'google/gemma-2-2b-it', maxSteps: 50, batchSize: TEST_RUN_BATCH });
    const lease = claim.leaseToken;

    const progress = await post(api, AGENT_API.progress(runId), {
      leaseToken: lease,
      step: 1,
      orchestrator: [
        { step: 0, timeS: 8.98, reward: 0.3787, seqLen: 473.6, asyncLevel: 0, offPolicyLevel: 0 },
        {
          step: 1,
          timeS: 7.5,
          reward: 0.41,
          filteredCount: 2,
          filteredTotal: 64,
          filtered: { gibberish: 2 },
        },
      ],
    });
    expect(progress).toEqual({ status: 200, body: { progressStep: 1, orchestratorSteps: 2 } });
    // progress never goes back within an attempt
    expect((await post(api, AGENT_API.progress(runId), { leaseToken: lease, step: 0 })).body).toEqual({
      progressStep: 1,
      orchestratorSteps: 0,
    });

    const batch = { leaseToken: lease, attempt: 1, stream: 'stdout', firstSeq: 0, lines: ['a', 'b', 'c'] };
    expect(await post(api, AGENT_API.logs(runId), batch)).toEqual({
      status: 200,
      body: { inserted: 3, skipped: 0 },
    });
    expect(await post(api, AGENT_API.logs(runId), batch)).toEqual({
      status: 200,
      body: { inserted: 0, skipped: 3 },
    });
    const overlapping = { ...batch, firstSeq: 2, lines: ['c', 'd'] };
    expect((await post(api, AGENT_API.logs(runId), overlapping)).body).toEqual({ inserted: 1, skipped: 1 });

    const event = await post(api, AGENT_API.events(runId), {
      leaseToken: lease,
      type: 'reward-mismatch',
      message: 'step 1: trainer 0.41, brier 0.40',
      data: { step: 1 },
    });
    expect(event.status).toBe(200);

    const checkpoint = {
      leaseToken: lease,
      step: 1,
      kind: 'trainer',
      path: 'outputs/checkpoints/step_1/trainer',
    };
    expect((await post(api, AGENT_API.checkpoints(runId), { ...checkpoint, complete: false })).status).toBe(
      200,
    );
    expect((await post(api, AGENT_API.checkpoints(runId), { ...checkpoint, complete: true })).status).toBe(
      200,
    );

    const heartbeat = await agent.heartbeat([{ runId, leaseToken: lease, step: 1 }]);
    expect(heartbeat).toEqual({
      status: 200,
      body: { ok: true, cancel: [], revoked: [], heartbeatIntervalMs: 10_000 },
    });

    const fleet = await get<AgentView>(api, `/v1/agents/${agent.agentId}`);
    expect(fleet.status).toBe(200);
    expect(fleet.body).toMatchObject({ name: 'happy-agent', status: 'online', labels: ['a100'] });
    expect(fleet.body.runs).toEqual([
      expect.objectContaining({ runId, attempt: 1, gpuIndices: [0, 1], progressStep: 1 }),
    ]);
    expect(fleet.body.gpus.map((g) => g.runId)).toEqual([runId, runId]);
    expect(fleet.body.heartbeatAgeMs).toBeLessThan(5_000);

    const finish = await post(api, AGENT_API.finish(runId), {
      leaseToken: lease,
      outcome: 'succeeded',
      exitCode: 0,
    });
    expect(finish).toEqual({ status: 200, body: { status: 'succeeded', attempt: 1, replayed: false } });
    // A finish retried after a lost answer is answered again, not refused.
    const again = await post(api, AGENT_API.finish(runId), {
      leaseToken: lease,
      outcome: 'succeeded',
      exitCode: 0,
    });
    expect(again).toEqual({ status: 200, body: { status: 'succeeded', attempt: 1, replayed: true } });

    expect(await runRow(runId)).toMatchObject({
      status: 'succeeded',
      exit_code: 0,
      progress_step: 1,
      attempt: 1,
    });
    const [attempt] = await db.query<unknown[]>(
      `SELECT status, exit_code, gpu_indices FROM run_attempts WHERE run_id = $1`,
      [runId],
    );
    expect(attempt).toEqual({ status: 'succeeded', exit_code: 0, gpu_indices: [0, 1] });
    expect(
      await db.query(
        `SELECT step, reward, filtered FROM orchestrator_steps WHERE run_id = $1 ORDER BY step`,
        [runId],
      ),
    ).toEqual([
      { step: 0, reward: 0.3787, filtered: null },
      { step: 1, reward: 0.41, filtered: { gibberish: 2 } },
    ]);
    expect(await db.query(`SELECT seq, line FROM run_logs WHERE run_id = $1 ORDER BY seq`, [runId])).toEqual(
      ['a', 'b', 'c', 'd'].map((line, seq) => ({ seq: String(seq), line })),
    );
    expect(
      await db.query(`SELECT step, kind, complete, attempt FROM checkpoints WHERE run_id = $1`, [runId]),
    ).toEqual([{ step: 1, kind: 'trainer', complete: true, attempt: 1 }]);
    const events = await db.query<{ type: string; to_status: string | null; actor: string }[]>(
      `SELECT type, to_status, actor FROM run_events WHERE run_id = $1 ORDER BY id`,
      [runId],
    );
    expect(events).toEqual([
      { type: 'created', to_status: 'queued', actor: 'api' },
      { type: 'status', to_status: 'running', actor: 'agent:happy-agent' },
      { type: 'reward-mismatch', to_status: null, actor: 'agent:happy-agent' },
      { type: 'status', to_status: 'succeeded', actor: 'agent:happy-agent' },
    ]);
    // The finished run frees its GPUs.
    expect((await get<AgentView>(api, `/v1/agents/${agent.agentId}`)).body.runs).toEqual([]);
    // A terminal run cannot be claimed: 409 naming its status (the agent drops the job).
    expectConflict(await agent.claim(runId, [0, 1]), { reason: 'not-claimable', status: 'succeeded' });
  });

  it('two agents racing to claim one run: exactly one 200, one 409, one lease', async () => {
    const [first, second] = await Promise.all([registerAgent(api, 'racer-1'), registerAgent(api, 'racer-2')]);
    for (let round = 0; round < 5; round++) {
      // Runs that need no GPU, so the winners of earlier rounds keep none busy.
      const runId = await createRun(api, { gpuCount: 0 });
      const answers = await Promise.all([first.claim(runId, []), second.claim(runId, [])]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
      const loser = answers.find((a) => a.status === 409)!;
      expect(loser.body).toMatchObject({ reason: 'not-claimable', status: 'running' });
      const winner = answers.find((a) => a.status === 200)!.body as unknown as ClaimRunResponse;
      expect(await count(`SELECT 1 FROM run_attempts WHERE run_id = $1`, [runId])).toBe(1);
      expect(
        await count(`SELECT 1 FROM run_events WHERE run_id = $1 AND to_status = 'running'`, [runId]),
      ).toBe(1);
      expect(await runRow(runId)).toMatchObject({ lease_token: winner.leaseToken, attempt: 1 });
    }
  });

  it('a stale lease (reaped, re-queued and claimed by another agent) gets 409 on every write and writes nothing', async () => {
    const [old, next] = await Promise.all([
      registerAgent(api, 'stale-old'),
      registerAgent(api, 'stale-next'),
    ]);
    const runId = await createRun(api);
    const first = await claimed(old.claim(runId));
    expect(
      (
        await post(api, AGENT_API.logs(runId), {
          leaseToken: first.leaseToken,
          attempt: 1,
          stream: 'stdout',
          firstSeq: 0,
          lines: ['before'],
        })
      ).status,
    ).toBe(200);

    await silenceAndReap(runId);
    expect(await runRow(runId)).toMatchObject({ status: 'queued', lease_token: null, agent_id: null });
    const second = await claimed(next.claim(runId));
    expect(second.attempt).toBe(2);
    const before = await footprint(runId);

    const stale = first.leaseToken;
    const writes = [
      post(api, AGENT_API.progress(runId), {
        leaseToken: stale,
        step: 5,
        orchestrator: [{ step: 5, reward: 1 }],
      }),
      post(api, AGENT_API.logs(runId), {
        leaseToken: stale,
        attempt: 1,
        stream: 'stdout',
        firstSeq: 1,
        lines: ['x'],
      }),
      post(api, AGENT_API.logs(runId), {
        leaseToken: stale,
        attempt: 2,
        stream: 'stdout',
        firstSeq: 0,
        lines: ['x'],
      }),
      post(api, AGENT_API.events(runId), { leaseToken: stale, type: 'warning', message: 'late' }),
      post(api, AGENT_API.checkpoints(runId), {
        leaseToken: stale,
        step: 5,
        kind: 'trainer',
        path: 'ckpt/5',
        complete: true,
      }),
      post(api, AGENT_API.finish(runId), { leaseToken: stale, outcome: 'succeeded', exitCode: 0 }),
    ];
    for (const answer of await Promise.all(writes)) {
      expectConflict(answer, { reason: 'lease-lost', status: 'running' });
    }
    expect(await footprint(runId)).toEqual(before);
    expect(await runRow(runId)).toMatchObject({
      status: 'running',
      lease_token: second.leaseToken,
      progress_step: null,
    });
    // The old agent's heartbeat tells it to kill the run; the new one's keeps it.
    expect((await old.heartbeat([{ runId, leaseToken: stale }])).body).toMatchObject({
      revoked: [runId],
      cancel: [],
    });
    expect((await next.heartbeat([{ runId, leaseToken: second.leaseToken }])).body).toMatchObject({
      revoked: [],
    });
    const lost = await db.query<unknown[]>(
      `SELECT from_status, to_status, actor FROM run_events WHERE run_id = $1 AND type = 'status' ORDER BY id`,
      [runId],
    );
    expect(lost).toEqual([
      { from_status: 'queued', to_status: 'running', actor: 'agent:stale-old' },
      { from_status: 'running', to_status: 'lost', actor: 'reaper' },
      { from_status: 'lost', to_status: 'queued', actor: 'reaper' },
      { from_status: 'queued', to_status: 'running', actor: 'agent:stale-next' },
    ]);
  });

  it('a heartbeat returns cancel for a cancel-requested run, which then finishes cancelled', async () => {
    const agent = await registerAgent(api, 'cancel-agent');
    const runId = await createRun(api);
    const { leaseToken } = await claimed(agent.claim(runId));
    expect((await agent.heartbeat([{ runId, leaseToken }])).body).toMatchObject({ cancel: [] });
    await db.query(`UPDATE runs SET cancel_requested_at = now() WHERE id = $1`, [runId]);
    expect((await agent.heartbeat([{ runId, leaseToken }])).body).toMatchObject({
      cancel: [runId],
      revoked: [],
    });
    const finish = await post(api, AGENT_API.finish(runId), {
      leaseToken,
      outcome: 'cancelled',
      signal: 'SIGINT',
    });
    expect(finish.body).toEqual({ status: 'cancelled', attempt: 1, replayed: false });
    expect(await runRow(runId)).toMatchObject({ status: 'cancelled' });
    // A queued run whose cancel was requested is not claimable either.
    const other = await createRun(api);
    await db.query(`UPDATE runs SET cancel_requested_at = now() WHERE id = $1`, [other]);
    expect((await agent.claim(other)).body).toMatchObject({ reason: 'not-claimable', status: 'queued' });
    expect(await count(`SELECT 1 FROM run_attempts WHERE run_id = $1`, [other])).toBe(0);
  });

  it('re-registering a name voids the leases of the previous incarnation', async () => {
    const before = await registerAgent(api, 'restarting-agent');
    const runId = await createRun(api);
    const { leaseToken } = await claimed(before.claim(runId));

    const after = await registerAgent(api, 'restarting-agent');
    expect(after.agentId).toBe(before.agentId);
    expect(after.incarnation).not.toBe(before.incarnation);
    expect(after.voidedRunIds).toEqual([runId]);
    expect(await runRow(runId)).toMatchObject({ status: 'queued', lease_token: null });
    expect(await db.query(`SELECT status FROM run_attempts WHERE run_id = $1`, [runId])).toEqual([
      { status: 'lost' },
    ]);

    // The old incarnation is refused everywhere: it must re-register, and its run is gone.
    expectConflict(await before.heartbeat([{ runId, leaseToken }]), { reason: 'stale-agent' });
    expect((await before.claim(runId)).body).toMatchObject({ reason: 'stale-agent' });
    expect((await post(api, AGENT_API.progress(runId), { leaseToken, step: 1 })).body).toMatchObject({
      reason: 'lease-lost',
      status: 'queued',
    });
    const again = await claimed(after.claim(runId));
    expect(again.attempt).toBe(2);
  });

  it('a retryable failure puts the run back to queued; the next claim resumes from the last complete checkpoint', async () => {
    const agent = await registerAgent(api, 'retry-agent');
    const runId = await createRun(api);
    const { leaseToken } = await claimed(agent.claim(runId));
    const report = (step: number, kind: string, complete: boolean) =>
      post(api, AGENT_API.checkpoints(runId), {
        leaseToken,
        step,
        kind,
        path: `out/step_${step}/${kind}`,
        complete,
      });
    await storeWholeSteps(api, runId, leaseToken, 20);
    for (const answer of await Promise.all([
      report(10, 'trainer', true),
      report(20, 'trainer', true),
      report(30, 'trainer', false), // being written when it crashed
      report(40, 'weights', true), // not resumable state
    ])) {
      expect(answer.status).toBe(200);
    }
    const finish = await post(api, AGENT_API.finish(runId), {
      leaseToken,
      outcome: 'failed',
      exitCode: 137,
      error: { message: 'OOM killed', stderrTail: 'Killed', retryable: true },
    });
    expect(finish.body).toEqual({ status: 'queued', attempt: 1, replayed: false });
    expect(await runRow(runId)).toMatchObject({
      status: 'queued',
      lease_token: null,
      exit_code: 137,
      error: { message: 'OOM killed', stderrTail: 'Killed', retryable: true, exitCode: 137, signal: null },
    });

    const resumed = await claimed(agent.claim(runId));
    expect(resumed).toMatchObject({ attempt: 2, resumeStep: 20 });
    expect(resumed.resumeCheckpoint).toEqual({
      step: 20,
      attempt: 1,
      agentId: agent.agentId,
      path: 'out/step_20/trainer',
      fingerprint: null, // reported without one
    });
    // The older complete trainer checkpoint, in case step 20's files are not usable on the host.
    expect(resumed.resumeFallbacks).toEqual([
      { step: 10, attempt: 1, agentId: agent.agentId, path: 'out/step_10/trainer', fingerprint: null },
    ]);
    expect(await runRow(runId)).toMatchObject({ progress_step: 20, exit_code: null, error: null });
    // The agent found step 20's files unusable and fell back: the attempt's record follows.
    const fellBack = await post(api, AGENT_API.events(runId), {
      leaseToken: resumed.leaseToken,
      type: 'checkpoint-not-reachable',
      message: 'checkpoint step 20 of attempt 1 is not on this host; resuming from step 10',
      resumeStep: 10,
    });
    expect(fellBack.status).toBe(200);
    const final = await post(api, AGENT_API.finish(runId), {
      leaseToken: resumed.leaseToken,
      outcome: 'failed',
      exitCode: 2,
      error: { message: 'config error', retryable: false },
    });
    expect(final.body).toEqual({ status: 'failed', attempt: 2, replayed: false });
    expect(
      await db.query(
        `SELECT number, status, resume_step FROM run_attempts WHERE run_id = $1 ORDER BY number`,
        [runId],
      ),
    ).toEqual([
      { number: 1, status: 'failed', resume_step: null },
      { number: 2, status: 'failed', resume_step: 10 },
    ]);
  });

  it('never resumes past a step whose rollouts did not all arrive (they would be lost for good)', async () => {
    const agent = await registerAgent(api, 'partial-agent');
    const runId = await createRun(api);
    const { leaseToken } = await claimed(agent.claim(runId));
    // Steps 0-14 whole, step 15 half (the rest was in the lost agent's spool), checkpoints 10 and 20.
    await storeWholeSteps(api, runId, leaseToken, 15);
    const half = ndjson([{ step: 15, sample_key: 'q0', ground_truth: true, p_yes: 0.7, brier_score: 0.09 }]);
    expect((await postRollouts(api, runId, half, { leaseToken })).status).toBe(200);
    for (const step of [10, 20]) {
      const answer = await post(api, AGENT_API.checkpoints(runId), {
        leaseToken,
        step,
        kind: 'trainer',
        path: `out/step_${step}/trainer`,
        complete: true,
      });
      expect(answer.status).toBe(200);
    }
    const finish = await post(api, AGENT_API.finish(runId), {
      leaseToken,
      outcome: 'failed',
      exitCode: 137,
      error: { message: 'OOM killed', retryable: true },
    });
    expect(finish.body).toMatchObject({ status: 'queued' });

    const resumed = await claimed(agent.claim(runId));
    expect(resumed).toMatchObject({ attempt: 2, resumeStep: 10 });
    expect(resumed.resumeCheckpoint).toMatchObject({ step: 10, path: 'out/step_10/trainer' });
  });

  it('offers the final checkpoint only with a fingerprint and every step stored (a re-commit, not a re-run)', async () => {
    const agent = await registerAgent(api, 'final-agent');
    const runId = await createRun(api); // maxSteps 50
    const { leaseToken } = await claimed(agent.claim(runId));
    const report = (step: number, fingerprint?: string) =>
      post(api, AGENT_API.checkpoints(runId), {
        leaseToken,
        step,
        kind: 'trainer',
        path: `out/step_${step}/trainer`,
        complete: true,
        ...(fingerprint === undefined ? {} : { fingerprint }),
      });
    const fingerprint = 'a'.repeat(64);
    expect((await report(50, 'NOT-HEX')).status).toBe(400);
    await storeWholeSteps(api, runId, leaseToken, 49); // step 49 never arrived
    for (const step of [40, 50]) expect((await report(step, fingerprint)).status).toBe(200);
    const loseIt = () =>
      post(api, AGENT_API.finish(runId), {
        leaseToken,
        outcome: 'failed',
        exitCode: 1,
        error: { message: 'finish never reached the API', retryable: true },
      });
    expect((await loseIt()).body).toMatchObject({ status: 'queued' });
    // Step 49 is missing: the final checkpoint would skip it, so the one before is offered.
    const second = await claimed(agent.claim(runId));
    expect(second).toMatchObject({ resumeStep: 40, resumeCheckpoint: { step: 40, fingerprint } });

    // Resumed from 40: steps 40-49 stored again, whole; the final checkpoint reported without a
    // fingerprint has nothing to check it by.
    await storeWholeSteps(api, runId, second.leaseToken, 50, 40);
    const unfingerprinted = await post(api, AGENT_API.checkpoints(runId), {
      leaseToken: second.leaseToken,
      step: 50,
      kind: 'trainer',
      path: 'out/step_50/trainer',
      complete: true,
    });
    expect(unfingerprinted.status).toBe(200);
    await post(api, AGENT_API.finish(runId), {
      leaseToken: second.leaseToken,
      outcome: 'failed',
      exitCode: 1,
      error: { message: 'lost again', retryable: true },
    });
    const third = await claimed(agent.claim(runId));
    expect(third).toMatchObject({ resumeStep: 40 });

    // With its fingerprint, the final checkpoint is where the next attempt starts: training had ended.
    await post(api, AGENT_API.checkpoints(runId), {
      leaseToken: third.leaseToken,
      step: 50,
      kind: 'trainer',
      path: 'out/step_50/trainer',
      complete: true,
      fingerprint,
    });
    await post(api, AGENT_API.finish(runId), {
      leaseToken: third.leaseToken,
      outcome: 'failed',
      exitCode: 1,
      error: { message: 'lost once more', retryable: true },
    });
    const fourth = await claimed(agent.claim(runId));
    expect(fourth).toMatchObject({ resumeStep: 50, resumeCheckpoint: { step: 50, fingerprint, attempt: 3 } });
    // Should step 50's files have changed on the host, step 40 is where the attempt falls back to.
    expect(fourth.resumeFallbacks.map((checkpoint) => [checkpoint.step, checkpoint.attempt])).toEqual([
      [40, 1],
    ]);
  });

  it('never resumes from a checkpoint whose steps a later attempt generated again', async () => {
    const agent = await registerAgent(api, 'stale-agent');
    const runId = await createRun(api);
    const first = await claimed(agent.claim(runId));
    await storeWholeSteps(api, runId, first.leaseToken, 20);
    for (const step of [10, 20]) {
      const answer = await post(api, AGENT_API.checkpoints(runId), {
        leaseToken: first.leaseToken,
        step,
        kind: 'trainer',
        path: `out/step_${step}/trainer`,
        complete: true,
      });
      expect(answer.status).toBe(200);
    }
    const fail = (leaseToken: string) =>
      post(api, AGENT_API.finish(runId), {
        leaseToken,
        outcome: 'failed',
        exitCode: 1,
        error: { message: 'lost', retryable: true },
      });
    await fail(first.leaseToken);
    const second = await claimed(agent.claim(runId));
    expect(second).toMatchObject({ resumeStep: 20 });
    // Its host did not have step 20 (another host's): it started fresh and stored steps 0-4 anew.
    await storeWholeSteps(api, runId, second.leaseToken, 5);
    await fail(second.leaseToken);
    // Attempt 1's checkpoints hold a model of steps 0-4 as they were; the run now keeps attempt 2's.
    const third = await claimed(agent.claim(runId));
    expect(third).toMatchObject({
      attempt: 3,
      resumeStep: null,
      resumeCheckpoint: null,
      resumeFallbacks: [],
    });
  });

  it('a run lost RUN_MAX_LOST_ATTEMPTS times fails instead of being re-queued', async () => {
    const agent = await registerAgent(api, 'crashing-agent');
    const runId = await createRun(api);
    await claimed(agent.claim(runId));
    await silenceAndReap(runId);
    expect(await runRow(runId)).toMatchObject({ status: 'queued' });
    await claimed(agent.claim(runId));
    await silenceAndReap(runId);
    expect(await runRow(runId)).toMatchObject({ status: 'failed', error: { retryable: false } });
  });

  it('refuses claims that do not fit: GPU count, unknown GPUs, labels, GPUs already leased on the agent', async () => {
    const agent = await registerAgent(api, 'placement-agent');
    const twoGpus = await createRun(api, { gpuCount: 2 });
    expect((await agent.claim(twoGpus, [0])).body).toMatchObject({ reason: 'placement', status: 'queued' });
    expect((await agent.claim(twoGpus, [0, 7])).body).toMatchObject({ reason: 'placement' });
    const labelled = await createRun(api, { labels: ['h100'] });
    expect((await agent.claim(labelled, [0])).body).toMatchObject({ reason: 'placement' });
    const oneGpu = await createRun(api);
    await claimed(agent.claim(oneGpu, [1]));
    const busy = await agent.claim(twoGpus, [0, 1]);
    expectConflict(busy, { reason: 'placement' });
    expect(String(busy.body['message'])).toContain(oneGpu);
    expect(await runRow(twoGpus)).toMatchObject({ status: 'queued', attempt: 0 });
    const unknownRun = await post(api, AGENT_API.claim('00000000-0000-4000-8000-000000000000'), {
      agentId: agent.agentId,
      incarnation: agent.incarnation,
      gpuIndices: [],
    });
    expect(unknownRun.status).toBe(404);
    // A draining agent takes nothing.
    await agent.heartbeat([], { status: 'draining' });
    expect((await agent.claim(await createRun(api), [0])).body).toMatchObject({ reason: 'agent-draining' });
  });

  it('answers 400 naming the field for bad bodies, and writes nothing', async () => {
    const agent = await registerAgent(api, 'validation-agent');
    const runId = await createRun(api);
    const { leaseToken } = await claimed(agent.claim(runId));
    const bad: [string, unknown, string][] = [
      [
        AGENT_API.checkpoints(runId),
        { leaseToken, step: 1, kind: 'trainer', path: 'a/../../etc', complete: true },
        'path',
      ],
      [
        AGENT_API.checkpoints(runId),
        { leaseToken, step: 1, kind: 'trainer', path: '/abs', complete: true },
        'path',
      ],
      [
        AGENT_API.logs(runId),
        { leaseToken, attempt: 1, stream: 'stdout', firstSeq: 0, lines: ['x'.repeat(16 * 1024 + 1)] },
        'lines',
      ],
      [
        AGENT_API.logs(runId),
        { leaseToken, attempt: 1, stream: 'stdout', firstSeq: 0, lines: ['a\u0000b'] },
        'lines',
      ],
      [AGENT_API.logs(runId), { leaseToken, attempt: 1, stream: 'tty', firstSeq: 0, lines: ['x'] }, 'stream'],
      [
        AGENT_API.logs(runId),
        { leaseToken, attempt: 1, stream: 'stdout', firstSeq: 0, lines: Array(5001).fill('x') },
        'lines',
      ],
      [AGENT_API.finish(runId), { leaseToken, outcome: 'failed', exitCode: 1 }, 'error'],
      [AGENT_API.finish(runId), { leaseToken, outcome: 'exploded' }, 'outcome'],
      [AGENT_API.events(runId), { leaseToken, type: 'status', message: 'x' }, 'type'],
      [AGENT_API.events(runId), { leaseToken, type: 'warning', message: 'x', resumeStep: -1 }, 'resumeStep'],
      [AGENT_API.progress(runId), { leaseToken, step: 1, extra: true }, 'extra'],
      [AGENT_API.progress(runId), { leaseToken: 'nope', step: 1 }, 'leaseToken'],
      [
        AGENT_API.register(),
        { name: 'x', hostname: 'h', version: '1', labels: ['UPPER'], gpus: [] },
        'labels',
      ],
    ];
    const before = await footprint(runId);
    for (const [path, body, field] of bad) {
      const answer = await post<{ message: { path: string }[] }>(api, path, body);
      expect(answer.status, `${path} ${field}`).toBe(400);
      expect(
        answer.body.message.map((m) => m.path.split('.')[0]),
        `${path} ${field}`,
      ).toContain(field);
    }
    expect(await footprint(runId)).toEqual(before);
    // 16 KiB of UTF-8 exactly is fine.
    const edge = await post(api, AGENT_API.logs(runId), {
      leaseToken,
      attempt: 1,
      stream: 'stderr',
      firstSeq: 0,
      lines: ['é'.repeat(8 * 1024)],
    });
    expect(edge.body).toEqual({ inserted: 1, skipped: 0 });
  });

  it('pages stored lines with GET /v1/runs/{id}/logs', async () => {
    const agent = await registerAgent(api, 'paging-agent');
    const runId = await createRun(api);
    const { leaseToken } = await claimed(agent.claim(runId));
    const lines = Array.from({ length: 25 }, (_, i) => `line ${i}`);
    await post(api, AGENT_API.logs(runId), { leaseToken, attempt: 1, stream: 'stdout', firstSeq: 0, lines });
    await post(api, AGENT_API.logs(runId), {
      leaseToken,
      attempt: 1,
      stream: 'stderr',
      firstSeq: 0,
      lines: ['oops'],
    });

    const seen: string[] = [];
    let afterId: string | null = null;
    for (;;) {
      const query: string = `limit=10${afterId ? `&afterId=${afterId}` : ''}`;
      const page = await get<{ items: { line: string }[]; nextAfterId: string | null; hasMore: boolean }>(
        api,
        `/v1/runs/${runId}/logs?${query}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((i) => i.line));
      afterId = page.body.nextAfterId;
      if (!page.body.hasMore) break;
    }
    expect(seen).toEqual([...lines, 'oops']);
    const tail = await get<{ items: { seq: number }[] }>(
      api,
      `/v1/runs/${runId}/logs?attempt=1&stream=stdout&afterSeq=22`,
    );
    expect(tail.body.items.map((i) => i.seq)).toEqual([23, 24]);
    expect((await get(api, `/v1/runs/${runId}/logs?afterSeq=3`)).status).toBe(400);
    expect((await get(api, `/v1/runs/${runId}/logs?limit=0`)).status).toBe(400);
    expect((await get(api, `/v1/runs/00000000-0000-4000-8000-000000000000/logs`)).status).toBe(404);
  });

  it('lists the fleet with GET /v1/agents', async () => {
    const list = await get<AgentView[]>(api, '/v1/agents');
    expect(list.status).toBe(200);
    const names = list.body.map((a) => a.name);
    expect(names).toContain('happy-agent');
    expect([...names].sort()).toEqual(names);
    const draining = await get<AgentView[]>(api, '/v1/agents?status=draining');
    expect(draining.body.map((a) => a.name)).toEqual(['placement-agent']);
    expect((await get(api, '/v1/agents?status=sleeping')).status).toBe(400);
    expect((await get(api, '/v1/agents/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await get(api, '/v1/agents/not-a-uuid')).status).toBe(400);
  });
});
