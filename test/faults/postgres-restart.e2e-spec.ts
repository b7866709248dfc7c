import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { createTestDatabase } from '@brier/database/testing';
import { describe, expect, it } from 'vitest';

import { openRunsQueue } from '../../apps/api/test/support/runs-fixtures.js';
import { startTestApi } from '../../apps/api/test/support/test-api.js';
import { SwitchableProxy } from '../../apps/gpu-agent/test/support/shipping-fixtures.js';
import {
  drainQueue,
  expectJobCompleted,
  expectSucceededOnce,
  explained,
  FAST_API_ENV,
  request,
  sleep,
  startAgent,
  submitTiny,
  untilStatus,
  untilStep,
  waitFor,
  cleanupsAfterEach,
} from './support/fault-harness.js';

// reliability.md §2.11 #16 and issue 6's "Postgres restarted during ingestion". The shared
// Postgres is never restarted: the API reaches it through a TCP proxy that drops every
// connection and refuses new ones for a while, as clients see a restart.

const cleanups = cleanupsAfterEach();

/** An API (FAST_API_ENV and `env`) on its own database, reached through a proxy to switch off. */
async function apiBehindPostgresProxy(env: Record<string, string> = {}) {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const proxy = await SwitchableProxy.create(db.url);
  await proxy.open();
  cleanups.push(() => proxy.close());
  const viaProxy = new URL(db.url);
  viaProxy.port = new URL(proxy.url).port;
  const api = await startTestApi({ ...FAST_API_ENV, ...env, DATABASE_URL: viaProxy.toString() }, db);
  cleanups.push(() => api.close());
  return { api, proxy };
}

describe('Postgres restarted while agents stream rollouts', { timeout: 120_000 }, () => {
  it('the API answers 503 meanwhile, the agent spools and retries, and every rollout is stored exactly once', async () => {
    // Heartbeats every 2 s (lost after 6 s): the outage is shorter than a lease, as a restart is.
    const { api, proxy } = await apiBehindPostgresProxy({ AGENT_HEARTBEAT_INTERVAL_MS: '2000' });
    const queue = openRunsQueue(api);
    cleanups.push(() => queue.close());
    const agent = startAgent(api, 'pg-restart', { gpus: 2, env: { FAKE_PRIME_RL_STEP_SECONDS: '1' } });
    const ids = [await submitTiny(api, 'pg-restart-a'), await submitTiny(api, 'pg-restart-b')];
    await untilStep(api, ids[0]!, 0);

    await proxy.close();
    const down = await request(`${api.url}/v1/runs/${ids[0]}`, { headers: api.authHeaders });
    expect(down.status).toBe(503);
    // The outage hits ingestion: batches wait in the attempt's spool.
    const spool = join(agent.workDir, 'runs', ids[0]!, 'attempt-1', 'spool');
    await explained(
      waitFor(() => Promise.resolve(existsSync(spool) && readdirSync(spool).length > 0), {
        timeoutMs: 10_000,
        intervalMs: 50,
        what: 'batches spooled while Postgres is away',
      }),
    );
    await sleep(2_000);
    await proxy.open();

    for (const id of ids) await untilStatus(api, id, 'succeeded', 60_000);
    await drainQueue(queue);
    for (const id of ids) {
      const rows = await expectSucceededOnce(api, id);
      expect(rows.map((a) => a.status)).toEqual(['succeeded']);
      await expectJobCompleted(queue, id);
    }
    expect(readdirSync(spool)).toEqual([]);
  });

  it('an outage longer than a lease: when Postgres is back, the reaper lets agents heartbeat before it reaps', async () => {
    // Heartbeats every second (lost after 3 s), the reaper every 300 ms, Postgres away for 5 s.
    const { api, proxy } = await apiBehindPostgresProxy();
    startAgent(api, 'pg-long-outage', { gpus: 1, env: { FAKE_PRIME_RL_STEP_SECONDS: '1' } });
    const id = await submitTiny(api, 'pg-long-outage');
    await untilStep(api, id, 0);

    await proxy.close();
    await sleep(5_000);
    await proxy.open();

    await untilStatus(api, id, 'succeeded', 60_000);
    // Reaped at the first pass after the outage, it would have been re-queued as attempt 2.
    const rows = await expectSucceededOnce(api, id);
    expect(rows.map((a) => a.status)).toEqual(['succeeded']);
  });
});
