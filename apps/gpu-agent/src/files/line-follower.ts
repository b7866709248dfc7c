import { fstatSync, readSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { LineSplitter, type SplitLine } from './line-splitter.js';

/** Something odd happened to the followed file; reading goes on from the new start. */
export interface FollowerReset {
  kind: 'truncated' | 'replaced';
  path: string;
  /** Bytes of an unfinished line that was dropped with the old content. */
  droppedBytes: number;
}

export interface LineFollowerOptions {
  /** How long to sleep at the end of the file before looking again. Default 200 ms. */
  pollMs?: number;
  /** Byte position to start from (e.g. a previous follower's `offset`). Default 0. */
  startOffset?: number;
  encoding?: 'utf8';
  /** Called when the file shrinks (truncated) or another file takes its name (replaced). */
  onReset?: (event: FollowerReset) => void;
}

const DEFAULT_POLL_MS = 200;
const DEFAULT_FINISH_DEADLINE_MS = 10_000;
const READ_CHUNK_BYTES = 1024 * 1024;
/** At the end of the file, how often to look whether another file took its name (a rotation). */
const NAME_CHECK_MS = 1_000;

/**
 * Follows a file a process is writing (prime-rl's logs/orchestrator.stdout, the env's rollout
 * log), like `tail -F` from a byte offset: it may not exist yet, it grows in pieces, and it ends
 * when the caller says the writer is done.
 *
 * A small poll-based reader rather than @logdna/tail-file: tail-file's start() rejects when the
 * file does not exist yet, and its quit() races a final poll against a 'flush' that an earlier
 * poll may already have scheduled, so "read everything up to now, then end" is not guaranteed
 * (and a late push after its end-of-stream throws). Pull-based reading here also gives
 * backpressure for free: nothing is read until the consumer asks for more lines.
 *
 * Lines come raw, without their '\n': a '\r' (CRLF or tqdm's redraws) is the consumer's to strip.
 *
 * Polls are kept cheap (the agent follows files for hours): while lines keep coming it only reads;
 * at the end of the file one fstat per poll tells "nothing new" from "truncated", and the name is
 * checked for a new file at most once per NAME_CHECK_MS. The stat and read calls are synchronous:
 * on the local files of a run they take microseconds, less than the thread-pool round trip and
 * promises of their async forms, which were a tenth of the agent's CPU for a run.
 */
export class LineFollower {
  private readonly pollMs: number;
  private readonly onReset: ((event: FollowerReset) => void) | undefined;
  private readonly splitter = new LineSplitter();
  private readonly buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  private handle: FileHandle | null = null;
  private inode: number | null = null;
  /** Next byte to read from the file. */
  private position: number;
  /** Position just after the last line handed out. */
  private consumed: number;
  private started = false;
  private finishing = false;
  private closed = false;
  private ended = false;
  /** The last read brought bytes: read again without an fstat first. */
  private streaming = false;
  private nameCheckedAt = 0;
  /** Ends the poll's sleep early (finish, close). */
  private wakeUp: (() => void) | null = null;
  private readonly endWaiters: Array<() => void> = [];
  /** The read in progress, so close() does not pull the handle from under it. */
  private inflight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly path: string,
    options: LineFollowerOptions = {},
  ) {
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.onReset = options.onReset;
    const start = options.startOffset ?? 0;
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new RangeError(`startOffset must be a non-negative integer (got ${start})`);
    }
    this.position = start;
    this.consumed = start;
  }

  /** Bytes of the file handed out as lines: a new follower started here misses and repeats nothing. */
  get offset(): number {
    return this.consumed;
  }

  /** The lines, in order; one consumer only. Ends after finish() or close(). */
  lines(): AsyncIterable<string> {
    if (this.started) throw new Error(`lines() of ${this.path} is already being read`);
    this.started = true;
    return this.generate();
  }

  /**
   * The writer is done: read to the end, hand out a last unterminated line if any, then end the
   * iterator. Resolves once the consumer has taken everything; on the deadline it closes the
   * follower and rejects (a consumer that stopped reading would otherwise hold it forever).
   * Without a consumer (lines() never called) it just closes.
   */
  async finish(deadlineMs = DEFAULT_FINISH_DEADLINE_MS): Promise<void> {
    this.finishing = true;
    this.wakeUp?.();
    if (this.ended || this.closed) return;
    if (!this.started) return this.close(); // nobody reads its lines: nothing to hand out
    const deadline = new AbortController();
    const ended = new Promise<boolean>((resolve) => this.endWaiters.push(() => resolve(true)));
    const timedOut = sleep(deadlineMs, false, { signal: deadline.signal }).catch(() => false);
    const done = await Promise.race([ended, timedOut]);
    deadline.abort();
    if (!done && !this.ended) {
      await this.close();
      throw new Error(
        `${this.path}: lines were still unread ${deadlineMs} ms after finish() (the consumer stopped reading)`,
      );
    }
  }

  /** Stops now; lines not yet handed out are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeUp?.();
    await this.inflight.catch(() => undefined);
    await this.closeHandle();
    this.markEnded();
  }

  private async *generate(): AsyncGenerator<string> {
    try {
      while (!this.closed) {
        // Only a read that began after finish() may end the lines: one begun before it can have
        // found the end (or no file) before the writer's last bytes.
        const final = this.finishing;
        const read = this.readChunk();
        this.inflight = read;
        const lines = await read;
        if (this.closed) return;
        if (lines === null) {
          // At the end of the file (or it does not exist yet).
          if (final) {
            const last = this.splitter.flush();
            if (last) {
              this.consumed += last.bytes;
              yield last.text;
            }
            return;
          }
          await this.idle();
          continue;
        }
        for (const line of lines) {
          if (this.closed) return;
          this.consumed += line.bytes;
          yield line.text;
        }
      }
    } finally {
      await this.closeHandle();
      this.markEnded();
    }
  }

  /** Lines completed by the next chunk; [] when the chunk completed none; null at the end of the file. */
  private async readChunk(): Promise<SplitLine[] | null> {
    const handle = await this.openHandle();
    if (handle === null) return null;
    if (!this.streaming) {
      const size = fstatSync(handle.fd).size;
      if (size < this.position) {
        this.reset('truncated');
        return [];
      }
      if (size === this.position) return (await this.replaced()) ? [] : null;
    }
    const bytesRead = readSync(handle.fd, this.buffer, 0, this.buffer.length, this.position);
    this.streaming = bytesRead > 0;
    if (bytesRead === 0) return []; // the end (or a truncation): the fstat above tells which
    this.position += bytesRead;
    return this.splitter.push(this.buffer.subarray(0, bytesRead));
  }

  private async openHandle(): Promise<FileHandle | null> {
    if (this.handle !== null) return this.handle;
    try {
      this.handle = await open(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    this.inode = (await this.handle.stat()).ino;
    return this.handle;
  }

  /**
   * Read to its end: has a new file taken the name (a rotation)? Then start over from byte 0 of
   * the new one. Looked at most once per NAME_CHECK_MS, and always before the last read of finish().
   */
  private async replaced(): Promise<boolean> {
    const now = Date.now();
    if (!this.finishing && now - this.nameCheckedAt < NAME_CHECK_MS) return false;
    this.nameCheckedAt = now;
    let current: number;
    try {
      current = statSync(this.path).ino;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false; // removed: keep what we have
      throw error;
    }
    if (current === this.inode) return false;
    await this.closeHandle();
    this.reset('replaced');
    return true;
  }

  private reset(kind: FollowerReset['kind']): void {
    const dropped = this.splitter.flush();
    this.position = 0;
    this.consumed = 0;
    this.onReset?.({ kind, path: this.path, droppedBytes: dropped?.bytes ?? 0 });
  }

  private async idle(): Promise<void> {
    if (this.finishing || this.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wakeUp?.(), this.pollMs);
      this.wakeUp = () => {
        this.wakeUp = null;
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }

  private markEnded(): void {
    this.ended = true;
    for (const resolve of this.endWaiters.splice(0)) resolve();
  }
}
