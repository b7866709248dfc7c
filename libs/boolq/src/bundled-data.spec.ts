import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';

import { bundledValidationPath, loadBundledValidation } from './data-path.js';

// From data/boolq/README.md (and the shared SOURCE.md): the shipped file must be byte-identical.
const VAL_SHA256 = '21acbfbd1e7908fddd9e626bc2a6101c5a5430bda3fbf74985b979af7a63b989';
const VAL_BYTES = 2_261_105;

describe('bundled BoolQ validation split', () => {
  it('is the unchanged upstream file', async () => {
    const bytes = await readFile(bundledValidationPath({}));
    expect(bytes.length).toBe(VAL_BYTES);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(VAL_SHA256);
  });

  it('loads 3,270 examples, 2,033 true and 1,237 false, with no malformed lines', async () => {
    const { examples, malformed } = await loadBundledValidation({ strict: true });
    expect(malformed).toEqual([]);
    expect(examples).toHaveLength(3270);
    expect(examples.filter((e) => e.answer)).toHaveLength(2033);
    expect(examples.filter((e) => !e.answer)).toHaveLength(1237);
  });

  it('gives every example a unique content id, the one the Python environment computes, and a title', async () => {
    const { examples } = await loadBundledValidation();
    expect(examples.every((e) => /^boolq-[0-9a-f]{16}$/.test(e.id))).toBe(true);
    expect(new Set(examples.map((e) => e.id)).size).toBe(3270);
    // Pinned from Python's example_id (tests/test_dataset.py in calibrated_qa pins the same ids).
    expect(examples.slice(0, 2).map((e) => e.id)).toEqual([
      'boolq-2e37d6ab41c70b03',
      'boolq-871839ede4841286',
    ]);
    expect(examples.every((e) => e.title !== null && !e.passage.startsWith(`${e.title} -- `))).toBe(true);
  });

  it('splits the title at the first " -- " only (idx 17 has more in its text)', async () => {
    const { examples } = await loadBundledValidation();
    const russell = examples.find((e) => e.id === 'boolq-9fcb0a9f05e91c38'); // idx 17, id from Python
    expect(russell?.title).toBe('Russell Group');
    expect(russell?.passage).toMatch(/^In March 2012 it was announced that four universities -- Durham,/);
  });
});
