import { describe, expect, it } from 'vitest';

import { copyChunks, prepareRolloutBatch, promptSha256 } from './rollout-batch.js';
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
    prepareRolloutBatch(rows);
  } catch (error) {
    if (error instanceof RolloutBatchError) return error;
    throw error;
  }
  throw new Error('expected a RolloutBatchError');
}

describe('prepareRolloutBatch', () => {
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
    expect(errorOf([row({ prompt: 'bad\u0000prompt' })]).field).toBe('prompt');
  });

  it('keeps the first of duplicate natural keys and hashes each distinct prompt once', () => {
    const prompt = 'Read the passage…';
    const batch = prepareRolloutBatch([
      row({ prompt }),
      row({ prompt, pYes: 0.1, brier: 0.81 }),
      row({ sampleKey: 'ex-1#1', prompt }),
      row({ sampleKey: 'ex-1#1', attempt: 1 }),
    ]);
    expect(batch.received).toBe(4);
    expect(batch.rows.map((r) => [r.sampleKey, r.attempt, r.pYes])).toEqual([
      ['ex-1#0', 0, 0.9],
      ['ex-1#1', 0, 0.9],
      ['ex-1#1', 1, 0.9],
    ]);
    expect([...batch.prompts.keys()]).toEqual([promptSha256(prompt)]);
    expect(batch.promptHashes).toEqual([promptSha256(prompt), promptSha256(prompt), null]);
  });

  it('encodes one tab-separated line per row, in chunks', () => {
    const batch = prepareRolloutBatch([
      row({ completion: 'a\tb', parseable: true }),
      row({ sampleKey: 'k2', completion: null }),
    ]);
    const lines = [...copyChunks(batch, 1)];
    expect(lines).toHaveLength(2);
    expect(lines[0]!.split('\t')).toHaveLength(18);
    expect(lines[0]).toContain('a\\tb');
    expect(lines[1]!.endsWith('\n')).toBe(true);
  });
});
