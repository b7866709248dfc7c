import type { RunProgressDto, RunProgressResponse } from '@brier/contracts';
import { OrchestratorLogParser, type StepLogEntry } from '@brier/results';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { get } from '../../api/test/support/agent-api.js';
import { sql } from '../../api/test/support/rollout-api.js';
import { startTestApi, type TestApi } from '../../api/test/support/test-api.js';
import { AgentApiClient } from '../src/api-client/agent-api.client.js';
import { ApiConflictError } from '../src/api-client/api-errors.js';
import { ProgressReporter } from '../src/shipping/progress-reporter.js';
import { claimedTrainRun } from './support/shipping-fixtures.js';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ REAPER_INTERVAL_MS: '0' });
});
afterAll(() => api?.close());

/** The real client, counting progress calls and how many were in flight at once. */
class CountingClient extends AgentApiClient {
  calls: RunProgressDto[] = [];
  inFlight = 0;
  maxInFlight = 0;

  override async progress(runId: string, body: RunProgressDto): Promise<RunProgressResponse> {
    this.calls.push(body);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await super.progress(runId, body);
    } finally {
      this.inFlight -= 1;
    }
  }
}

/** Step lines the way prime-rl's orchestrator prints them, parsed by libs/results. */
function orchestratorEntries(steps: number): StepLogEntry[] {
  const parser = new OrchestratorLogParser();
  for (let step = 0; step < steps; step++) {
    if (step === 1) parser.push('12:00:00 INFO Detected 3/64 rollouts (gibberish=3)');
    parser.push(
      `12:00:0${step % 10} SUCCESS Step ${step} | Time: ${1 + step / 10}s | Reward: 0.${step + 1} | Seq. Length: 400.5 tokens/sample | Async Level: 0 | Max. Off-Policy Level: 0`,
    );
  }
  return [...parser.steps];
}

async function progressStep(runId: string): Promise<number | null> {
  const answer = await get<{ progressStep: number | null }>(api, `/v1/runs/${runId}`);
  return answer.body.progressStep;
}

describe('ProgressReporter against the real API', () => {
  it('reports the last step that is both stored and logged, never backwards, with the orchestrator lines', async () => {
    const { runId, claim } = await claimedTrainRun(api, {});
    const client = new CountingClient({ baseUrl: api.url, token: api.agentToken });
    const reporter = new ProgressReporter({
      client,
      runId,
      leaseToken: claim.leaseToken,
      minIntervalMs: 50,
      onLeaseLost: () => undefined,
    });
    const [zero, one, two] = orchestratorEntries(3);

    reporter.orchestratorStep(zero!);
    reporter.orchestratorStep(one!);
    await reporter.flush(2_000); // no step is stored yet: nothing to say
    expect(client.calls).toEqual([]);
    expect(reporter.lastReportedStep).toBeNull();

    reporter.stepStored(0);
    reporter.stepStored(1);
    reporter.stepStored(2); // stored, but its step line is not there yet
    await reporter.flush(5_000);
    expect(reporter.lastReportedStep).toBe(1);
    expect(await progressStep(runId)).toBe(1);

    reporter.orchestratorStep(two!);
    reporter.stepStored(0); // late and lower: changes nothing
    await reporter.flush(5_000);
    expect(reporter.lastReportedStep).toBe(2);
    expect(await progressStep(runId)).toBe(2);
    expect(client.calls.map((c) => c.step)).toEqual([0, 1, 2]); // step 0 went out at once

    const rows = await sql<{ step: number; time_s: number; reward: number; seq_len: number }>(
      api,
      'SELECT step, time_s, reward, seq_len FROM orchestrator_steps WHERE run_id = $1 ORDER BY step',
      [runId],
    );
    expect(rows).toEqual([
      { step: 0, time_s: 1, reward: 0.1, seq_len: 400.5 },
      { step: 1, time_s: 1.1, reward: 0.2, seq_len: 400.5 },
      { step: 2, time_s: 1.2, reward: 0.3, seq_len: 400.5 },
    ]);
    expect(client.calls[0]!.orchestrator?.[1]).toMatchObject({
      step: 1,
      filteredCount: 3,
      filteredTotal: 64,
      filtered: { gibberish: 3 },
    });
    await reporter.close(2_000);
  });

  it('coalesces a burst: one request in flight, at most one per interval', async () => {
    const { runId, claim } = await claimedTrainRun(api, {});
    const client = new CountingClient({ baseUrl: api.url, token: api.agentToken });
    const reporter = new ProgressReporter({
      client,
      runId,
      leaseToken: claim.leaseToken,
      minIntervalMs: 1_000,
      onLeaseLost: () => undefined,
    });
    const entries = orchestratorEntries(40);
    const started = Date.now();
    for (const entry of entries) {
      reporter.orchestratorStep(entry);
      reporter.stepStored(entry.step);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(client.calls.length).toBe(1); // the first goes at once, the rest wait for the interval
    await reporter.flush(5_000);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(client.maxInFlight).toBe(1);
    expect(client.calls.length).toBeLessThanOrEqual(2);
    expect(client.calls.flatMap((c) => c.orchestrator ?? []).map((o) => o.step)).toEqual(
      entries.map((e) => e.step),
    );
    expect(reporter.lastReportedStep).toBe(39);
  });

  it('stops when the lease is lost: onLeaseLost once', async () => {
    const { runId, claim } = await claimedTrainRun(api, {});
    const client = new AgentApiClient({ baseUrl: api.url, token: api.agentToken });
    const lost: unknown[] = [];
    const reporter = new ProgressReporter({
      client,
      runId,
      leaseToken: claim.leaseToken,
      minIntervalMs: 10,
      onLeaseLost: (error) => lost.push(error),
    });
    await client.finish(runId, { leaseToken: claim.leaseToken, outcome: 'cancelled', signal: 'SIGINT' });
    const [zero, one] = orchestratorEntries(2);
    reporter.orchestratorStep(zero!);
    reporter.stepStored(0);
    await expect(reporter.flush(5_000)).rejects.toBeInstanceOf(ApiConflictError);
    reporter.orchestratorStep(one!);
    reporter.stepStored(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ reason: 'lease-lost', runStatus: 'cancelled' });
  });
});
