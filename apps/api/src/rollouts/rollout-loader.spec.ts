import { SEED_LENGTH_PENALTY } from '@brier/calibration';
import type { EncodedRolloutBatch, RolloutIngestSession } from '@brier/database';
import { describe, expect, it } from 'vitest';

import { NdjsonChunker } from './ndjson-chunker.js';
import { parseRolloutChunk, type ChunkTask } from './rollout-chunk.parser.js';
import { RolloutLoader, TooManyRolloutsError } from './rollout-loader.js';
import type { RolloutParsePool } from './rollout-parse-pool.js';
import type { RecordsResult } from './rollout-records.js';

const context = { defaultAttempt: 0, penalty: SEED_LENGTH_PENALTY };
const completion = 'Reasoning: fine.\nANSWER: YES with 80% probability';

/** A pool whose chunks finish in a scrambled order (later chunks often first). */
function scrambledPool(size = 2): RolloutParsePool & { started: number } {
  let started = 0;
  return {
    size,
    get started() {
      return started;
    },
    parse(task: ChunkTask) {
      const delay = [7, 1, 4, 0, 9, 2][started++ % 6]!;
      return new Promise((resolve) => setTimeout(() => resolve(parseRolloutChunk(task)), delay));
    },
  } as unknown as RolloutParsePool & { started: number };
}

/** A session that records what it is given, in order. */
function recordingSession() {
  const keys: string[] = [];
  let received = 0;
  let writes = 0;
  const session = {
    runId: '00000000-0000-4000-8000-000000000000',
    get counts() {
      return { received, inserted: keys.length };
    },
    write(batches: EncodedRolloutBatch[]) {
      writes += 1;
      for (const batch of batches) {
        received += batch.received;
        // The sample keys, from the tuples: field 4 (after run_id, step, attempt).
        const buffer = Buffer.from(batch.tuples.buffer, batch.tuples.byteOffset, batch.tuples.byteLength);
        for (let at = 0; at < buffer.length;) {
          const fields = buffer.readInt16BE(at);
          at += 2;
          for (let f = 0; f < fields; f++) {
            const length = buffer.readInt32BE(at);
            if (f === 3) keys.push(buffer.toString('utf8', at + 4, at + 4 + length));
            at += 4 + Math.max(length, 0);
          }
        }
      }
      return Promise.resolve(0);
    },
  };
  return { session: session as unknown as RolloutIngestSession, keys, writes: () => writes };
}

const body = (count: number, bad: number[] = []) =>
  Array.from({ length: count }, (_, i) =>
    bad.includes(i + 1)
      ? '{"broken": '
      : JSON.stringify({
          step: i % 3,
          sample_key: `k${String(i).padStart(4, '0')}`,
          ground_truth: true,
          completion,
        }),
  ).join('\n');

async function feed(loader: RolloutLoader, text: string, piece = 700): Promise<void> {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += piece) await loader.addBytes(bytes.subarray(at, at + piece));
}

describe('RolloutLoader', () => {
  it('writes every row in body order, whatever order the chunks are parsed in', async () => {
    const { session, keys, writes } = recordingSession();
    const pool = scrambledPool();
    const loader = new RolloutLoader(session, pool, { context, chunkBytes: 2048, writeRows: 50 });
    await feed(loader, body(600));
    const summary = await loader.finish();
    expect(summary).toMatchObject({ received: 600, errorLines: 0, inserted: 600 });
    expect(keys).toEqual(Array.from({ length: 600 }, (_, i) => `k${String(i).padStart(4, '0')}`));
    expect(pool.started).toBeGreaterThan(20);
    expect(writes()).toBeGreaterThan(5);
    expect(writes()).toBeLessThan(pool.started);
  });

  it('after a bad line writes nothing more, and still lists every bad line, in order', async () => {
    const { session, keys } = recordingSession();
    const loader = new RolloutLoader(session, scrambledPool(), { context, chunkBytes: 2048, writeRows: 50 });
    await feed(loader, body(600, [420, 9, 580]));
    const summary = await loader.finish();
    expect(summary).toMatchObject({ received: 600, errorLines: 3, inserted: 0 });
    expect(summary.errors.map((e) => e.line)).toEqual([9, 420, 580]);
    expect(keys.length).toBeLessThan(50); // at most what was written before line 9 was seen
  });

  it('takes chunks parsed ahead, then goes on from where they stopped', async () => {
    const text = body(300);
    const cut = Buffer.from(text).indexOf('\n', 10_000) + 1;
    // What a prefetch hands over: the first chunks' results, and where the rest begins.
    const chunker = new NdjsonChunker({ maxBytes: 1e9, maxLineBytes: 1e6, chunkBytes: 2048 });
    const results: Promise<RecordsResult>[] = [];
    const chunk = chunker.push(Buffer.from(text).subarray(0, cut));
    if (chunk)
      results.push(Promise.resolve(parseRolloutChunk({ ...chunk, options: { context, maxErrors: 10 } })));

    const { session, keys } = recordingSession();
    const loader = new RolloutLoader(session, scrambledPool(), { context, chunkBytes: 2048 });
    await loader.adopt({ results, rest: chunker.position });
    await feed(loader, Buffer.from(text).subarray(chunker.position.offset).toString());
    expect(await loader.finish()).toMatchObject({ received: 300, errorLines: 0 });
    expect(keys).toHaveLength(300);
    expect(new Set(keys).size).toBe(300);
  });

  it('refuses more rows than allowed (413)', async () => {
    const loader = new RolloutLoader(recordingSession().session, scrambledPool(), {
      context,
      chunkBytes: 2048,
      maxRows: 100,
    });
    await expect(feed(loader, body(150))).rejects.toBeInstanceOf(TooManyRolloutsError);
  });
});
