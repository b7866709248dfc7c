import { describe, expect, it } from 'vitest';

import { FOLD_SOURCE_COLUMNS } from '../metrics/metrics.sql.js';
import { FOLD_STAGE_COLUMNS } from './rollout-ingest.sql.js';
import {
  encodeRolloutBatch,
  promptSha256,
  ROLLOUT_COPY_COLUMNS,
  rolloutBatchTransferList,
} from './rollout-batch.js';
import { RolloutBatchError, type RolloutRow } from './rollout-row.js';

const row = (over: Partial<RolloutRow> = {}): RolloutRow => ({
  step: 0,
  attempt: 0,
  sampleKey: 'ex-1#0',
  label: 1,
  pYes: 0.9,
  brier: 0.01,
  ...over,
});

function errorOf(rows: RolloutRow[]): RolloutBatchError {
  try {
    encodeRolloutBatch(rows);
  } catch (error) {
    if (error instanceof RolloutBatchError) return error;
    throw error;
  }
  throw new Error('expected a RolloutBatchError');
}

/** Binary COPY tuples back into raw field values (null, or the value's bytes). */
function readTuples(bytes: Uint8Array): (Buffer | null)[][] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tuples: (Buffer | null)[][] = [];
  let at = 0;
  while (at < buffer.length) {
    const fields = buffer.readInt16BE(at);
    at += 2;
    const tuple: (Buffer | null)[] = [];
    for (let f = 0; f < fields; f++) {
      const length = buffer.readInt32BE(at);
      at += 4;
      tuple.push(length < 0 ? null : buffer.subarray(at, at + length));
      at += Math.max(length, 0);
    }
    tuples.push(tuple);
  }
  return tuples;
}

const column = (name: (typeof ROLLOUT_COPY_COLUMNS)[number]) => ROLLOUT_COPY_COLUMNS.indexOf(name);

describe('encodeRolloutBatch', () => {
  it('names the row and field of a missing natural-key field', () => {
    const rows = [row(), row({ sampleKey: 'b' }), row({ sampleKey: '' })];
    expect(errorOf(rows)).toMatchObject({ rowIndex: 2, field: 'sampleKey' });
    expect(errorOf(rows).message).toBe('rollout rows[2].sampleKey is missing (part of the natural key)');
    expect(errorOf([row({ step: undefined as unknown as number })]).message).toMatch(
      /rows\[0\]\.step is missing/,
    );
    expect(errorOf([row({ attempt: -1 })]).message).toMatch(/rows\[0\]\.attempt must be an integer/);
    expect(errorOf([row({ step: 1.5 })]).field).toBe('step');
  });

  it('rejects values Postgres could not store exactly', () => {
    expect(errorOf([row({ label: 2 as 0 })]).field).toBe('label');
    expect(errorOf([row({ pYes: Number.NaN })]).field).toBe('pYes');
    expect(errorOf([row({ brier: -0.1 })]).field).toBe('brier');
    expect(errorOf([row({ rewardTrainer: Infinity })]).field).toBe('rewardTrainer');
    expect(errorOf([row({ completion: 'x\u0000y' })]).message).toMatch(/completion contains a NUL/);
    expect(errorOf([row({ completion: 'lone \ud800 surrogate' })]).message).toMatch(/lone UTF-16 surrogate/);
    expect(
      errorOf([row({ completion: 'a pair 😀 is fine' }), row({ sampleKey: 'x', prompt: '\udfff' })]),
    ).toMatchObject({ rowIndex: 1, field: 'prompt' });
    expect(errorOf([row({ prompt: 'bad\u0000prompt' })]).field).toBe('prompt');
  });

  it('keeps the first of duplicate natural keys and lists each distinct prompt once', () => {
    const prompt = 'Read the passage…';
    const batch = encodeRolloutBatch([
      row({ prompt }),
      row({ prompt, pYes: 0.1, brier: 0.81 }),
      row({ sampleKey: 'ex-1#1', prompt }),
      row({ sampleKey: 'ex-1#1', attempt: 1 }),
    ]);
    expect(batch).toMatchObject({ received: 4, rows: 3, pairs: [0, 0, 0, 1] });
    expect(batch.promptHashes).toEqual([promptSha256(prompt)]);
    expect(batch.promptTexts).toEqual([prompt]);
    const tuples = readTuples(batch.tuples);
    expect(
      tuples.map((t) => [t[column('sample_key')]!.toString(), t[column('attempt')]!.readInt32BE()]),
    ).toEqual([
      ['ex-1#0', 0],
      ['ex-1#1', 0],
      ['ex-1#1', 1],
    ]);
    expect(tuples[0]![column('p_yes')]!.readDoubleBE()).toBe(0.9);
    // Two rows have the prompt: two slots, both the prompt_id field of their tuple, both prompt 0.
    expect([...batch.promptOfSlot]).toEqual([0, 0]);
    expect(tuples[2]![column('prompt_id')]).toBeNull();
    const slot = batch.promptSlots[1]!;
    expect(Buffer.from(batch.tuples).readInt32BE(slot - 4)).toBe(8);
  });

  it('encodes every column of rollouts in its binary form, text as UTF-8, NULLs as -1', () => {
    const batch = encodeRolloutBatch([
      row({
        completion: 'tab\t, newline\n, backslash \\, \\N, emoji 😀',
        parseable: true,
        completionChars: 42,
        approxTokens: 10.5,
        exampleId: null,
      }),
    ]);
    const [tuple] = readTuples(batch.tuples);
    expect(tuple).toHaveLength(ROLLOUT_COPY_COLUMNS.length);
    // run_id: a slot the session fills in.
    expect(tuple![column('run_id')]).toHaveLength(16);
    expect([...batch.runIdSlots]).toEqual([2 + 4]);
    expect(tuple![column('completion')]!.toString('utf8')).toBe(
      'tab\t, newline\n, backslash \\, \\N, emoji 😀',
    );
    expect(tuple![column('label')]!.readInt16BE()).toBe(1);
    expect(tuple![column('parseable')]![0]).toBe(1);
    expect(tuple![column('completion_chars')]!.readInt32BE()).toBe(42);
    expect(tuple![column('approx_tokens')]!.readDoubleBE()).toBe(10.5);
    expect(tuple![column('example_id')]).toBeNull();
    expect(batch.aggregates).toMatchObject([{ step: 0, attempt: 0, n: 1, n_parseable: 1, sum_brier: 0.01 }]);
  });

  it('stages fold columns as metrics.sql.ts folds them (the session supplies run_id)', () => {
    expect(['run_id', ...FOLD_STAGE_COLUMNS]).toEqual([...FOLD_SOURCE_COLUMNS]);
  });

  it('trims the encoded buffers, and lists them for a transfer to another thread', () => {
    const batch = encodeRolloutBatch([row({ prompt: 'p1' }), row({ sampleKey: 'b', prompt: 'p2' })]);
    expect(batch.tuples.buffer.byteLength).toBe(batch.tuples.byteLength);
    expect(rolloutBatchTransferList(batch)).toContain(batch.tuples.buffer);
  });
});
