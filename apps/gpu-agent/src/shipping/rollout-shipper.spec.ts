import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { scoreCompletion, SEED_LENGTH_PENALTY } from '@brier/calibration';
import type { IngestRolloutsResponse, RolloutWire } from '@brier/contracts';
import { afterEach, describe, expect, it } from 'vitest';

import { AgentApiClient, type IngestRolloutsOptions } from '../api-client/agent-api.client.js';
import { errorFromResponse } from '../api-client/api-errors.js';
import { RolloutShipper } from './rollout-shipper.js';
import { decodeRollouts } from './rollout-spool.js';
import type { RunEventReport } from './sampled-event-reporter.js';

const RUN = '7d0c7f4e-55c4-4a7e-9a43-2f1f1f1f1f1f';
const LEASE = '0b9e7d3c-1111-4b22-8c33-444455556666';

/** An API whose ingestion answers are scripted: an Error to throw, or the answer for what was sent. */
class ScriptedClient extends AgentApiClient {
  readonly sent: { batchId: string; rollouts: RolloutWire[] }[] = [];

  constructor(private readonly script: (Error | null)[]) {
    super({ baseUrl: 'http://127.0.0.1:1' });
  }

  override async ingestRollouts(
    _runId: string,
    options: IngestRolloutsOptions,
  ): Promise<IngestRolloutsResponse> {
    const rollouts = await decodeRollouts(options.payload);
    this.sent.push({ batchId: options.batchId, rollouts });
    const next = this.script.shift() ?? null;
    if (next !== null) throw next;
    return { inserted: rollouts.length, skipped: 0, duplicateBatch: false };
  }
}

function line(index: number, batchSize: number, extra: Record<string, unknown> = {}): string {
  const completion = `Because. ANSWER: YES with ${50 + index}% probability`;
  const score = scoreCompletion(completion, 'True', SEED_LENGTH_PENALTY);
  return JSON.stringify({
    full_prompt: '[user] q\n',
    ground_truth: 'True',
    p_yes: score.pYes,
    brier_score: score.brier,
    reward: score.reward,
    full_completion: `[assistant] ${completion}\n`,
    index,
    step: Math.floor(index / batchSize),
    example_id: `ex-${index % 2}`,
    ...extra,
  });
}

function badRequest(body: unknown): Error {
  return errorFromResponse('POST', `/v1/runs/${RUN}/rollouts`, 400, new Headers(), JSON.stringify(body));
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function shipperWith(client: ScriptedClient, options: { flushIntervalMs?: number } = {}) {
  const spoolDir = await mkdtemp(join(tmpdir(), 'brier-spool-spec-'));
  dirs.push(spoolDir);
  const events: RunEventReport[] = [];
  const stored: number[] = [];
  const shipper = new RolloutShipper({
    client,
    runId: RUN,
    leaseToken: LEASE,
    attempt: 2,
    batchSize: 4,
    startStep: 0,
    reward: SEED_LENGTH_PENALTY,
    spoolDir,
    maxBatchRollouts: 4,
    flushIntervalMs: options.flushIntervalMs ?? 10,
    backoff: { baseDelayMs: 1, maxDelayMs: 2 },
    onStepStored: (step) => stored.push(step),
    onLeaseLost: () => undefined,
    onEvent: (event) => {
      events.push(event);
    },
  });
  return { shipper, spoolDir, events, stored };
}

describe('RolloutShipper when the API refuses rollouts', () => {
  it('takes out the lines a 400 names, reports them, and sends the rest under the same Batch-Id', async () => {
    const client = new ScriptedClient([
      badRequest({
        statusCode: 400,
        message: [{ path: 'lines[2].example_id', message: 'line 2: example_id is bad' }],
        lines: [2],
      }),
    ]);
    const { shipper, spoolDir, events, stored } = await shipperWith(client);
    for (let i = 0; i < 4; i++) shipper.push(line(i, 4));
    await shipper.close(5_000);

    expect(client.sent.map((s) => s.batchId)).toEqual([`r-${RUN}-a2-i0-3`, `r-${RUN}-a2-i0-3`]);
    expect(client.sent[1]!.rollouts.map((r) => r.sample_key)).toEqual(['i0', 'i2', 'i3']);
    expect(shipper.stats).toMatchObject({ shipped: 3, rejected: 1, spooled: 0 });
    expect(stored).toEqual([0]); // the refused rollout was reported: the step is not held back forever
    expect(events).toMatchObject([
      {
        type: 'rollout-rejected',
        data: { sampleKey: 'i1', step: 0, problems: ['line 2: example_id is bad'] },
      },
    ]);
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('sets a batch aside when the answer names no line, and goes on with the next', async () => {
    const client = new ScriptedClient([badRequest({ statusCode: 400, message: 'the body is wrong' })]);
    const { shipper, spoolDir, events, stored } = await shipperWith(client);
    for (let i = 0; i < 8; i++) shipper.push(line(i, 4));
    await shipper.close(5_000);

    expect(shipper.stats).toMatchObject({ shipped: 4, rejected: 4, spooled: 0 });
    expect(stored).toEqual([0, 1]);
    expect(await readdir(spoolDir)).toEqual([`00000000-r-${RUN}-a2-i0-3.ndjson.gz.rejected`]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'rollout-batch-rejected', data: { rollouts: 4, status: 400 } });
    expect(events[0]!.message).toContain('the body is wrong');
  });
});

describe('RolloutShipper batching', () => {
  it("counts a batch's wait from when its first line was written: a backlog goes at once, read together in one batch", async () => {
    const client = new ScriptedClient([]);
    const { shipper, spoolDir } = await shipperWith(client, { flushIntervalMs: 60_000 });
    const longAgo = Date.now() / 1000 - 120; // the env's ts: seconds
    for (let i = 0; i < 3; i++) shipper.push(line(i, 4, { ts: longAgo + i / 100 }));
    await waitUntil(() => client.sent.length > 0, 5_000); // far sooner than the minute it would wait
    expect(client.sent.map((s) => s.rollouts.map((r) => r.sample_key))).toEqual([['i0', 'i1', 'i2']]);
    expect(await readdir(spoolDir)).toEqual([]); // the API kept up: nothing went to disk
    shipper.push(line(3, 4, { ts: 'not a time' })); // a hint only: the line is shipped all the same
    await shipper.close(5_000);
    expect(shipper.stats).toMatchObject({ shipped: 4, malformed: 0 });
  });
});

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(10);
  }
}
