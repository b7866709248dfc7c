import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { exampleId } from './example.js';

// Golden vectors computed by the Python environment's example_id (calibrated_qa/dataset.py);
// tests/test_dataset.py there pins the same three, so the two sides cannot drift apart.
const SHARED_VECTORS: [question: string, passage: string, id: string][] = [
  ['is it', 'Some text.', 'boolq-35a4ee78db2ceb4c'],
  ['is a -- b a dash', 'A dash -- like this -- is punctuation.', 'boolq-c8997d091d1e1bf5'],
  ['is café naïve', 'Zürich — 日本語 text. 🚲', 'boolq-492386e195d6c48b'],
];

describe('exampleId', () => {
  it.each(SHARED_VECTORS)('matches the Python example_id for %j', (question, passage, id) => {
    expect(exampleId({ question, passage })).toBe(id);
  });

  it('is "boolq-" + the first 16 hex digits of sha256(utf8(question + "\\n" + passage))', () => {
    const digest = createHash('sha256').update(Buffer.from('is it\nSome text.', 'utf8')).digest('hex');
    expect(exampleId({ question: 'is it', passage: 'Some text.' })).toBe(`boolq-${digest.slice(0, 16)}`);
    expect(exampleId({ question: 'is it', passage: 'Some text!' })).not.toBe(
      exampleId({ question: 'is it', passage: 'Some text.' }),
    );
  });

  it('hashes the passage exactly as given: no trimming, no cut to a prompt length', () => {
    const long = 'x'.repeat(2000);
    expect(exampleId({ question: 'q', passage: long })).not.toBe(
      exampleId({ question: 'q', passage: long.slice(0, 1500) }),
    );
    expect(exampleId({ question: 'q', passage: 'p ' })).not.toBe(exampleId({ question: 'q', passage: 'p' }));
  });
});
