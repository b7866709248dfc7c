import { setTimeout as sleep } from 'node:timers/promises';

import { describe, expect, it } from 'vitest';

import { request } from '../../api/test/support/runs-fixtures.js';
import { e2eApi, startAgent, submit, untilStatus, useE2eApi } from './support/e2e-harness.js';

// A cancel must not wait for the agent's next heartbeat (10 s by default). The API signals the
// run's agent over Redis, which heartbeats at once and learns of the cancel. With heartbeats a
// minute apart, a cancel that waited for one would land within the test's 3 s about 1 time in 20.
const HEARTBEAT_MS = 60_000;
useE2eApi({ AGENT_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) });

describe('cancel with heartbeats far apart', { timeout: 90_000 }, () => {
  it('reaches the agent at once, not at its next heartbeat', async () => {
    startAgent('e2e-cancel-now', 1, { FAKE_PRIME_RL_STEP_SECONDS: '5' });
    const id = await submit('e2e-cancel-now');
    await untilStatus(id, 'running', 30_000);
    await sleep(1_500); // past the heartbeat the agent sends as a run starts

    const asked = Date.now();
    const cancel = await request(`${e2eApi().url}/v1/runs/${id}/cancel`, {
      headers: e2eApi().authHeaders,
      method: 'POST',
      json: {},
    });
    expect(cancel.status).toBeLessThan(300);
    await untilStatus(id, 'cancelled', 20_000);
    // SIGINT, the fake exits, the attempt is reported: about a second.
    expect(Date.now() - asked).toBeLessThan(3_000);
  });
});
