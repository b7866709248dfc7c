import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A log file a child's output is appended to. Chunks that arrive while a write is under way are
 * gathered and go in the next write, one writev for them all (a chatty child sends many small
 * chunks: a write each was a thread-pool round trip each), in order on one handle, so the pipe is
 * never blocked by the disk. A failed write (disk full) is kept in `error` for the caller to
 * report, and later writes still try.
 */
export class AppendFile {
  error: Error | null = null;
  private pending: Buffer[] = [];
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Opens `path` for appending, creating it and its parent folders. */
  static async open(path: string): Promise<AppendFile> {
    await mkdir(dirname(path), { recursive: true });
    return new AppendFile(path, await open(path, 'a'));
  }

  write(chunk: Buffer): void {
    if (this.closed) return;
    this.pending.push(chunk);
    // The first chunk of a gathering schedules the write that takes them all.
    if (this.pending.length === 1) this.queue = this.queue.then(() => this.writePending());
  }

  /** Resolves once everything written so far is in the file. */
  flushed(): Promise<void> {
    return this.queue;
  }

  async close(): Promise<void> {
    if (this.closed) return this.queue;
    this.closed = true;
    await this.queue;
    await this.handle.close();
  }

  private async writePending(): Promise<void> {
    const chunks = this.pending;
    this.pending = [];
    try {
      await this.handle.writev(chunks);
    } catch (error) {
      this.error ??= error instanceof Error ? error : new Error(String(error));
    }
  }
}

/** The last `capacity` bytes of a stream (stderr), for error reports. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private length = 0;

  constructor(private readonly capacity: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(Buffer.from(chunk));
    this.length += chunk.length;
    while (this.chunks.length > 1 && this.length - this.chunks[0]!.length >= this.capacity) {
      this.length -= this.chunks.shift()!.length;
    }
  }

  /** The last `maxBytes` bytes as text, starting at a whole UTF-8 character. */
  text(maxBytes: number): string {
    const all = Buffer.concat(this.chunks);
    let start = Math.max(0, all.length - maxBytes);
    // Skip continuation bytes (10xxxxxx) of a character cut in half (at most 3).
    const limit = Math.min(all.length, start + 3);
    while (start < limit && ((all[start] ?? 0) & 0xc0) === 0x80) start += 1;
    return all.subarray(start).toString('utf8');
  }
}
