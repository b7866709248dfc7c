import { Readable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { BodyTooLargeError, ndjsonLines } from './ndjson-lines.js';

async function lines(chunks: string[], limits = { maxBytes: 1 << 20, maxLineBytes: 1 << 16 }) {
  const out: [number, string][] = [];
  for await (const line of ndjsonLines(Readable.from(chunks.map((c) => Buffer.from(c))), limits)) {
    out.push([line.number, line.text]);
  }
  return out;
}

describe('ndjsonLines', () => {
  it('splits lines across chunks, strips CR, keeps blank lines and a last line without newline', async () => {
    expect(await lines(['{"a":1}\r\n{"b"', ':2}\n\n', '{"c":', '3}'])).toEqual([
      [1, '{"a":1}'],
      [2, '{"b":2}'],
      [3, ''],
      [4, '{"c":3}'],
    ]);
  });

  it('keeps multi-byte characters split between chunks whole', async () => {
    const text = '{"t":"é€😀"}\n';
    const bytes = Buffer.from(text);
    const pieces = [bytes.subarray(0, 8), bytes.subarray(8, 11), bytes.subarray(11)];
    const out: string[] = [];
    for await (const line of ndjsonLines(Readable.from(pieces), { maxBytes: 100, maxLineBytes: 100 }))
      out.push(line.text);
    expect(out).toEqual(['{"t":"é€😀"}']);
  });

  it('stops past the body limit and past the line limit', async () => {
    await expect(
      lines(['x'.repeat(10), 'y'.repeat(10)], { maxBytes: 15, maxLineBytes: 100 }),
    ).rejects.toBeInstanceOf(BodyTooLargeError);
    await expect(
      lines(['a\n', 'b'.repeat(8), 'c'.repeat(8), '\n'], { maxBytes: 100, maxLineBytes: 10 }),
    ).rejects.toMatchObject({
      what: 'line',
    });
  });
});
