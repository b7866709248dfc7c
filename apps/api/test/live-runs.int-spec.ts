import { get as httpGet, type ClientRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { LiveHub } from '../src/live/live-hub.js';
import { LIVE_LISTENER_APPLICATION_NAME } from '../src/live/live-listener.js';
import { waitFor } from './support/agent-api.js';
import { openLive, type LiveClient } from './support/live-sse.js';
import { createRun, get, makeRows, ndjson, postRollouts, sql, toWire } from './support/rollout-api.js';
import { startTestApi, type TestApi } from './support/test-api.js';

interface RunView {
  id: string;
  name: string;
  status: string;
  progressStep: number | null;
}
type MetricsRow = { step: number; n: number } & Record<string, unknown>;

let api: TestApi;
const clients: LiveClient[] = [];

beforeAll(async () => {
  api = await startTestApi({ REAPER_INTERVAL_MS: '0', LOG_STREAM_KEEPALIVE_MS: '150' });
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});
afterAll(() => api?.close());

async function live(path: string): Promise<LiveClient> {
  const client = await openLive(`${api.url}${path}`, api.authHeaders);
  clients.push(client);
  return client;
}

async function ingest(runId: string, steps: number[], seed: number): Promise<void> {
  const rows = makeRows({ steps, perStep: 16, seed });
  const answer = await postRollouts(api, runId, ndjson(rows.map((row) => toWire(row))));
  expect(answer.status).toBe(200);
}

const hub = (): LiveHub => api.app.get(LiveHub);

/** A client that reads the headers, then nothing more: its socket is paused. */
function openStalled(url: string): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const request = httpGet(
      url,
      { headers: { ...api.authHeaders, accept: 'text/event-stream' } },
      (response) => {
        response.pause();
        resolve(request);
      },
    );
    request.on('error', (error) => {
      if (!request.destroyed) reject(error);
    });
    request.setTimeout(5_000, () => request.destroy(new Error('no answer within 5 s')));
  });
}

describe('GET /v1/runs/{id}/live', () => {
  it('sends the run at once, then steps as rollouts are ingested (coalesced), then the cancel', async () => {
    const run = await createRun(api);
    const client = await live(`/v1/runs/${run.id}/live`);
    expect(client.status).toBe(200);
    expect(client.contentType).toMatch(/^text\/event-stream/);

    const first = await client.next<RunView>('run');
    expect(first).toEqual((await get(api, `/v1/runs/${run.id}`)).body);

    await ingest(run.id, [0, 1], 1);
    const twoSteps = await client.next<MetricsRow[]>('steps');
    const metrics = (await get<MetricsRow[]>(api, `/v1/runs/${run.id}/metrics`)).body;
    expect(metrics.map((row) => row.step)).toEqual([0, 1]);
    // One batch touches two steps in one transaction: one event with both rows, as /metrics has them.
    expect(twoSteps).toEqual(metrics);

    const seen = client.events.length;
    await ingest(run.id, [2], 2);
    const oneStep = await client.next<MetricsRow[]>('steps', undefined, { from: seen });
    const now = (await get<MetricsRow[]>(api, `/v1/runs/${run.id}/metrics`)).body;
    expect(oneStep).toEqual([now.find((row) => row.step === 2)]);

    const cancel = await fetch(`${api.url}/v1/runs/${run.id}/cancel`, {
      headers: api.authHeaders,
      method: 'POST',
    });
    expect(cancel.status).toBe(200);
    const cancelled = await client.next<RunView>('run', (r) => r.status === 'cancelled');
    expect(cancelled).toEqual((await get(api, `/v1/runs/${run.id}`)).body);
    expect(client.comments).toContain('keepalive');
  });

  it('answers 404 for an unknown run and 400 for a malformed id, before any stream', async () => {
    const unknown = await live('/v1/runs/5b2f7c1e-2a43-4c8e-9d0e-7f3a2b1c0d9e/live');
    expect(unknown.status).toBe(404);
    expect(unknown.errorBody).toMatchObject({ statusCode: 404 });
    const malformed = await live('/v1/runs/not-a-uuid/live');
    expect(malformed.status).toBe(400);
    await waitFor(() => (hub().stats().runWatchers === 0 ? true : undefined), { what: 'no watchers' });
  });

  it('ignores heartbeat-only updates, and sends progress and every other change', async () => {
    const run = await createRun(api);
    const client = await live(`/v1/runs/${run.id}/live`);
    await client.next('run');

    await sql(api, `UPDATE runs SET heartbeat_at = now() WHERE id = $1`, [run.id]);
    await sleep(500); // two coalescing windows: a notification would have been delivered by now
    expect(client.named('run')).toHaveLength(1);

    await sql(api, `UPDATE runs SET heartbeat_at = now(), progress_step = 3 WHERE id = $1`, [run.id]);
    expect((await client.next<RunView>('run', (r) => r.progressStep === 3)).progressStep).toBe(3);
  });

  it('ends the stream with `deleted` when the run is deleted', async () => {
    const run = await createRun(api);
    const client = await live(`/v1/runs/${run.id}/live`);
    await client.next('run');
    const deleted = await fetch(`${api.url}/v1/runs/${run.id}?force=true`, {
      headers: api.authHeaders,
      method: 'DELETE',
    });
    expect(deleted.status).toBe(204);
    expect(await client.next('deleted')).toEqual({ id: run.id });
    await waitFor(() => (hub().stats().watchedRuns === 0 ? true : undefined), { what: 'the stream to end' });
  });
});

describe('GET /v1/runs/live', () => {
  it('is not taken for a run id, and sends every run that is created or changes', async () => {
    const client = await live('/v1/runs/live');
    expect(client.status).toBe(200);
    await waitFor(() => (hub().stats().allRunsWatchers === 1 ? true : undefined), { what: 'the watcher' });

    const submitted = await fetch(`${api.url}/v1/runs`, {
      method: 'POST',
      headers: { ...api.authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'train', preset: 'smoke-tiny', name: 'live-list' }),
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as RunView;
    const created = await client.next<RunView>('run', (r) => r.id === id);
    expect(created.status).toBe('queued');

    await fetch(`${api.url}/v1/runs/${id}/cancel`, { headers: api.authHeaders, method: 'POST' });
    const cancelled = await client.next<RunView>('run', (r) => r.id === id && r.status === 'cancelled');
    const page = (await get<{ items: RunView[] }>(api, `/v1/runs?name=live-list`)).body;
    expect(cancelled).toEqual(page.items.find((r) => r.id === id));
  });
});

describe('fan-out', () => {
  it('serves many clients from one LISTEN connection; a stalled client holds up no one', async () => {
    const run = await createRun(api);
    const watchers = await Promise.all(Array.from({ length: 12 }, () => live(`/v1/runs/${run.id}/live`)));
    const everyRun = await Promise.all(Array.from({ length: 4 }, () => live('/v1/runs/live')));
    const stalled = await openStalled(`${api.url}/v1/runs/${run.id}/live`);
    await Promise.all(watchers.map((client) => client.next('run')));

    const [listeners] = await sql<{ n: string }>(
      api,
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
      [LIVE_LISTENER_APPLICATION_NAME],
    );
    expect(Number(listeners!.n)).toBe(1);

    for (let i = 1; i <= 3; i++) {
      await sql(api, `UPDATE runs SET name = $2 WHERE id = $1`, [run.id, `renamed-${i}`]);
      await Promise.all(
        [...watchers, ...everyRun].map((client) =>
          client.next<RunView>('run', (r) => r.id === run.id && r.name === `renamed-${i}`),
        ),
      );
    }
    expect(hub().stats().runWatchers).toBe(13); // the stalled one is still there, just not read
    stalled.destroy();
    await waitFor(() => (hub().stats().runWatchers === 12 ? true : undefined), {
      what: 'the stalled one gone',
    });
  });

  it('after losing its LISTEN connection, reconnects and re-sends what watchers may have missed', async () => {
    const run = await createRun(api);
    await ingest(run.id, [0, 1], 4);
    const watcher = await live(`/v1/runs/${run.id}/live`);
    const everyRun = await live('/v1/runs/live');
    await watcher.next('run');
    const seen = watcher.events.length;

    await sql(
      api,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = $1`,
      [LIVE_LISTENER_APPLICATION_NAME],
    );
    // Changed while no one listened: only the resync after the reconnect (1 s) can tell.
    await sql(api, `UPDATE runs SET name = 'renamed while deaf' WHERE id = $1`, [run.id]);
    const renamed = await watcher.next<RunView>('run', (r) => r.name === 'renamed while deaf', {
      from: seen,
      timeoutMs: 8_000,
    });
    expect(renamed.id).toBe(run.id);
    const steps = await watcher.next<MetricsRow[]>('steps', undefined, { from: seen });
    expect(steps.map((row) => row.step)).toEqual([0, 1]);
    expect(await everyRun.next('resync')).toEqual({});
  });

  it('forgets closed clients: nothing is kept for them, and their runs are no longer collected', async () => {
    const runs = await Promise.all([createRun(api), createRun(api), createRun(api)]);
    await waitFor(() => (hub().stats().watchedRuns === 0 ? true : undefined), {
      what: 'earlier clients gone',
    });
    const runWatchers = await Promise.all(
      runs.flatMap((run) => Array.from({ length: 10 }, () => live(`/v1/runs/${run.id}/live`))),
    );
    await Promise.all(Array.from({ length: 5 }, () => live('/v1/runs/live')));
    await Promise.all(runWatchers.map((client) => client.next('run')));
    expect(hub().stats()).toMatchObject({ runWatchers: 30, watchedRuns: 3, allRunsWatchers: 5 });

    for (const client of clients.splice(0)) client.close();
    await waitFor(
      () => {
        const stats = hub().stats();
        return stats.runWatchers + stats.watchedRuns + stats.allRunsWatchers + stats.pendingJoins === 0
          ? true
          : undefined;
      },
      { what: 'every watcher forgotten' },
    );
    await ingest(runs[0].id, [0], 3);
    await sql(api, `UPDATE runs SET name = 'unwatched' WHERE id = $1`, [runs[1].id]);
    await sleep(100);
    expect(hub().stats().pendingRuns).toBe(0);
  });
});
