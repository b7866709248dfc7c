import { randomUUID } from 'node:crypto';

import { generateApiToken, hashApiToken } from '@brier/database';
import { createTestDatabase } from '@brier/database/testing';
import { describe, expect, it } from 'vitest';

import { openLive, type LiveClient } from '../../apps/api/test/support/live-sse.js';
import { freePort, openRunsQueue, sql } from '../../apps/api/test/support/runs-fixtures.js';
import { deleteKeys, TEST_REDIS_URL, type TestApi } from '../../apps/api/test/support/test-api.js';
import { TEST_AGENT_TOKEN } from '../../apps/api/test/support/test-tokens.js';
import {
  FAKE_NVIDIA_SMI,
  FAKE_UV,
  fakeGpus,
  spawnAgent,
  tempDir,
  type AgentProcess,
} from '../../apps/gpu-agent/test/support/agent-process.js';
import {
  expectSucceededOnce,
  FAST_API_ENV,
  TINY,
  untilStatus,
  waitFor,
  cleanupsAfterEach,
} from '../faults/support/fault-harness.js';
import { spawnApi, type ApiProcess } from './support/api-process.js';
import { startBalancer } from './support/round-robin-balancer.js';

// Issue 6, several API replicas behind a load balancer: two real API processes on one database and
// one queue prefix, a round-robin TCP balancer in front, three real agents talking to the balancer.
// Nothing the replicas must agree on lives in one process's memory: runs, leases, tokens and
// idempotency keys are in Postgres, jobs, rate limits and the reconciler's lock in Redis, and live
// streams follow Postgres NOTIFY, so either replica streams what the other changed.

const SPEC = { maxSteps: TINY.steps, batchSize: TINY.batch, rolloutsPerExample: 8 };

const cleanups = cleanupsAfterEach();

describe('two API replicas and three agents', { timeout: 150_000 }, () => {
  it('every run succeeds exactly once, both replicas stream it, nothing acts twice', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const prefix = `test-${randomUUID()}`;
    cleanups.push(() => deleteKeys(TEST_REDIS_URL, `${prefix}:*`));
    const adminToken = generateApiToken();
    await insertToken(db.url, 'scaling-admin', 'admin', adminToken);
    await insertToken(db.url, 'test-agents', 'agent', TEST_AGENT_TOKEN);
    const authHeaders = { authorization: `Bearer ${adminToken}` };

    const env = {
      ...FAST_API_ENV,
      // Longer than a submit's own enqueue takes on a loaded test machine, so the reconciler only
      // acts on the orphan (with FAST_API_ENV's 300 ms it may also re-add a job that was about to be).
      RECONCILE_GRACE_MS: '3000',
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      BRIER_QUEUE_PREFIX: prefix,
    };
    const apis: ApiProcess[] = [];
    for (const port of [await freePort(), await freePort()]) {
      const api = await spawnApi(port, env);
      cleanups.push(() => api.stop());
      apis.push(api);
    }
    const balancer = await startBalancer(apis.map((api) => ({ port: Number(new URL(api.url).port) })));
    cleanups.push(() => balancer.close());
    // The harness's checks only need a URL, the admin's headers and the database.
    const viaBalancer = { url: balancer.url, authHeaders, db } as unknown as TestApi;

    // Live streams on each replica directly: each must see what happened through the other.
    const streams: LiveClient[] = [];
    for (const api of apis) {
      const stream = await openLive(`${api.url}/v1/runs/live`, authHeaders);
      expect(stream.status).toBe(200);
      cleanups.push(() => Promise.resolve(stream.close()));
      streams.push(stream);
    }

    // A queued run whose job vanished from Redis: both replicas reconcile, one re-enqueues it.
    const orphan = await submit(viaBalancer, 'orphan');
    const queue = openRunsQueue({ queuePrefix: prefix });
    cleanups.push(() => queue.close());
    expect(await queue.remove(`run-${orphan}`)).toBe(1);
    await waitFor(async () => (await queue.getJobState(`run-${orphan}`)) === 'waiting', {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'the reconciler to re-enqueue the orphan',
    });

    const agents: AgentProcess[] = ['a', 'b', 'c'].map((name) =>
      startAgent(balancer.url, prefix, `scale-${name}`),
    );
    const ids = [orphan];
    for (let i = 0; i < 4; i++) ids.push(await submit(viaBalancer, `replicated-${i}`));

    for (const id of ids) {
      await explainedBy(agents, apis, untilStatus(viaBalancer, id, 'succeeded', 90_000));
      await expectSucceededOnce(viaBalancer, id);
      expect(await queue.getJobState(`run-${id}`)).toBe('completed');
    }
    for (const stream of streams) {
      for (const id of ids) {
        await stream.next<{ id: string; status: string }>(
          'run',
          (r) => r.id === id && r.status === 'succeeded',
          {
            timeoutMs: 10_000,
          },
        );
      }
    }

    // Both replicas served; the runs spread over the agents (each takes 1 GPU run at a time).
    expect(
      balancer.connections.every((n) => n > 0),
      String(balancer.connections),
    ).toBe(true);
    const byAgent = await sql<{ agents: string }>(
      db.url,
      `SELECT count(DISTINCT agent_id) AS agents FROM run_attempts WHERE run_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(Number(byAgent[0]!.agents)).toBeGreaterThan(1);

    // Nothing doubled: one 'requeued' by the reconciler (the orphan), none by the reaper (no agent
    // went silent), and one 'created' event per run.
    const events = await sql<{ run_id: string; type: string; actor: string; reason: string | null }>(
      db.url,
      `SELECT run_id, type, actor, reason FROM run_events WHERE run_id = ANY($1::uuid[]) ORDER BY id`,
      [ids],
    );
    const reconciled = events.filter((e) => e.actor === 'reconciler');
    expect(
      reconciled.map((e) => [e.run_id, e.type]),
      JSON.stringify(reconciled),
    ).toEqual([[orphan, 'requeued']]);
    expect(events.filter((e) => e.actor === 'reaper')).toEqual([]);
    for (const id of ids) {
      expect(events.filter((e) => e.run_id === id && e.type === 'created')).toHaveLength(1);
    }
  });
});

async function insertToken(databaseUrl: string, name: string, role: string, token: string): Promise<void> {
  await sql(
    databaseUrl,
    `INSERT INTO api_tokens (name, role, token_hash, created_by) VALUES ($1, $2, $3, 'scaling-test')`,
    [name, role, hashApiToken(token)],
  );
}

async function submit(api: TestApi, name: string): Promise<string> {
  const answer = await fetch(`${api.url}/v1/runs`, {
    method: 'POST',
    headers: { ...api.authHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ preset: 'smoke-tiny', name, spec: SPEC }),
  });
  const body = (await answer.json()) as { id: string };
  expect(answer.status, JSON.stringify(body)).toBe(202);
  return body.id;
}

/** The real agent (one fake GPU) pointed at the balancer, with the fault suite's short timers. */
function startAgent(apiUrl: string, prefix: string, name: string): AgentProcess {
  return spawnAgent({
    API_URL: apiUrl,
    REDIS_URL: TEST_REDIS_URL,
    BRIER_QUEUE_PREFIX: prefix,
    AGENT_NAME: name,
    AGENT_WORK_DIR: tempDir(),
    UV_BIN: FAKE_UV,
    PRIME_RL_DIR: tempDir('brier-prime-rl-'),
    NVIDIA_SMI_BIN: FAKE_NVIDIA_SMI,
    FAKE_NVIDIA_SMI_STATE: fakeGpus(1),
    RUN_STOP_GRACE_MS: '1000',
    AGENT_HANDBACK_DELAY_MS: '300',
    AGENT_JOB_LOCK_MS: '2000',
  });
}

/** `wait`, or its error with every process's output: what to read when it fails. */
async function explainedBy<T>(agents: AgentProcess[], apis: ApiProcess[], wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (error) {
    const said = [
      ...agents.map((a, i) => `--- agent ${i} ---\n${a.stdout()}${a.stderr()}`),
      ...apis.map((a, i) => `--- api ${i} ---\n${a.output()}`),
    ];
    throw new Error(`${(error as Error).message}\n${said.join('\n')}`, { cause: error });
  }
}
