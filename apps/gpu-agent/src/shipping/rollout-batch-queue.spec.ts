import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { EnvRollout } from './env-record.js';
import { RolloutBatchQueue } from './rollout-batch-queue.js';
import { decodeRollouts, RolloutSpool } from './rollout-spool.js';

const RUN = '7d0c7f4e-55c4-4a7e-9a43-2f1f1f1f1f1f';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function rollout(index: number): EnvRollout {
  return {
    index,
    step: 0,
    wire: {
      step: 0,
      sample_key: `i${index}`,
      example_id: null,
      ground_truth: true,
      p_yes: 0.5,
      brier_score: 0.25,
    },
    scoredCompletion: null,
    groundTruth: true,
    trainerReward: null,
    writtenAtMs: null,
  };
}

async function queueIn(options: { maxMemoryBatches?: number } = {}) {
  const root = await mkdtemp(join(tmpdir(), 'brier-batch-queue-'));
  dirs.push(root);
  const spoolDir = join(root, 'spool');
  const failures: Error[] = [];
  const queue = new RolloutBatchQueue({
    spool: new RolloutSpool(spoolDir),
    runId: RUN,
    attempt: 1,
    ...options,
    onSpoolFailure: (error) => failures.push(error),
    onFailure: (error) => failures.push(error),
    onQueued: () => undefined,
  });
  /** One batch of one rollout, cut and queued. */
  const cutOne = async (index: number) => {
    queue.add(rollout(index));
    queue.cut();
    await queue.settledWrites();
  };
  const files = async () => (await readdir(spoolDir).catch(() => [] as string[])).sort();
  return { queue, cutOne, files, failures };
}

describe('RolloutBatchQueue', () => {
  it('keeps batches in memory while the API keeps up: nothing is written', async () => {
    const { queue, cutOne, files, failures } = await queueIn();
    for (const index of [0, 1, 2]) {
      await cutOne(index);
      const head = queue.head()!;
      expect(head.payload).not.toBeNull();
      expect((await decodeRollouts(await queue.payloadOf(head))).map((w) => w.sample_key)).toEqual([
        `i${index}`,
      ]);
      await queue.remove(head);
      queue.shift();
    }
    expect(await files()).toEqual([]);
    expect(failures).toEqual([]);
  });

  it('spills every waiting batch past maxMemoryBatches, and those cut until the queue is empty', async () => {
    const { queue, cutOne, files, failures } = await queueIn({ maxMemoryBatches: 2 });
    for (const index of [0, 1, 2]) await cutOne(index); // the third is one too many
    await queue.settledWrites();
    const spilled = await files();
    expect(spilled).toEqual([0, 1, 2].map((i) => `0000000${i}-r-${RUN}-a1-i${i}-${i}.ndjson.gz`));
    await cutOne(3); // still behind: straight to disk
    expect(await files()).toHaveLength(4);

    const sent: string[] = [];
    while (queue.head() !== undefined) {
      const head = queue.head()!;
      expect(head.payload).toBeNull(); // read back from disk
      sent.push(...(await decodeRollouts(await queue.payloadOf(head))).map((w) => w.sample_key));
      await queue.remove(head);
      queue.shift();
    }
    expect(sent).toEqual(['i0', 'i1', 'i2', 'i3']);
    expect(await files()).toEqual([]);

    await cutOne(4); // caught up: in memory again
    expect(queue.head()!.payload).not.toBeNull();
    expect(await files()).toEqual([]);
    expect(failures).toEqual([]);
  });

  it('spill() writes the queued batches at once (a failed send), the one being sent included', async () => {
    const { queue, cutOne, files } = await queueIn();
    await cutOne(0);
    await cutOne(1);
    const head = queue.head()!;
    const payload = await queue.payloadOf(head); // being sent
    queue.spill();
    await queue.settledWrites();
    expect(await files()).toHaveLength(2);
    // From disk now: the same rollouts, gzipped as spooled.
    const spooled = await queue.payloadOf(head);
    expect(spooled.gzipped).toBe(true);
    expect(payload.gzipped).toBe(false);
    expect(await decodeRollouts(spooled)).toEqual(await decodeRollouts(payload));
    await queue.remove(head); // acknowledged after all
    queue.shift();
    expect(await files()).toEqual([`00000001-r-${RUN}-a1-i1-1.ndjson.gz`]);
  });

  it('keeps a refused batch on disk for a person, whether it was in memory or spilled', async () => {
    const { queue, cutOne, files } = await queueIn();
    await cutOne(0);
    const inMemory = queue.head()!;
    const kept = await queue.setAside(inMemory);
    queue.shift();
    expect(kept).toMatch(/00000000-.*\.ndjson\.gz\.rejected$/);
    expect((await decodeRollouts(await new RolloutSpool('').read(kept!))).map((w) => w.sample_key)).toEqual([
      'i0',
    ]);

    await cutOne(1);
    queue.spill();
    await queue.settledWrites();
    expect(await queue.setAside(queue.head()!)).toMatch(/00000001-.*\.ndjson\.gz\.rejected$/);
    queue.shift();
    expect((await files()).every((name) => name.endsWith('.rejected'))).toBe(true);
    expect(await files()).toHaveLength(2);
  });
});
