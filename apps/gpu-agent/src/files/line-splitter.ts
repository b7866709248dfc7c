/** A complete line and the bytes it took in the stream (its '\n' included), for resumable offsets. */
export interface SplitLine {
  text: string;
  bytes: number;
}

/** Longest line kept whole; a longer one (a tqdm bar redrawn with '\r' for hours) is cut into pieces. */
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines at '\n'. It works on bytes and decodes only whole lines, so a
 * multi-byte UTF-8 character split across two chunks is never garbled ('\n' never occurs inside a
 * UTF-8 sequence). Lines are raw: a '\r' (CRLF, or tqdm's redraws) is left for the consumer.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  constructor(private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {}

  /** Bytes held back as an unfinished line. */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  /** The complete lines that `chunk` finishes, in order. */
  push(chunk: Buffer): SplitLine[] {
    const lines: SplitLine[] = [];
    let start = 0;
    let newline = chunk.indexOf(NEWLINE, start);
    while (newline !== -1) {
      const piece = chunk.subarray(start, newline);
      const line = this.pendingLength === 0 ? piece : Buffer.concat([...this.pending, piece]);
      lines.push({ text: line.toString('utf8'), bytes: line.length + 1 });
      this.pending = [];
      this.pendingLength = 0;
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      // Copy: the caller may reuse its read buffer.
      this.pending.push(Buffer.from(chunk.subarray(start)));
      this.pendingLength += chunk.length - start;
      while (this.pendingLength > this.maxLineBytes) lines.push(this.cutOversizedLine());
    }
    return lines;
  }

  /** The end of the stream: the unfinished last line, if any. */
  flush(): SplitLine | null {
    if (this.pendingLength === 0) return null;
    const line = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingLength = 0;
    return { text: line.toString('utf8'), bytes: line.length };
  }

  /** Emits the first maxLineBytes of an overlong line, cut before a UTF-8 continuation byte. */
  private cutOversizedLine(): SplitLine {
    const all = Buffer.concat(this.pending);
    let cut = this.maxLineBytes;
    // Continuation bytes are 10xxxxxx: back up to the start of the character (at most 3 bytes).
    while (cut > 0 && cut > this.maxLineBytes - 3 && ((all[cut] ?? 0) & 0xc0) === 0x80) cut -= 1;
    const rest = all.subarray(cut);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingLength = rest.length;
    return { text: all.subarray(0, cut).toString('utf8'), bytes: cut };
  }
}
