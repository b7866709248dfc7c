import { AGENT_LIMITS, type LogStream } from '@brier/contracts';

import type { AgentApiClient } from '../api-client/agent-api.client.js';
import { ApiRejectedError, isLeaseLoss, type LeaseLossError } from '../api-client/api-errors.js';
import { retryWhileUnavailable, type BackoffOptions } from '../api-client/retry.js';
import { asError } from './as-error.js';
import { ChangeSignal } from './change-signal.js';
import { cleanLogLine, jsonBytes } from './log-line.js';

export interface LogShipperOptions {
  client: AgentApiClient;
  runId: string;
  leaseToken: string;
  /** The claim's attempt: seq numbers count from 0 per (attempt, stream). */
  attempt: number;
  stream: LogStream;
  /** A batch waits at most this long for more lines (default 1 s). */
  flushIntervalMs?: number;
  /** Unsent lines kept while the API is unreachable (default 50,000); older ones are dropped. */
  maxQueuedLines?: number;
  /** Unsent bytes (JSON-encoded) kept while the API is unreachable (default 32 MiB). */
  maxQueuedBytes?: number;
  backoff?: BackoffOptions;
  /** Called once when the API says the lease is gone (409 lease-lost / attempt-mismatch, 404). */
  onLeaseLost: (error: LeaseLossError) => void;
}

export interface LogShipperStats {
  /** Lines given to push() while the shipper was open. */
  pushed: number;
  /** Lines the API acknowledged (stored now, or already stored by an earlier try). */
  acknowledged: number;
  /** Lines cut to AGENT_LIMITS.logLineMaxBytes. */
  truncated: number;
  /** Lines dropped unsent because the queue was full (or pushed after close). */
  dropped: number;
  /** Lines of batches the API refused as invalid (a bug: such a batch is not retried). */
  rejected: number;
}

interface QueuedLine {
  line: string;
  bytes: number;
}

interface Batch {
  lines: string[];
  /** Pushed lines in the batch (notes about drops are extra). */
  pushedLines: number;
}

const DEFAULT_FLUSH_INTERVAL_MS = 1000;
const DEFAULT_MAX_QUEUED_LINES = 50_000;
const DEFAULT_MAX_QUEUED_BYTES = 32 * 1024 * 1024;
const NOTE_PREFIX = '[brier-agent]';

/**
 * Ships one log stream of one attempt: batches sent one at a time and in order, each retried
 * until the API acknowledges it (a replay is a no-op there), line i of a batch being seq
 * firstSeq + i.
 *
 * Logs are diagnostics, rollouts are evidence: while the API is unreachable this queue is bounded
 * and drops its OLDEST unsent lines past the bound, counting them, and a `[brier-agent] N lines
 * dropped` line says so in the stream once the API is back. Rollouts are never dropped (the
 * RolloutShipper spools them to disk instead).
 */
export class LogShipper {
  private readonly options: LogShipperOptions;
  private readonly flushIntervalMs: number;
  private readonly maxQueuedLines: number;
  private readonly maxQueuedBytes: number;
  private readonly counts: LogShipperStats = {
    pushed: 0,
    acknowledged: 0,
    truncated: 0,
    dropped: 0,
    rejected: 0,
  };

  private queue: QueuedLine[] = [];
  private head = 0;
  private queuedBytes = 0;
  /** When the oldest queued line arrived (0: send at once); null when nothing is queued. */
  private oldestQueuedAt: number | null = null;
  private nextSeq = 0;
  /** Pushed lines that reached an end: acknowledged, dropped or rejected. */
  private settled = 0;
  /** A flush wants everything up to this push count sent now, without the batching delay. */
  private urgentThrough = 0;
  private droppedUnnoted = 0;
  private rejectedUnnoted = 0;
  private lastRejection = '';
  private closing = false;
  private loopEnded = false;
  private leaseError: LeaseLossError | null = null;
  private failure: Error | null = null;
  private readonly changed = new ChangeSignal();
  private readonly abort = new AbortController();

  constructor(options: LogShipperOptions) {
    this.options = options;
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.maxQueuedLines = options.maxQueuedLines ?? DEFAULT_MAX_QUEUED_LINES;
    this.maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    void this.run()
      .catch((error: unknown) => {
        this.failure = asError(error);
      })
      .finally(() => {
        this.loopEnded = true;
        this.changed.notify();
      });
  }

  get stats(): Readonly<LogShipperStats> {
    return { ...this.counts };
  }

  /** Queue one line (without its newline). Never blocks. */
  push(raw: string): void {
    if (this.leaseError !== null) return; // the run is over for us: report nothing more
    if (this.closing) {
      this.counts.dropped += 1;
      return;
    }
    const { line, truncated } = cleanLogLine(raw);
    if (truncated) this.counts.truncated += 1;
    this.counts.pushed += 1;
    const wasEmpty = this.queuedLines() === 0;
    this.queue.push({ line, bytes: jsonBytes(line) });
    this.queuedBytes += this.queue[this.queue.length - 1]!.bytes;
    this.oldestQueuedAt ??= Date.now();
    while (this.queuedLines() > this.maxQueuedLines || this.queuedBytes > this.maxQueuedBytes) {
      this.dropOldest();
    }
    // Wake the loop only when it has something new to decide about, not on every line.
    const full =
      this.queuedLines() >= AGENT_LIMITS.logBatchLinesMax ||
      this.queuedBytes >= AGENT_LIMITS.logBatchMaxBytes;
    if (wasEmpty || full) this.changed.notify();
  }

  /** Resolves once every line pushed so far is acknowledged (or dropped); throws past `deadlineMs` from now. */
  async flush(deadlineMs: number): Promise<void> {
    const target = this.counts.pushed;
    this.urgentThrough = Math.max(this.urgentThrough, target);
    this.changed.notify();
    await this.changed.until(
      () => this.settled >= target || this.leaseError !== null || this.loopEnded,
      deadlineMs,
    );
    if (this.leaseError !== null) throw this.leaseError;
    if (this.failure !== null) throw this.failure;
    if (this.settled < target) throw this.unacknowledged(target, deadlineMs);
  }

  /** Sends what is queued, then stops. Past `deadlineMs` from now it gives up and throws. */
  async close(deadlineMs: number): Promise<void> {
    const target = this.counts.pushed;
    this.closing = true;
    this.changed.notify();
    const ended = await this.changed.until(() => this.loopEnded, deadlineMs);
    if (!ended) {
      // The loop may be inside a request (≤ the client's timeout): it ends on its own.
      this.abort.abort(new Error(`log shipper (${this.options.stream}) closed`));
      throw this.unacknowledged(target, deadlineMs);
    }
    if (this.failure !== null) throw this.failure;
  }

  private unacknowledged(target: number, deadlineMs: number): Error {
    return new Error(
      `log shipper (${this.options.stream}): ${target - this.settled} line(s) not acknowledged by the API within ${deadlineMs} ms`,
    );
  }

  private queuedLines(): number {
    return this.queue.length - this.head;
  }

  private dropOldest(): void {
    const item = this.queue[this.head++]!;
    this.queuedBytes -= item.bytes;
    this.counts.dropped += 1;
    this.droppedUnnoted += 1;
    this.settled += 1;
    this.compact();
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      this.oldestQueuedAt = null;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (this.leaseError === null && !signal.aborted) {
      const hasNotes = this.droppedUnnoted > 0 || this.rejectedUnnoted > 0;
      if (this.queuedLines() === 0 && !hasNotes) {
        if (this.closing) return;
        await this.changed.wait(Number.POSITIVE_INFINITY, signal);
        continue;
      }
      const dueAt = (this.oldestQueuedAt ?? 0) + this.flushIntervalMs;
      const sendNow =
        this.closing ||
        this.settled < this.urgentThrough ||
        this.queuedLines() >= AGENT_LIMITS.logBatchLinesMax ||
        this.queuedBytes >= AGENT_LIMITS.logBatchMaxBytes ||
        Date.now() >= dueAt;
      if (!sendNow) {
        await this.changed.wait(dueAt - Date.now(), signal);
        continue;
      }
      await this.send(this.takeBatch());
    }
  }

  /** The next batch: notes first, then queued lines within the line and byte limits. */
  private takeBatch(): Batch {
    const lines = this.takeNotes();
    let bytes = lines.reduce((sum, line) => sum + jsonBytes(line), 0);
    let pushedLines = 0;
    while (this.head < this.queue.length && lines.length < AGENT_LIMITS.logBatchLinesMax) {
      const item = this.queue[this.head]!;
      if (lines.length > 0 && bytes + item.bytes >= AGENT_LIMITS.logBatchMaxBytes) break;
      lines.push(item.line);
      bytes += item.bytes;
      this.queuedBytes -= item.bytes;
      this.head += 1;
      pushedLines += 1;
    }
    this.compact();
    // What is left is a backlog: due at once.
    if (this.queuedLines() > 0) this.oldestQueuedAt = 0;
    return { lines, pushedLines };
  }

  private takeNotes(): string[] {
    const notes: string[] = [];
    if (this.droppedUnnoted > 0) {
      notes.push(
        `${NOTE_PREFIX} ${this.droppedUnnoted} ${this.options.stream} line(s) dropped here: the API was unreachable and the agent's queue (${this.maxQueuedLines} lines / ${this.maxQueuedBytes} bytes) was full`,
      );
      this.droppedUnnoted = 0;
    }
    if (this.rejectedUnnoted > 0) {
      notes.push(
        `${NOTE_PREFIX} ${this.rejectedUnnoted} ${this.options.stream} line(s) lost here: the API refused their batch (${this.lastRejection.slice(0, 1000)})`,
      );
      this.rejectedUnnoted = 0;
    }
    return notes;
  }

  private async send(batch: Batch): Promise<void> {
    const { client, runId, leaseToken, attempt, stream, backoff } = this.options;
    const firstSeq = this.nextSeq;
    try {
      await retryWhileUnavailable(
        () => client.logs(runId, { leaseToken, attempt, stream, firstSeq, lines: batch.lines }),
        { ...backoff, deadlineMs: Number.POSITIVE_INFINITY, signal: this.abort.signal },
      );
      this.nextSeq += batch.lines.length;
      this.counts.acknowledged += batch.pushedLines;
    } catch (error) {
      if (isLeaseLoss(error)) {
        this.stop(error);
        return;
      }
      if (this.abort.signal.aborted) return; // closed at its deadline
      if (!(error instanceof ApiRejectedError)) throw error;
      // Nothing of it was stored, so its seq numbers are free for the next batch.
      this.counts.rejected += batch.pushedLines;
      this.rejectedUnnoted += batch.pushedLines;
      this.lastRejection = error.message;
    }
    this.settled += batch.pushedLines;
    this.changed.notify();
  }

  private stop(error: LeaseLossError): void {
    this.leaseError = error;
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.oldestQueuedAt = null;
    this.changed.notify();
    this.options.onLeaseLost(error);
  }
}
