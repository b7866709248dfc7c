import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { LengthPenaltyConfig } from '@brier/calibration';
import { ROLLOUT_API } from '@brier/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '../../api/test/support/agent-api.js';
import { countRollouts, get } from '../../api/test/support/rollout-api.js';
import { startTestApi, type TestApi } from '../../api/test/support/test-api.js';
import { AgentApiClient } from '../src/api-client/agent-api.client.js';
import { ApiConflictError } from '../src/api-client/api-errors.js';
import { RolloutShipper, type RolloutShipperOptions } from '../src/shipping/rollout-shipper.js';
import { claimedTrainRun, SwitchableProxy, writeEnvRolloutLog } from './support/shipping-fixtures.js';

// Not the seed's penalty bounds: a shipper that scored with the defaults would disagree.
const REWARD: LengthPenaltyConfig = { maxTokens: 400, lowFraction: 0.25, highFraction: 0.75 };
const STEPS = 3;
const BATCH = 32;
const FAST = { baseDelayMs: 20, maxDelayMs: 60 };

let api: TestApi;
let client: AgentApiClient;
let scratch: string;
let lines: string[];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'brier-rollout-shipper-'));
  const log = join(scratch, 'attempt-1.jsonl');
  [api] = await Promise.all([
    startTestApi({ REAPER_INTERVAL_MS: '0' }),
    writeEnvRolloutLog(log, { steps: STEPS, batchSize: BATCH, reward: REWARD }),
  ]);
  client = new AgentApiClient({ baseUrl: api.url, token: api.agentToken });
  lines = (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '');
});
afterAll(async () => {
  await api?.close();
  await rm(scratch, { recursive: true, force: true });
});

interface Harness {
  runId: string;
  leaseToken: string;
  spoolDir: string;
  stored: number[];
  lost: unknown[];
  shipper: RolloutShipper;
}

/** A claimed run and a shipper for it, reporting events through the real client. */
async function harness(overrides: Partial<RolloutShipperOptions> = {}): Promise<Harness> {
  const { runId, claim } = await claimedTrainRun(api, { reward: REWARD });
  const spoolDir = await mkdtemp(join(scratch, 'spool-'));
  const stored: number[] = [];
  const lost: unknown[] = [];
  const leaseToken = claim.leaseToken;
  const shipper = new RolloutShipper({
    client,
    runId,
    leaseToken,
    attempt: claim.attempt,
    batchSize: BATCH,
    startStep: 0,
    reward: REWARD,
    spoolDir,
    maxBatchRollouts: 20,
    flushIntervalMs: 50,
    backoff: FAST,
    onStepStored: (step) => stored.push(step),
    onLeaseLost: (error) => lost.push(error),
    onEvent: async (event) => {
      await client.event(runId, { leaseToken, ...event });
    },
    ...overrides,
  });
  return { runId, leaseToken, spoolDir, stored, lost, shipper };
}

async function metrics(runId: string): Promise<{ step: number; n: number }[]> {
  const answer = await get<{ step: number; n: number }[]>(api, ROLLOUT_API.metrics(runId));
  expect(answer.status).toBe(200);
  return answer.body.map(({ step, n }) => ({ step, n }));
}

async function events(
  runId: string,
): Promise<{ type: string; reason: string | null; data: Record<string, unknown> }[]> {
  const answer = await get<{
    items: { type: string; reason: string | null; data: Record<string, unknown> }[];
  }>(api, `/v1/runs/${runId}/events`);
  return answer.body.items;
}

async function spoolFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.ndjson.gz')).sort();
}

const SHIPPER_EVENTS = [
  'reward-mismatch',
  'rollout-malformed',
  'rollout-rejected',
  'rollout-batch-rejected',
  'rollout-spool-failed',
];
const EXPECTED_METRICS = Array.from({ length: STEPS }, (_, step) => ({ step, n: BATCH }));

describe('RolloutShipper against the real API', () => {
  it("ships the env's rollout log: every step stored with its n, in order; its rewards agree; a replay adds nothing", async () => {
    const run = await harness();
    for (const line of lines) run.shipper.push(line);
    await run.shipper.flush(15_000);

    expect(run.stored).toEqual([0, 1, 2]);
    expect(await metrics(run.runId)).toEqual(EXPECTED_METRICS);
    expect(run.shipper.stats).toEqual({
      received: STEPS * BATCH,
      shipped: STEPS * BATCH,
      duplicates: 0,
      malformed: 0,
      rewardMismatches: 0,
      spooled: 0,
      rejected: 0,
    });
    expect(await spoolFiles(run.spoolDir)).toEqual([]);
    expect((await events(run.runId)).filter((e) => SHIPPER_EVENTS.includes(e.type))).toEqual([]);
    await run.shipper.close(5_000);

    // The same log shipped again under the same lease (an agent that re-read it): nothing doubles.
    const again = new RolloutShipper({
      client,
      runId: run.runId,
      leaseToken: run.leaseToken,
      attempt: 1,
      batchSize: BATCH,
      startStep: 0,
      reward: REWARD,
      spoolDir: run.spoolDir,
      maxBatchRollouts: 64,
      onStepStored: (step) => run.stored.push(step),
      onLeaseLost: (error) => run.lost.push(error),
      onEvent: () => undefined,
    });
    // Half of step 0, twice: a line seen again must not count twice towards its step.
    for (const line of [...lines.slice(0, BATCH / 2), ...lines.slice(0, BATCH / 2)]) again.push(line);
    await again.flush(5_000);
    expect(run.stored).toEqual([0, 1, 2]);
    for (const line of lines) again.push(line);
    await again.close(15_000);
    expect(again.stats).toMatchObject({ shipped: 0, duplicates: STEPS * BATCH + BATCH });
    expect(run.stored).toEqual([0, 1, 2, 0, 1, 2]);
    expect(await countRollouts(api, run.runId)).toBe(STEPS * BATCH);
    expect(run.lost).toEqual([]);
  });

  it('reports a tampered reward as reward-mismatch and a torn line as rollout-malformed; the steps still complete', async () => {
    const run = await harness();
    const tampered = JSON.parse(lines[5]!) as { reward: number; index: number };
    tampered.reward += 0.25;
    const feed = [...lines];
    feed[5] = JSON.stringify(tampered);
    feed[40] = lines[40]!.slice(0, 120); // a writer killed mid-line
    for (const line of feed) run.shipper.push(line);
    await run.shipper.close(15_000);

    expect(run.stored).toEqual([0, 1, 2]);
    expect(run.shipper.stats).toMatchObject({
      shipped: STEPS * BATCH - 1,
      malformed: 1,
      rewardMismatches: 1,
    });
    expect(await metrics(run.runId)).toEqual([
      { step: 0, n: BATCH },
      { step: 1, n: BATCH - 1 },
      { step: 2, n: BATCH },
    ]);
    const reported = await events(run.runId);
    const mismatch = reported.find((e) => e.type === 'reward-mismatch');
    expect(mismatch?.reason).toMatch(/^reward mismatch at index 5 \(step 0\)/);
    expect(mismatch?.data).toMatchObject({
      index: 5,
      step: 0,
      sampleKey: 'i5',
      trainerReward: tampered.reward,
    });
    expect(Math.abs((mismatch!.data['difference'] as number) - 0.25)).toBeLessThan(1e-9);
    const malformed = reported.find((e) => e.type === 'rollout-malformed');
    expect(malformed?.data).toMatchObject({ position: 40, index: 40, step: 1 });
    expect(
      reported.filter((e) => e.type === 'reward-mismatch' || e.type === 'rollout-malformed'),
    ).toHaveLength(2);
  });

  it('spools batches to disk while the API is down and drains them when it is back: nothing lost, nothing doubled', async () => {
    const proxy = await SwitchableProxy.create(api.url);
    try {
      const run = await harness({
        client: new AgentApiClient({ baseUrl: proxy.url, token: api.agentToken, requestTimeoutMs: 2_000 }),
        maxBatchRollouts: 16,
      });
      for (const line of lines) run.shipper.push(line);
      const files = await waitFor(
        async () => {
          const names = await spoolFiles(run.spoolDir);
          return names.length === 6 ? names : undefined;
        },
        { timeoutMs: 5_000, what: 'six spooled batches' },
      );
      expect(run.shipper.stats).toMatchObject({ spooled: STEPS * BATCH, shipped: 0 });
      expect(run.stored).toEqual([]);

      // The first batch reached the API but its answer was lost: the shipper's replay must be a no-op.
      const [first] = files;
      const batchId = first!.replace(/^\d+-/, '').replace(/\.ndjson\.gz$/, '');
      expect(batchId).toBe(`r-${run.runId}-a1-i0-15`);
      const payload = { body: await readFile(join(run.spoolDir, first!)), gzipped: true };
      await client.ingestRollouts(run.runId, { leaseToken: run.leaseToken, batchId, payload });

      await proxy.open();
      await run.shipper.flush(15_000);
      expect(await spoolFiles(run.spoolDir)).toEqual([]);
      expect(run.stored).toEqual([0, 1, 2]);
      expect(run.shipper.stats).toMatchObject({ shipped: STEPS * BATCH - 16, duplicates: 16, spooled: 0 });
      expect(await countRollouts(api, run.runId)).toBe(STEPS * BATCH);
      expect(await metrics(run.runId)).toEqual(EXPECTED_METRICS);
      await run.shipper.close(5_000);
    } finally {
      await proxy.close();
    }
  });

  it('stops when the lease is revoked: onLeaseLost once, flush says why', async () => {
    const run = await harness();
    await client.finish(run.runId, { leaseToken: run.leaseToken, outcome: 'succeeded', exitCode: 0 });
    for (const line of lines.slice(0, BATCH)) run.shipper.push(line);
    await expect(run.shipper.flush(10_000)).rejects.toBeInstanceOf(ApiConflictError);
    run.shipper.push(lines[BATCH]!);
    expect(run.lost).toHaveLength(1);
    expect(run.lost[0]).toMatchObject({ reason: 'lease-lost', runStatus: 'succeeded' });
    expect(run.stored).toEqual([]);
    expect(await countRollouts(api, run.runId)).toBe(0);
    await run.shipper.close(1_000);
  });
});
