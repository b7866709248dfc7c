import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRun, gpu } from '../../api/test/support/agent-api.js';
import { freePort } from '../../api/test/support/runs-fixtures.js';
import { startTestApi, type TestApi } from '../../api/test/support/test-api.js';
import { AgentApiClient } from '../src/api-client/agent-api.client.js';
import {
  ApiConflictError,
  ApiNotFoundError,
  ApiRejectedError,
  ApiUnavailableError,
} from '../src/api-client/api-errors.js';

let api: TestApi;
let client: AgentApiClient;

beforeAll(async () => {
  api = await startTestApi({ REAPER_INTERVAL_MS: '0' });
  client = new AgentApiClient({ baseUrl: `${api.url}/`, token: api.agentToken, requestTimeoutMs: 5_000 });
});
afterAll(() => api?.close());

/** A registered agent (through the client) and a run it claimed. */
async function claimedRun(name: string) {
  const agent = await client.register({
    name,
    hostname: `${name}.test`,
    version: '0.1.0',
    primeRlVersion: 'v0.4.0',
    labels: [],
    gpus: [gpu(0), gpu(1)],
  });
  const runId = await createRun(api);
  const claim = await client.claim(runId, {
    agentId: agent.agentId,
    incarnation: agent.incarnation,
    gpuIndices: [0],
  });
  return { agent, runId, claim, lease: claim.leaseToken };
}

/** The error a call rejects with (fails the test when it resolves). */
async function failure(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('AgentApiClient against the real API', () => {
  it('drives a whole attempt: register, heartbeat, claim, progress, event, logs, checkpoint, rollouts, finish', async () => {
    const { agent, runId, claim, lease } = await claimedRun('client-happy');
    expect(claim).toMatchObject({ runId, attempt: 1, kind: 'train', resumeStep: null });

    const beat = await client.heartbeat(agent.agentId, {
      incarnation: agent.incarnation,
      gpus: [gpu(0), gpu(1)],
      runs: [{ runId, leaseToken: lease, step: 0 }],
    });
    expect(beat).toMatchObject({ ok: true, cancel: [], revoked: [] });

    await expect(
      client.progress(runId, {
        leaseToken: lease,
        step: 0,
        orchestrator: [{ step: 0, timeS: 1.5, reward: 0.4 }],
      }),
    ).resolves.toEqual({ progressStep: 0, orchestratorSteps: 1 });
    await expect(
      client.event(runId, { leaseToken: lease, type: 'note', message: 'hello' }),
    ).resolves.toHaveProperty('eventId');
    const batch = {
      leaseToken: lease,
      attempt: 1,
      stream: 'stdout' as const,
      firstSeq: 0,
      lines: ['a', 'b'],
    };
    await expect(client.logs(runId, batch)).resolves.toEqual({ inserted: 2, skipped: 0 });
    await expect(client.logs(runId, batch)).resolves.toEqual({ inserted: 0, skipped: 2 });
    await expect(
      client.checkpoint(runId, {
        leaseToken: lease,
        step: 1,
        kind: 'trainer',
        path: 'ckpt/step_1',
        complete: true,
      }),
    ).resolves.toHaveProperty('checkpointId');

    const rollouts = [0, 1].map((i) => ({
      step: 0,
      sample_key: `i${i}`,
      completion: 'ANSWER: YES with 70% probability',
      ground_truth: true,
    }));
    const ndjson = Buffer.from(rollouts.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const plain = { body: ndjson, gzipped: false };
    // A spooled batch goes again gzipped, as it was written: same batch, same answer.
    const spooled = { body: gzipSync(ndjson), gzipped: true };
    const batchId = `client-test-${randomUUID()}`;
    await expect(
      client.ingestRollouts(runId, { leaseToken: lease, batchId, payload: plain }),
    ).resolves.toEqual({
      inserted: 2,
      skipped: 0,
      duplicateBatch: false,
    });
    await expect(
      client.ingestRollouts(runId, { leaseToken: lease, batchId, payload: spooled }),
    ).resolves.toEqual({
      inserted: 0,
      skipped: 2,
      duplicateBatch: true,
    });

    await expect(
      client.finish(runId, { leaseToken: lease, outcome: 'succeeded', exitCode: 0 }),
    ).resolves.toEqual({
      status: 'succeeded',
      attempt: 1,
      replayed: false,
    });

    // The lease is over now: every fenced write is a 409 lease-lost naming the run's status.
    const stale = await failure(client.progress(runId, { leaseToken: lease, step: 1 }));
    expect(stale).toBeInstanceOf(ApiConflictError);
    expect(stale).toMatchObject({ reason: 'lease-lost', runStatus: 'succeeded', status: 409 });
    const staleRollouts = await failure(
      client.ingestRollouts(runId, { leaseToken: lease, batchId: `${batchId}-2`, payload: plain }),
    );
    expect(staleRollouts).toMatchObject({ reason: 'lease-lost', runStatus: 'succeeded' });
  });

  it('maps a stale incarnation to stale-agent, an unknown run to ApiNotFoundError', async () => {
    const { agent } = await claimedRun('client-stale');
    const beat = await failure(
      client.heartbeat(agent.agentId, { incarnation: randomUUID(), gpus: [], runs: [] }),
    );
    expect(beat).toBeInstanceOf(ApiConflictError);
    expect((beat as ApiConflictError).reason).toBe('stale-agent');

    const missing = await failure(client.progress(randomUUID(), { leaseToken: randomUUID(), step: 0 }));
    expect(missing).toBeInstanceOf(ApiNotFoundError);
    expect(missing.message).toMatch(/^POST \/v1\/runs\/[0-9a-f-]+\/progress: 404: run [0-9a-f-]+ not found$/);
  });

  it("maps a bad body to ApiRejectedError carrying the API's field messages", async () => {
    const { runId, lease } = await claimedRun('client-bad-body');
    const error = await failure(
      client.logs(runId, {
        leaseToken: lease,
        attempt: 1,
        stream: 'stdout',
        firstSeq: -1,
        lines: ['a\u0000'],
      }),
    );
    expect(error).toBeInstanceOf(ApiRejectedError);
    const rejected = error as ApiRejectedError;
    expect(rejected.status).toBe(400);
    expect(rejected.fieldMessages.map((m) => m.path).sort()).toEqual(['firstSeq', 'lines']);
    expect(rejected.message).toContain('firstSeq: ');
    expect(rejected.message).toContain('NUL');
    expect(rejected.message).not.toContain(lease);
  });
});

describe('AgentApiClient when the API is away or failing', () => {
  let stub: Server;
  let stubUrl: string;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    // 503 with Retry-After for one path, no answer at all for another.
    stub = createServer((req, res) => {
      seen.push(req.headers);
      if (req.url?.includes('/hang/')) return; // never answers
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' });
      res.end(
        JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message: 'database unavailable' }),
      );
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const address = stub.address();
    if (address === null || typeof address === 'string') throw new Error('no stub address');
    stubUrl = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    stub.closeAllConnections();
    await new Promise<void>((resolve) => stub.close(() => resolve()));
  });

  it('maps a refused connection to ApiUnavailableError', async () => {
    const down = new AgentApiClient({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    const error = await failure(down.progress(randomUUID(), { leaseToken: randomUUID(), step: 0 }));
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect(error.message).toContain('ECONNREFUSED');
    expect((error as ApiUnavailableError).status).toBeNull();
  });

  it('maps a 503 to ApiUnavailableError with Retry-After, and sends the bearer token without leaking it', async () => {
    const token = 'secret-agent-token-123';
    const authed = new AgentApiClient({ baseUrl: stubUrl, token });
    const error = await failure(authed.event('r1', { leaseToken: randomUUID(), type: 'note', message: 'x' }));
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect(error).toMatchObject({ status: 503, retryAfterMs: 2000 });
    expect(seen.at(-1)?.authorization).toBe(`Bearer ${token}`);
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(token);
    // No token configured: no Authorization header at all.
    await failure(
      new AgentApiClient({ baseUrl: stubUrl }).event('r1', {
        leaseToken: randomUUID(),
        type: 'n',
        message: 'x',
      }),
    );
    expect(seen.at(-1)?.authorization).toBeUndefined();
  });

  it('times out a request that gets no answer', async () => {
    const impatient = new AgentApiClient({ baseUrl: stubUrl, requestTimeoutMs: 200 });
    const started = Date.now();
    const error = await failure(impatient.progress('hang', { leaseToken: randomUUID(), step: 0 }));
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect(error.message).toBe('POST /v1/runs/hang/progress: no answer within 200 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
