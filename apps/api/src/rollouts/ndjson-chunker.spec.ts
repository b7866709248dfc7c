import { describe, expect, it } from 'vitest';

import {
  BodyTooLargeError,
  isBlankLine,
  NdjsonChunker,
  type ChunkerLimits,
  type NdjsonChunk,
} from './ndjson-chunker.js';

const LIMITS: ChunkerLimits = { maxBytes: 1 << 20, maxLineBytes: 1 << 16, chunkBytes: 1 << 16 };

function chunksOf(pieces: (string | Uint8Array)[], limits: Partial<ChunkerLimits> = {}) {
  const chunker = new NdjsonChunker({ ...LIMITS, ...limits });
  const chunks: NdjsonChunk[] = [];
  for (const piece of pieces) {
    const chunk = chunker.push(typeof piece === 'string' ? Buffer.from(piece) : piece);
    if (chunk) chunks.push(chunk);
  }
  const last = chunker.end();
  if (last) chunks.push(last);
  return { chunks, records: chunker.records };
}

const text = (chunk: NdjsonChunk) => Buffer.from(chunk.bytes).toString('utf8');

describe('NdjsonChunker', () => {
  it('cuts only at line ends, and numbers each chunk’s first line and first record', () => {
    const { chunks, records } = chunksOf(['{"a":1}\r\n{"b"', ':2}\n\n   \n', '{"c":', '3}\n{"d":4}'], {
      chunkBytes: 8,
    });
    expect(chunks.map((c) => [text(c), c.firstLine, c.firstRecord, c.records])).toEqual([
      ['{"a":1}\r\n', 1, 0, 1],
      ['{"b":2}\n\n   \n', 2, 1, 1],
      ['{"c":3}\n', 5, 2, 1],
      ['{"d":4}', 6, 3, 1],
    ]);
    expect(records).toBe(4);
  });

  it('keeps a whole body in one chunk below the chunk size, and gives each chunk its own buffer', () => {
    const { chunks } = chunksOf(['{"a":1}\n', '{"b":2}\n']);
    expect(chunks).toHaveLength(1);
    expect(text(chunks[0]!)).toBe('{"a":1}\n{"b":2}\n');
    const two = chunksOf(['{"a":1}\n{"b":2}\n'], { chunkBytes: 4 }).chunks;
    expect(two[0]!.bytes.buffer).not.toBe(two[1]?.bytes.buffer ?? null);
  });

  it('keeps multi-byte characters split between pushes whole', () => {
    const bytes = Buffer.from('{"t":"é€😀"}\n{"u":"ü"}\n');
    const { chunks } = chunksOf([bytes.subarray(0, 8), bytes.subarray(8, 11), bytes.subarray(11)], {
      chunkBytes: 4,
    });
    // The last push finished both lines: one chunk.
    expect(chunks.map(text)).toEqual(['{"t":"é€😀"}\n{"u":"ü"}\n']);
  });

  it('judges blank lines as trim() does: ASCII and Unicode spaces, not other characters', () => {
    const blank = (s: string) => {
      const b = Buffer.from(s);
      return isBlankLine(b, 0, b.length);
    };
    expect(['', ' ', '\t\r', '\u00a0 \u3000', '\ufeff'].map(blank)).toEqual([true, true, true, true, true]);
    expect(['{}', ' x', '\u00e9', '\u200b'].map(blank)).toEqual([false, false, false, false]);
  });

  it('stops past the body limit and past the line limit, finished or not', () => {
    expect(() => chunksOf(['x'.repeat(10), 'y'.repeat(10)], { maxBytes: 15 })).toThrow(BodyTooLargeError);
    expect(() => chunksOf(['a\n', 'b'.repeat(8), 'c'.repeat(8), '\n'], { maxLineBytes: 10 })).toThrow(
      expect.objectContaining({ what: 'line' }),
    );
    expect(() => chunksOf(['a\n', 'b'.repeat(11)], { maxLineBytes: 10 })).toThrow(
      expect.objectContaining({ what: 'line' }),
    );
    expect(chunksOf(['a\n', 'b'.repeat(10)], { maxLineBytes: 10 }).records).toBe(2);
  });
});
