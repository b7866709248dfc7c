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

/** Whole lines of a body, as raw bytes, and where they are in it. */
export interface NdjsonChunk {
  /** The lines, each ending with '\n' (the body's last line may lack it). Owns its ArrayBuffer. */
  bytes: Uint8Array;
  /** 1-based number of its first line in the body. */
  firstLine: number;
  /** 0-based position of its first record (non-blank line) among the body's records. */
  firstRecord: number;
  /** Records (non-blank lines) in the chunk. */
  records: number;
}

/** A place in a body: its byte offset, and the number of its line and of its record there. */
export interface BodyPosition {
  offset: number;
  line: number;
  record: number;
}

export interface ChunkerLimits {
  /** Most bytes in all (BodyTooLargeError 'body' past it). */
  maxBytes: number;
  /** Most bytes in one line, without its '\n' (BodyTooLargeError 'line' past it). */
  maxLineBytes: number;
  /** A chunk ends at the first line end at or past this many bytes. */
  chunkBytes: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Bytes a blank line may hold besides multi-byte characters: tab, VT, FF, CR, space. */
function isBlankByte(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0b || byte === 0x0c || byte === 0x0d;
}

/**
 * Whether a line is blank as `text.trim() === ''` judges it, from its bytes: decided by the first
 * byte for any line of JSON, decoded only when it starts with a non-ASCII byte (e.g. NBSP).
 */
export function isBlankLine(buffer: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = buffer[i]!;
    if (isBlankByte(byte)) continue;
    if (byte < 0x80) return false;
    const stop = end > start && buffer[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
    return (
      Buffer.from(buffer.buffer, buffer.byteOffset + start, stop - start)
        .toString('utf8')
        .trim() === ''
    );
  }
  return true;
}

/**
 * Cuts a stream of body bytes into chunks of whole lines (never inside a line, so never inside a
 * UTF-8 sequence), about `chunkBytes` each, counting lines and records as they pass: each chunk
 * can then be parsed on its own, in another thread, and still name its lines. Enforces the body
 * and line limits as bytes arrive, so that an oversized body is refused before it is held.
 */
export class NdjsonChunker {
  private buffer: Buffer;
  private length = 0;
  /** Where the current (unfinished) line starts in `buffer`. */
  private lineStart = 0;
  private total = 0;
  /** Bytes handed out in chunks so far (from the body's start). */
  private taken = 0;
  private nextLine = 1;
  private nextRecord = 0;
  /** Line and record counters at the start of the buffer. */
  private bufferLine = 1;
  private bufferRecord = 0;

  /** `start`: where in the body the bytes pushed begin (a line's start; default: the body's). */
  constructor(
    private readonly limits: ChunkerLimits,
    start: BodyPosition = { offset: 0, line: 1, record: 0 },
  ) {
    this.buffer = Buffer.allocUnsafeSlow(limits.chunkBytes + (1 << 16));
    this.total = this.taken = start.offset;
    this.nextLine = this.bufferLine = start.line;
    this.nextRecord = this.bufferRecord = start.record;
  }

  /** Records (non-blank lines) seen so far, in finished lines. */
  get records(): number {
    return this.nextRecord;
  }

  /** Where the bytes not yet handed out in a chunk begin. */
  get position(): BodyPosition {
    return { offset: this.taken, line: this.bufferLine, record: this.bufferRecord };
  }

  /** Add bytes; returns the chunk they completed, if any. */
  push(bytes: Uint8Array): NdjsonChunk | null {
    this.total += bytes.length;
    if (this.total > this.limits.maxBytes) throw new BodyTooLargeError(this.limits.maxBytes, 'body');
    const from = this.length;
    this.append(bytes);
    // Only the bytes just added can hold a new '\n' (the view keeps the search out of stale bytes).
    const filled = this.buffer.subarray(0, this.length);
    for (let end = filled.indexOf(NEWLINE, from); end !== -1; end = filled.indexOf(NEWLINE, end + 1)) {
      this.finishLine(end);
    }
    if (this.length - this.lineStart > this.limits.maxLineBytes) {
      throw new BodyTooLargeError(this.limits.maxLineBytes, 'line');
    }
    return this.lineStart >= this.limits.chunkBytes ? this.take(this.lineStart) : null;
  }

  /** The rest of the body (its last line may lack a '\n'); null when nothing is left. */
  end(): NdjsonChunk | null {
    if (this.length > this.lineStart) this.finishLine(this.length);
    return this.length > 0 ? this.take(this.length) : null;
  }

  /** Count the line ending at `end` (its '\n', or the body's end) and check its length. */
  private finishLine(end: number): void {
    if (end - this.lineStart > this.limits.maxLineBytes) {
      throw new BodyTooLargeError(this.limits.maxLineBytes, 'line');
    }
    this.nextLine += 1;
    if (!isBlankLine(this.buffer, this.lineStart, end)) this.nextRecord += 1;
    this.lineStart = end + 1;
  }

  private append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buffer.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.length + bytes.length));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Hand over the buffer's first `cut` bytes as a chunk; what follows moves to a fresh buffer. */
  private take(cut: number): NdjsonChunk {
    const chunk: NdjsonChunk = {
      bytes: new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, cut),
      firstLine: this.bufferLine,
      firstRecord: this.bufferRecord,
      records: this.nextRecord - this.bufferRecord,
    };
    this.taken += cut;
    const rest = this.buffer.subarray(cut, this.length);
    const next = Buffer.allocUnsafeSlow(Math.max(this.limits.chunkBytes + (1 << 16), rest.length * 2));
    rest.copy(next);
    this.buffer = next;
    this.length = rest.length;
    this.lineStart -= cut;
    this.bufferLine = this.nextLine;
    this.bufferRecord = this.nextRecord;
    return chunk;
  }
}
