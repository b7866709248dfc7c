import type { Server } from 'node:http';

import { createTestDatabase } from '@brier/database/testing';
import { describe, expect, it } from 'vitest';

import { openRunsQueue } from '../../apps/api/test/support/runs-fixtures.js';
import { deleteKeys, startTestApi, TEST_REDIS_URL } from '../../apps/api/test/support/test-api.js';
import {
  drainQueue,
  expectJobCompleted,
  expectSucceededOnce,
  FAST_API_ENV,
  request,
  sleep,
  startAgent,
  submitTiny,
  untilStatus,
  untilStep,
  cleanupsAfterEach,
} from './support/fault-harness.js';

// Issue 6: the API restarted while agents stream (a deploy). The Nest app is stopped and a new
// one started on the same port, database and queue prefix; the agents are not touched.

const cleanups = cleanupsAfterEach();

describe('the API restarted while agents stream', { timeout: 120_000 }, () => {
  it('agents ride it out (spool, retry, heartbeat again) and every run succeeds exactly once', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const env = { ...FAST_API_ENV, AGENT_HEARTBEAT_INTERVAL_MS: '2000' };
    const first = await startTestApi(env, db);
    const prefix = first.queuePrefix;
    cleanups.push(() => deleteKeys(TEST_REDIS_URL, `${prefix}:*`));
    let firstOpen = true;
    cleanups.push(() => (firstOpen ? first.app.close() : Promise.resolve()));
    const port = new URL(first.url).port;

    startAgent(first, 'api-restart', { gpus: 2, env: { FAKE_PRIME_RL_STEP_SECONDS: '1' } });
    const ids = [
      await submitTiny(first, 'api-restart-a'),
      await submitTiny(first, 'api-restart-b'),
      await submitTiny(first, 'api-restart-c'),
    ];
    await untilStep(first, ids[0]!, 0);

    // What a stopped process does to its sockets: the agents' keep-alive connections end too
    // (in this one test process they would otherwise stay open to the closed app).
    const server = first.app.getHttpServer() as Server;
    await first.app.close();
    server.closeAllConnections();
    firstOpen = false;
    await sleep(1_500);
    const second = await startTestApi({ ...env, PORT: port, BRIER_QUEUE_PREFIX: prefix }, db);
    cleanups.push(() => second.app.close());
    expect(second.url).toBe(first.url);
    const queue = openRunsQueue({ queuePrefix: prefix });
    cleanups.push(() => queue.close());

    for (const id of ids) await untilStatus(second, id, 'succeeded', 60_000);
    await drainQueue(queue);
    for (const id of ids) {
      const rows = await expectSucceededOnce(second, id);
      expect(rows.map((a) => a.status)).toEqual(['succeeded']);
      await expectJobCompleted(queue, id);
    }
    const health = await request(`${second.url}/health`);
    expect(health.status).toBe(200);
  });
});
