import { AGENT_API, type RunLogLineView } from '@brier/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { RunLogListener } from '../src/run-logs/run-log-listener.js';
import { claimed, createRun, post, registerAgent, waitFor, type TestAgent } from './support/agent-api.js';
import { openSse, type SseClient } from './support/sse-client.js';
import { startTestApi, type TestApi } from './support/test-api.js';

let api: TestApi;
let agent: TestAgent;
const clients: SseClient[] = [];

beforeAll(async () => {
  api = await startTestApi({ REAPER_INTERVAL_MS: '0', LOG_STREAM_KEEPALIVE_MS: '200' });
  agent = await registerAgent(api, 'sse-agent', { gpus: [] });
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});
afterAll(() => api?.close());

async function follow(path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await openSse(`${api.url}${path}`, { ...api.authHeaders, ...headers });
  clients.push(client);
  return client;
}

const lines = (client: SseClient): RunLogLineView[] =>
  client.events.map((e) => JSON.parse(e.data) as RunLogLineView);
const text = (client: SseClient): string[] =>
  lines(client).map((l) => `${l.attempt}/${l.stream}/${l.seq}:${l.line}`);

async function append(
  runId: string,
  leaseToken: string,
  attempt: number,
  stream: string,
  firstSeq: number,
  batch: string[],
) {
  const answer = await post(api, AGENT_API.logs(runId), {
    leaseToken,
    attempt,
    stream,
    firstSeq,
    lines: batch,
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

describe('GET /v1/runs/{id}/logs/stream (SSE, LISTEN/NOTIFY)', () => {
  it('replays stored lines, then pushes new ones live, in commit order; Last-Event-ID resumes', async () => {
    const runId = await createRun(api, { gpuCount: 0 });
    const { leaseToken } = await claimed(agent.claim(runId, []));
    await append(runId, leaseToken, 1, 'stdout', 0, ['s0', 's1', 's2']);
    await append(runId, leaseToken, 1, 'stderr', 0, ['e0', 'e1']);

    const client = await follow(`/v1/runs/${runId}/logs/stream`);
    expect(client.status).toBe(200);
    await client.waitForEvents(5);
    expect(text(client)).toEqual([
      '1/stdout/0:s0',
      '1/stdout/1:s1',
      '1/stdout/2:s2',
      '1/stderr/0:e0',
      '1/stderr/1:e1',
    ]);

    await append(runId, leaseToken, 1, 'stdout', 3, ['s3', 's4']);
    await append(runId, leaseToken, 1, 'agent', 0, ['claimed']);
    await append(runId, leaseToken, 1, 'stdout', 5, ['s5']);
    await client.waitForEvents(9);
    expect(text(client).slice(5)).toEqual([
      '1/stdout/3:s3',
      '1/stdout/4:s4',
      '1/agent/0:claimed',
      '1/stdout/5:s5',
    ]);
    const ids = client.events.map((e) => BigInt(e.id!));
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    expect(lines(client).map((l) => l.id)).toEqual(client.events.map((e) => e.id));

    // A replayed batch stores nothing, so it sends nothing; keepalive comments keep flowing.
    expect(await append(runId, leaseToken, 1, 'stdout', 3, ['s3', 's4'])).toEqual({
      inserted: 0,
      skipped: 2,
    });
    await waitFor(() => (client.comments.includes('keepalive') ? true : undefined), {
      what: 'a keepalive',
    });
    expect(client.events).toHaveLength(9);

    // Reconnecting with Last-Event-ID replays only what came after it, then goes on live.
    const resumed = await follow(`/v1/runs/${runId}/logs/stream`, { 'Last-Event-ID': client.events[5]!.id! });
    await resumed.waitForEvents(3);
    expect(text(resumed)).toEqual(['1/stdout/4:s4', '1/agent/0:claimed', '1/stdout/5:s5']);
    await append(runId, leaseToken, 1, 'stderr', 2, ['e2']);
    await resumed.waitForEvents(4);
    await client.waitForEvents(10);
    expect(text(resumed)[3]).toBe('1/stderr/2:e2');
    expect(text(client)[9]).toBe('1/stderr/2:e2');
  });

  it('fans one notification out to every client of the run, with their filters, and closes on disconnect', async () => {
    const listener = api.app.get(RunLogListener);
    const runId = await createRun(api, { gpuCount: 0 });
    const otherRun = await createRun(api, { gpuCount: 0 });
    const { leaseToken } = await claimed(agent.claim(runId, []));
    const other = await claimed(agent.claim(otherRun, []));
    await append(runId, leaseToken, 1, 'stdout', 0, ['0', '1', '2', '3']);

    const all = await follow(`/v1/runs/${runId}/logs/stream`);
    const tail = await follow(`/v1/runs/${runId}/logs/stream?attempt=1&stream=stdout&afterSeq=2`);
    const stderr = await follow(`/v1/runs/${runId}/logs/stream?stream=stderr`);
    await all.waitForEvents(4);
    await tail.waitForEvents(1);
    expect(listener.subscriberCount).toBe(3);

    await append(otherRun, other.leaseToken, 1, 'stdout', 0, ['elsewhere']);
    await append(runId, leaseToken, 1, 'stderr', 0, ['err']);
    await append(runId, leaseToken, 1, 'stdout', 4, ['4']);
    await all.waitForEvents(6);
    await tail.waitForEvents(2);
    await stderr.waitForEvents(1);
    expect(text(all).slice(4)).toEqual(['1/stderr/0:err', '1/stdout/4:4']);
    expect(text(tail)).toEqual(['1/stdout/3:3', '1/stdout/4:4']);
    expect(text(stderr)).toEqual(['1/stderr/0:err']);

    for (const client of clients.splice(0)) client.close();
    await waitFor(() => (listener.subscriberCount === 0 ? true : undefined), {
      what: 'streams to close',
    });
  });

  it('follows the run into its next attempt', async () => {
    const runId = await createRun(api, { gpuCount: 0 });
    const first = await claimed(agent.claim(runId, []));
    await append(runId, first.leaseToken, 1, 'stdout', 0, ['attempt one']);
    const client = await follow(`/v1/runs/${runId}/logs/stream`);
    await client.waitForEvents(1);
    await post(api, AGENT_API.finish(runId), {
      leaseToken: first.leaseToken,
      outcome: 'failed',
      exitCode: 1,
      error: { message: 'NCCL timeout', retryable: true },
    });
    const second = await claimed(agent.claim(runId, []));
    await append(runId, second.leaseToken, 2, 'stdout', 0, ['attempt two']);
    await client.waitForEvents(2);
    expect(text(client)).toEqual(['1/stdout/0:attempt one', '2/stdout/0:attempt two']);
  });

  it('answers 404 for an unknown run and 400 for a bad Last-Event-ID or filter, before any stream starts', async () => {
    const runId = await createRun(api, { gpuCount: 0 });
    expect((await follow('/v1/runs/00000000-0000-4000-8000-000000000000/logs/stream')).status).toBe(404);
    expect((await follow(`/v1/runs/${runId}/logs/stream`, { 'Last-Event-ID': 'abc' })).status).toBe(400);
    expect((await follow(`/v1/runs/${runId}/logs/stream?afterSeq=1`)).status).toBe(400);
    expect((await follow(`/v1/runs/${runId}/logs/stream?stream=tty`)).status).toBe(400);
  });

  it('ends open streams when the API shuts down (close does not wait for clients)', async () => {
    const other = await startTestApi({ REAPER_INTERVAL_MS: '0' });
    try {
      const runId = await createRun(other, { gpuCount: 0 });
      const client = await openSse(`${other.url}/v1/runs/${runId}/logs/stream`, other.authHeaders);
      clients.push(client);
      expect(client.status).toBe(200);
      await waitFor(() => (other.app.get(RunLogListener).subscriberCount === 1 ? true : undefined));
      const started = Date.now();
      await other.close();
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await other.db.drop();
    }
  });
});
