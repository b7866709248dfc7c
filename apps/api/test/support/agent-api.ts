import {
  AGENT_API,
  type ClaimRunResponse,
  type GpuDto,
  type RegisterAgentDto,
  type RegisterAgentResponse,
} from '@brier/contracts';
import { RunRepository } from '@brier/database';

import { ndjson, postRollouts } from './rollout-api.js';
import type { TestApi } from './test-api.js';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** POST a JSON body to the test API as its admin; the answer's status and parsed body. */
export async function post<T = Record<string, unknown>>(
  api: TestApi,
  path: string,
  body: unknown,
): Promise<Answer<T>> {
  const response = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...api.authHeaders },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as T };
}

export async function get<T = Record<string, unknown>>(api: TestApi, path: string): Promise<Answer<T>> {
  const response = await fetch(`${api.url}${path}`, {
    headers: api.authHeaders,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as T };
}

export function gpu(index: number, overrides: Partial<GpuDto> = {}): GpuDto {
  return {
    index,
    uuid: `GPU-00000000-0000-0000-0000-00000000000${index}`,
    name: 'NVIDIA A100-SXM4-80GB',
    memoryTotalMiB: 81920,
    memoryUsedMiB: 0,
    driverVersion: '550.54.15',
    cudaVersion: '12.4',
    ...overrides,
  };
}

/** A test agent: its registration, plus claim and heartbeat helpers bound to it. */
export interface TestAgent extends RegisterAgentResponse {
  name: string;
  claim(runId: string, gpuIndices?: number[]): Promise<Answer>;
  heartbeat(runs: { runId: string; leaseToken: string; step?: number }[], extra?: object): Promise<Answer>;
}

export async function registerAgent(
  api: TestApi,
  name: string,
  overrides: Partial<RegisterAgentDto> = {},
): Promise<TestAgent> {
  const body: RegisterAgentDto = {
    name,
    hostname: `${name}.test`,
    version: '0.1.0',
    primeRlVersion: 'v0.4.0',
    labels: ['a100'],
    gpus: [gpu(0), gpu(1)],
    ...overrides,
  };
  const answer = await post<RegisterAgentResponse>(api, AGENT_API.register(), body);
  if (answer.status !== 200)
    throw new Error(`register ${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
  const agent = answer.body;
  return {
    ...agent,
    name,
    claim: (runId, gpuIndices = [0]) =>
      post(api, AGENT_API.claim(runId), {
        agentId: agent.agentId,
        incarnation: agent.incarnation,
        gpuIndices,
      }),
    heartbeat: (runs, extra = {}) =>
      post(api, AGENT_API.heartbeat(agent.agentId), {
        incarnation: agent.incarnation,
        gpus: body.gpus,
        runs,
        ...extra,
      }),
  };
}

/** A queued run straight in Postgres (the runs API is another module's): `gpuCount` GPUs. */
export async function createRun(
  api: TestApi,
  options: { gpuCount?: number; labels?: string[] } = {},
): Promise<string> {
  const { run } = await api.app.get(RunRepository).create({
    kind: 'train',
    name: `test-run-${Math.random().toString(36).slice(2, 8)}`,
    spec: { model: 'google/gemma-2-2b-it', maxSteps: 50, batchSize: TEST_RUN_BATCH },
    specVersion: 1,
    gpuCount: options.gpuCount ?? 1,
    labels: options.labels ?? [],
    maxSteps: 50,
  });
  return run.id;
}

/** Rollouts per step of createRun's runs. */
export const TEST_RUN_BATCH = 2;

/**
 * Whole batches of steps `from` … steps−1 (under the lease, when given), as the agent would have
 * shipped them before a checkpoint of step `steps`: a resume from that checkpoint needs them stored.
 */
export async function storeWholeSteps(
  api: TestApi,
  runId: string,
  leaseToken: string | undefined,
  steps: number,
  from = 0,
): Promise<void> {
  const lines = [];
  for (let step = from; step < steps; step++) {
    for (let k = 0; k < TEST_RUN_BATCH; k++) {
      lines.push({ step, sample_key: `q${k}`, ground_truth: k % 2 === 0, p_yes: 0.7, brier_score: 0.09 });
    }
  }
  const answer = await postRollouts(api, runId, ndjson(lines), leaseToken ? { leaseToken } : {});
  if (answer.status !== 200) throw new Error(`rollouts: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** A successful claim's body, or a thrown error naming what came back instead. */
export async function claimed(answer: Promise<Answer>): Promise<ClaimRunResponse> {
  const { status, body } = await answer;
  if (status !== 200) throw new Error(`claim: ${status} ${JSON.stringify(body)}`);
  return body as unknown as ClaimRunResponse;
}

/** Poll `check` every `intervalMs` until it returns a value other than undefined, or fail after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  { timeoutMs = 10_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
