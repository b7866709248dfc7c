import { setTimeout as sleep } from 'node:timers/promises';

import { describe, expect, it } from 'vitest';

import { cancelUntilCancelled, startAgent, submit, untilStatus, useE2eApi } from './support/e2e-harness.js';

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

    // SIGINT, the fake exits, the attempt is reported: about a second.
    expect(await cancelUntilCancelled(id)).toBeLessThan(3_000);
  });
});
