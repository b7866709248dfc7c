import { afterAll, afterEach, beforeAll, expect } from 'vitest';

import type { RunAttemptDto } from '../../../api/src/runs/dto/run-history.dto.js';
import { request, waitFor } from '../../../api/test/support/runs-fixtures.js';
import { startTestApi, TEST_REDIS_URL, type TestApi } from '../../../api/test/support/test-api.js';
import {
  cleanupAgents,
  FAKE_NVIDIA_SMI,
  FAKE_UV,
  fakeGpus,
  spawnAgent,
  tempDir,
  type AgentProcess,
} from './agent-process.js';

export { isAlive } from './agent-process.js';
import { RouteBlockingProxy } from './route-blocking-proxy.js';
import { SwitchableProxy } from './shipping-fixtures.js';

// What the agent's end-to-end files share: one API per file (real Postgres, real Redis), agents as
// their own processes with the fake prime-rl and nvidia-smi, and waits that show what agents said.

export interface RunView {
  id: string;
  status: string;
  attempt: number;
  progressStep: number | null;
}
export interface StepMetrics {
  step: number;
  n: number;
  orchestrator_reward: number | null;
}
export interface CheckpointView {
  step: number;
  kind: string;
  complete: boolean;
}
export interface Page<T> {
  items: T[];
}

let api: TestApi;

/** The file's API (started by useE2eApi's beforeAll). */
export function e2eApi(): TestApi {
  return api;
}

/**
 * One API for the file's tests (heartbeats every 1 s unless `env` says otherwise, reaper 0.5 s);
 * agents stopped, then API proxies closed, after each test.
 */
export function useE2eApi(env: Record<string, string> = {}): void {
  beforeAll(async () => {
    api = await startTestApi({ AGENT_HEARTBEAT_INTERVAL_MS: '1000', REAPER_INTERVAL_MS: '500', ...env });
  });
  afterAll(async () => {
    await api.close();
  });
  afterEach(async () => {
    agents.splice(0);
    await cleanupAgents();
    for (const proxy of proxies.splice(0)) await proxy.close();
  });
}

const proxies: Array<SwitchableProxy | RouteBlockingProxy> = [];

/** An open proxy in front of the file's API, for agents to lose it; closed after the test. */
export async function openApiProxy(): Promise<SwitchableProxy> {
  const proxy = await SwitchableProxy.create(api.url);
  proxies.push(proxy);
  await proxy.open();
  return proxy;
}

/** A proxy in front of the file's API that can drop the requests of one route; closed after the test. */
export async function openRouteBlockingProxy(): Promise<RouteBlockingProxy> {
  const proxy = await RouteBlockingProxy.open(api.url);
  proxies.push(proxy);
  return proxy;
}

/** This test's agents: what they said is the first thing to read when a wait fails. */
const agents: { name: string; agent: AgentProcess }[] = [];

export async function explained<T>(wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (error) {
    const said = agents.map(({ name, agent }) => `--- agent ${name} ---\n${agent.stdout()}${agent.stderr()}`);
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${said.join('\n')}`, {
      cause: error,
    });
  }
}

export function startAgent(
  name: string,
  gpus: number,
  knobs: Record<string, string> = {},
  workDir = tempDir(),
  apiUrl = api.url,
): AgentProcess {
  const agent = spawnAgent({
    API_URL: apiUrl,
    REDIS_URL: TEST_REDIS_URL,
    BRIER_QUEUE_PREFIX: api.queuePrefix,
    AGENT_NAME: name,
    AGENT_WORK_DIR: workDir,
    UV_BIN: FAKE_UV,
    PRIME_RL_DIR: tempDir('brier-prime-rl-'),
    NVIDIA_SMI_BIN: FAKE_NVIDIA_SMI,
    FAKE_NVIDIA_SMI_STATE: fakeGpus(gpus),
    RUN_STOP_GRACE_MS: '2000',
    AGENT_HANDBACK_DELAY_MS: '300',
    AGENT_JOB_LOCK_MS: '2000',
    ...knobs,
  });
  agents.push({ name, agent });
  return agent;
}

export async function submit(
  name: string,
  spec: Record<string, unknown> = {},
  resources?: object,
): Promise<string> {
  const answer = await request<RunView>(`${api.url}/v1/runs`, {
    headers: api.authHeaders,
    method: 'POST',
    json: {
      preset: 'smoke-tiny',
      name,
      ...(Object.keys(spec).length ? { spec } : {}),
      ...(resources ? { resources } : {}),
    },
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  return answer.body.id;
}

export async function run(id: string): Promise<RunView> {
  return (await request<RunView>(`${api.url}/v1/runs/${id}`, { headers: api.authHeaders })).body;
}

export function untilStatus(id: string, status: string, timeoutMs = 60_000): Promise<RunView> {
  return explained(
    waitFor(
      async () => {
        const current = await run(id);
        return current.status === status ? current : undefined;
      },
      { timeoutMs, intervalMs: 200, what: `run ${id} ${status}` },
    ),
  );
}

/** Resolves once the run has stored step `step` (its progress step). */
export function untilStep(id: string, step: number, timeoutMs = 30_000): Promise<RunView> {
  return explained(
    waitFor(
      async () => {
        const current = await run(id);
        return (current.progressStep ?? -1) >= step ? current : undefined;
      },
      { timeoutMs, intervalMs: 100, what: `step ${step} stored` },
    ),
  );
}

/** Asks the API to cancel run `id`, then waits until it is cancelled: the milliseconds that took. */
export async function cancelUntilCancelled(id: string): Promise<number> {
  const asked = Date.now();
  const cancel = await request(`${api.url}/v1/runs/${id}/cancel`, {
    headers: api.authHeaders,
    method: 'POST',
    json: {},
  });
  if (cancel.status >= 300) throw new Error(`cancel of run ${id} answered ${cancel.status}`);
  await untilStatus(id, 'cancelled', 20_000);
  return Date.now() - asked;
}

/** The types of a run's events, oldest first. */
export async function eventTypes(id: string): Promise<string[]> {
  const events = (
    await request<{ type: string }[] | Page<{ type: string }>>(`${api.url}/v1/runs/${id}/events`, {
      headers: api.authHeaders,
    })
  ).body;
  return (Array.isArray(events) ? events : events.items).map((event) => event.type);
}

/** A run's attempts, by number. */
export async function attempts(id: string): Promise<RunAttemptDto[]> {
  return (await request<RunAttemptDto[]>(`${api.url}/v1/runs/${id}/attempts`, { headers: api.authHeaders }))
    .body;
}

export async function metrics(id: string): Promise<StepMetrics[]> {
  return (await request<StepMetrics[]>(`${api.url}/v1/runs/${id}/metrics`, { headers: api.authHeaders }))
    .body;
}
