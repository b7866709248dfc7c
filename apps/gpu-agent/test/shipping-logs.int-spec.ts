import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sql } from '../../api/test/support/rollout-api.js';
import { startTestApi, type TestApi } from '../../api/test/support/test-api.js';
import { AgentApiClient } from '../src/api-client/agent-api.client.js';
import { ApiConflictError, type ApiNotFoundError } from '../src/api-client/api-errors.js';
import { LogShipper } from '../src/shipping/log-shipper.js';
import { claimedTrainRun, SwitchableProxy } from './support/shipping-fixtures.js';

let api: TestApi;
let client: AgentApiClient;

beforeAll(async () => {
  api = await startTestApi({ REAPER_INTERVAL_MS: '0' });
  client = new AgentApiClient({ baseUrl: api.url, token: api.agentToken });
});
afterAll(() => api?.close());

interface StoredLine {
  seq: string;
  line: string;
}

/** The stored lines of one stream, in commit order. */
function storedLines(runId: string, stream = 'stdout'): Promise<StoredLine[]> {
  return sql<StoredLine & Record<string, unknown>>(
    api,
    `SELECT seq, line FROM run_logs WHERE run_id = $1 AND attempt = 1 AND stream = $2 ORDER BY id`,
    [runId, stream],
  );
}

const FAST = { baseDelayMs: 20, maxDelayMs: 50 };

describe('LogShipper against the real API', () => {
  it('ships 12,000 lines in order with seq = position, cut and cleaned to the limits; a replay is skipped', async () => {
    const { runId, claim } = await claimedTrainRun(api, {});
    const lost: unknown[] = [];
    const shipper = new LogShipper({
      client,
      runId,
      leaseToken: claim.leaseToken,
      attempt: claim.attempt,
      stream: 'stdout',
      flushIntervalMs: 20,
      onLeaseLost: (error) => lost.push(error),
    });
    const sent: string[] = [];
    for (let i = 0; i < 12_000; i++) sent.push(i === 7 ? `nul\u0000here` : `line ${i} ${'x'.repeat(i % 50)}`);
    sent.push('€'.repeat(6000)); // 18,000 bytes of UTF-8: cut to 16 KiB
    for (const line of sent) shipper.push(line);
    await shipper.flush(20_000);

    const stored = await storedLines(runId);
    expect(stored).toHaveLength(12_001);
    expect(stored.map((row) => Number(row.seq))).toEqual(stored.map((_, i) => i));
    expect(stored[7]!.line).toBe('nul\uFFFDhere');
    expect(stored[11_999]!.line).toBe(sent[11_999]);
    expect(stored[12_000]!.line).toBe('€'.repeat(5461));
    expect(stored.slice(0, 7).map((row) => row.line)).toEqual(sent.slice(0, 7));
    expect(shipper.stats).toEqual({
      pushed: 12_001,
      acknowledged: 12_001,
      truncated: 1,
      dropped: 0,
      rejected: 0,
    });

    // The API deduplicates on (run, attempt, stream, seq): resending the first batch is a no-op.
    const replay = await client.logs(runId, {
      leaseToken: claim.leaseToken,
      attempt: 1,
      stream: 'stdout',
      firstSeq: 0,
      lines: sent.slice(0, 5),
    });
    expect(replay).toEqual({ inserted: 0, skipped: 5 });
    await shipper.close(5_000);
    expect(lost).toEqual([]);
  });

  it('keeps the newest lines up to its bound while the API is away, then says how many it dropped', async () => {
    const { runId, claim } = await claimedTrainRun(api, {});
    const proxy = await SwitchableProxy.create(api.url);
    try {
      const shipper = new LogShipper({
        client: new AgentApiClient({ baseUrl: proxy.url, token: api.agentToken, requestTimeoutMs: 2_000 }),
        runId,
        leaseToken: claim.leaseToken,
        attempt: claim.attempt,
        stream: 'stderr',
        flushIntervalMs: 10,
        maxQueuedLines: 100,
        backoff: FAST,
        onLeaseLost: () => undefined,
      });
      for (let i = 0; i < 150; i++) shipper.push(`err ${i}`);
      expect(shipper.stats.dropped).toBe(50);
      await expect(shipper.flush(300)).rejects.toThrow('line(s) not acknowledged by the API within 300 ms');
      expect(await storedLines(runId, 'stderr')).toEqual([]);

      await proxy.open();
      await shipper.flush(10_000);
      const stored = await storedLines(runId, 'stderr');
      expect(stored.map((row) => Number(row.seq))).toEqual(stored.map((_, i) => i));
      expect(stored[0]!.line).toMatch(
        /^\[brier-agent\] 50 stderr line\(s\) dropped here: the API was unreachable/,
      );
      expect(stored.slice(1).map((row) => row.line)).toEqual(
        Array.from({ length: 100 }, (_, i) => `err ${i + 50}`),
      );
      expect(shipper.stats).toMatchObject({ pushed: 150, acknowledged: 100, dropped: 50 });
      await shipper.close(5_000);
    } finally {
      await proxy.close();
    }
  });

  it('stops once the lease is lost: onLeaseLost once, nothing more sent', async () => {
    const { runId, claim } = await claimedTrainRun(api, {});
    const lost: (ApiConflictError | ApiNotFoundError)[] = [];
    const shipper = new LogShipper({
      client,
      runId,
      leaseToken: claim.leaseToken,
      attempt: claim.attempt,
      stream: 'agent',
      flushIntervalMs: 10,
      onLeaseLost: (error) => lost.push(error),
    });
    shipper.push('before');
    await shipper.flush(5_000);
    await client.finish(runId, { leaseToken: claim.leaseToken, outcome: 'succeeded', exitCode: 0 });

    shipper.push('after');
    await expect(shipper.flush(5_000)).rejects.toBeInstanceOf(ApiConflictError);
    shipper.push('ignored');
    await sleep(50);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ reason: 'lease-lost', runStatus: 'succeeded' });
    expect((await storedLines(runId, 'agent')).map((row) => row.line)).toEqual(['before']);
    await shipper.close(1_000);
  });
});
