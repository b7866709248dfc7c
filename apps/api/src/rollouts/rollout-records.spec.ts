import { SEED_LENGTH_PENALTY } from '@brier/calibration';
import { describe, expect, it } from 'vitest';

import { parseRolloutChunk } from './rollout-chunk.parser.js';
import { RolloutRecords, type RecordsOptions } from './rollout-records.js';

const context = { defaultAttempt: 0, penalty: SEED_LENGTH_PENALTY };
const completion = 'Reasoning: fine.\nANSWER: YES with 80% probability';
const line = (record: Record<string, unknown>) => JSON.stringify(record);
const bytes = (text: string) => new Uint8Array(Buffer.from(text));

describe('RolloutRecords', () => {
  it('encodes valid records, deduplicated by natural key, and lists every bad one', () => {
    const records = new RolloutRecords({ context, maxErrors: 10 });
    records.add(1, { step: 0, sample_key: 'a', ground_truth: true, completion, prompt: 'P' });
    records.add(2, { step: 0, sample_key: 'a', ground_truth: false, completion, prompt: 'P' });
    records.add(3, { step: 1, sample_key: 'b', ground_truth: true, p_yes: 0.5, brier_score: 0.25 });
    let result = records.take();
    expect(result).toMatchObject({ received: 3, errorLines: 0, errors: [], steps: [] });
    expect(result.batch).toMatchObject({ received: 3, rows: 2, pairs: [0, 0, 1, 0], promptTexts: ['P'] });

    records.add(4, { step: 0, sample_key: 'c', ground_truth: true, completion, prompt: 'bad\u0000' });
    records.addText(5, '{"step": 0,', 0);
    records.add(6, { step: 0, sample_key: 'd', ground_truth: true, completion, attempt: 'x' });
    result = records.take();
    expect(result.batch).toBeNull();
    expect(result.errorLines).toBe(3);
    expect(result.errors.map((e) => [e.line, e.field])).toEqual([
      [4, 'prompt'],
      [5, ''],
      [6, 'attempt'],
    ]);
    expect(result.errors[0]!.message).toBe('contains a NUL character');
  });

  it('reads positional records (imports): wire keys only, step by position, records past maxSteps left out', () => {
    const options: RecordsOptions = { context, maxErrors: 10, positional: { batchSize: 2, maxSteps: 2 } };
    const records = new RolloutRecords(options);
    const text = (extra: Record<string, unknown>) =>
      line({ full_completion: `[assistant] ${completion}\n`, ground_truth: 'true', task: 'x', ...extra });
    for (let position = 0; position < 5; position++) records.addText(position + 1, text({}), position);
    records.addText(6, text({ step: 0 }), 5); // a recorded step wins
    records.addText(7, '[1, 2]', 6);
    const result = records.take();
    expect(result).toMatchObject({ received: 7 - 1, beyondMaxSteps: 1, errorLines: 1 });
    expect(result.steps.sort()).toEqual([0, 1]);
    expect(result.errors).toEqual([{ line: 7, field: '', message: 'is not a JSON object' }]);
  });
});

describe('parseRolloutChunk', () => {
  it('numbers lines from the chunk’s first, skips blank ones, and counts records from its first record', () => {
    const options: RecordsOptions = { context, maxErrors: 10, positional: { batchSize: 1 } };
    const record = line({ completion, ground_truth: true });
    const result = parseRolloutChunk({
      bytes: bytes(`${record}\r\n\n   \n{"oops"\n${record}`),
      firstLine: 10,
      firstRecord: 4,
      options,
    });
    expect(result.received).toBe(3);
    expect(result.errors.map((e) => e.line)).toEqual([13]);
    // Records 4 and 6 (the bad line was record 5): steps by position with batch size 1.
    expect(result.steps.sort()).toEqual([4, 6]);
  });
});
