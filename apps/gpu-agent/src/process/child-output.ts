import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import { LineSplitter } from '../files/line-splitter.js';
import { AppendFile, TailBuffer } from './process-output.js';

export type StreamName = 'stdout' | 'stderr';

const STDERR_TAIL_CAPACITY = 64 * 1024;

/**
 * A child's stdout and stderr teed to their log files, a stderr tail and a line callback. It
 * must be attached synchronously after execa() returns: with `buffer: false` execa resumes the
 * pipes one event-loop turn later, and data flowing before a listener exists is lost.
 */
export class ChildOutput {
  /** Both pipes closed (every writer of them gone) and the files closed. */
  readonly closed: Promise<void>;
  private readonly problems: Error[] = [];
  private readonly stderr = new TailBuffer(STDERR_TAIL_CAPACITY);
  private readonly splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };

  constructor(
    private readonly streams: Record<StreamName, Readable>,
    private readonly files: Record<StreamName, AppendFile>,
    private readonly onLine?: (stream: StreamName, line: string) => void,
  ) {
    const pipes = (['stdout', 'stderr'] as const).map((name) => this.tee(name));
    this.closed = Promise.all(pipes).then(() => this.closeFiles());
  }

  /** Waits up to `ms` for both pipes to close; false if something still holds them. */
  async waitClosed(ms: number): Promise<boolean> {
    const timer = new AbortController();
    const closed = await Promise.race([
      this.closed.then(() => true),
      sleep(ms, false, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort();
    return closed;
  }

  /** Hands out unfinished last lines now (the leader exited; a holder of the pipe may write on). */
  flushLines(): void {
    this.flushLine('stdout');
    this.flushLine('stderr');
  }

  /** Everything received so far is in the files. */
  async flushed(): Promise<void> {
    await Promise.all([this.files.stdout.flushed(), this.files.stderr.flushed()]);
  }

  /** Stops reading (a process that left the group may hold the pipes forever) and closes the files. */
  async release(): Promise<void> {
    this.streams.stdout.destroy();
    this.streams.stderr.destroy();
    await this.closed;
  }

  stderrTail(maxBytes: number): string {
    return this.stderr.text(maxBytes);
  }

  /** Failures on the side: a log file that could not be written, an onLine that threw, a pipe error. */
  sideProblems(): Error[] {
    return [
      ...this.problems,
      ...[this.files.stdout.error, this.files.stderr.error].filter((e) => e !== null),
    ];
  }

  noteProblem(error: unknown): void {
    this.problems.push(error instanceof Error ? error : new Error(String(error)));
  }

  private tee(name: StreamName): Promise<void> {
    const stream = this.streams[name];
    stream.on('data', (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      this.files[name].write(bytes);
      if (name === 'stderr') this.stderr.push(bytes);
      for (const line of this.splitters[name].push(bytes)) this.emitLine(name, line.text);
    });
    return new Promise<void>((resolve) => {
      stream.once('error', (error) => this.noteProblem(error));
      stream.once('close', () => {
        this.flushLine(name);
        resolve();
      });
    });
  }

  private flushLine(name: StreamName): void {
    const last = this.splitters[name].flush();
    if (last) this.emitLine(name, last.text);
  }

  private emitLine(name: StreamName, line: string): void {
    if (!this.onLine) return;
    try {
      this.onLine(name, line);
    } catch (error) {
      // One bad line must not stop the tee; the caller sees it in outputProblems().
      this.noteProblem(error);
    }
  }

  private async closeFiles(): Promise<void> {
    await Promise.all([this.files.stdout.close(), this.files.stderr.close()]).catch((error: unknown) =>
      this.noteProblem(error),
    );
  }
}
