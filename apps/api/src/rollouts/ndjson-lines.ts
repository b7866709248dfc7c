import type { Readable } from 'node:stream';

/** A body (decompressed) grew past its limit. */
export class BodyTooLargeError extends Error {
  constructor(
    readonly limitBytes: number,
    readonly what: 'body' | 'line',
  ) {
    super(`${what} larger than ${limitBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export interface NdjsonLine {
  /** 1-based line number in the (decompressed) body. */
  number: number;
  text: string;
  /** Bytes of the line, without its newline. */
  bytes: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

function decode(buffer: Buffer, start: number, end: number): string {
  const stop = end > start && buffer[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
  return buffer.toString('utf8', start, stop);
}

/**
 * The lines of a stream, as it arrives: raw buffers split on '\n' (never inside a UTF-8 sequence)
 * and each line decoded once. Throws BodyTooLargeError past `maxBytes` in all, or past
 * `maxLineBytes` for a single line (which would otherwise be held whole), and stops reading.
 * Blank lines are yielded too (callers skip them, keeping line numbers right).
 */
export async function* ndjsonLines(
  source: Readable,
  limits: { maxBytes: number; maxLineBytes: number },
): AsyncGenerator<NdjsonLine> {
  // The start of a line that spans chunks, in pieces (joined once its newline arrives).
  let parts: Buffer[] = [];
  let partsBytes = 0;
  let number = 0;
  let total = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limits.maxBytes) throw new BodyTooLargeError(limits.maxBytes, 'body');
    const lines: NdjsonLine[] = [];
    let start = 0;
    let end = chunk.indexOf(NEWLINE);
    if (end !== -1 && partsBytes > 0) {
      if (partsBytes + end > limits.maxLineBytes) throw new BodyTooLargeError(limits.maxLineBytes, 'line');
      const line = Buffer.concat([...parts, chunk.subarray(0, end)]);
      lines.push({ number: ++number, text: decode(line, 0, line.length), bytes: line.length });
      parts = [];
      partsBytes = 0;
      start = end + 1;
      end = chunk.indexOf(NEWLINE, start);
    }
    for (; end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      if (end - start > limits.maxLineBytes) throw new BodyTooLargeError(limits.maxLineBytes, 'line');
      lines.push({ number: ++number, text: decode(chunk, start, end), bytes: end - start });
      start = end + 1;
    }
    if (start < chunk.length) {
      parts.push(chunk.subarray(start));
      partsBytes += chunk.length - start;
      if (partsBytes > limits.maxLineBytes) throw new BodyTooLargeError(limits.maxLineBytes, 'line');
    }
    yield* lines;
  }
  if (partsBytes > 0) {
    const line = Buffer.concat(parts);
    yield { number: number + 1, text: decode(line, 0, line.length), bytes: line.length };
  }
}
