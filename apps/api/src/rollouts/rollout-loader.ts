import { ROLLOUT_WIRE_LIMITS } from '@brier/contracts';
import type { EncodedRolloutBatch, RolloutIngestSession } from '@brier/database';

import { NdjsonChunker, type BodyPosition } from './ndjson-chunker.js';
import type { RolloutParsePool } from './rollout-parse-pool.js';
import {
  RolloutRecords,
  type LineError,
  type PositionalRecords,
  type RecordsResult,
} from './rollout-records.js';
import type { WireContext } from './rollout-wire.parser.js';

export type { LineError } from './rollout-records.js';

/** Too many rollouts in one request (the caller answers 413). */
export class TooManyRolloutsError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} rollouts in one request`);
    this.name = 'TooManyRolloutsError';
  }
}

export interface LoaderOptions {
  context: WireContext;
  /** Records of a results file (imports): see PositionalRecords. */
  positional?: PositionalRecords;
  /** Most rollouts accepted (TooManyRolloutsError past it). */
  maxRows?: number;
  /** Line errors kept for the answer (all are counted). */
  maxErrors?: number;
  /** Limits of an NDJSON body (addBytes). */
  maxBytes?: number;
  maxLineBytes?: number;
  /** Bytes of NDJSON per parse task (default 1 MiB). */
  chunkBytes?: number;
  /** Rows per database write at first (default 2048; doubled every 16 writes). */
  writeRows?: number;
}

export interface LoadSummary {
  /** Records seen (blank lines, and positional records past maxSteps, aside). */
  received: number;
  /** Rows new to the database (0 when there were errors: nothing is stored then). */
  inserted: number;
  errors: LineError[];
  /** Lines with errors, all of them (errors lists the first maxErrors). */
  errorLines: number;
  /** Some line names another attempt than the lease's. */
  attemptMismatch: boolean;
  /** Positional records: the steps that have rows, and the records past maxSteps. */
  steps: Set<number>;
  beyondMaxSteps: number;
}

interface Pending {
  settled: Promise<void>;
  done: boolean;
  result?: RecordsResult;
  error?: unknown;
}

const MiB = 1024 * 1024;

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
/** Writes between doublings of the rows per write (each write is a savepoint: see the session). */
const WRITES_PER_DOUBLING = 16;

/** Chunks of a body parsed ahead (RolloutPrefetch), and where the rest of the body begins. */
export interface ParsedAhead {
  results: readonly Promise<RecordsResult>[];
  /** Null when the whole body was parsed. */
  rest: BodyPosition | null;
}

/** ParsedAhead whose chunks are still arriving. */
export interface LiveParsedAhead {
  live(): AsyncIterable<readonly Promise<RecordsResult>[]>;
  /** Null when the whole body was parsed (read once live() has ended). */
  readonly rest: BodyPosition | null;
}

/**
 * Streams rollouts into an ingest session as a pipeline: the body's bytes are cut into chunks of
 * whole lines (NdjsonChunker), each chunk is parsed, scored and encoded by a worker thread
 * (RolloutParsePool), and the encoded rows are written to the session in body order, one write in
 * flight while the next chunks are parsed. Memory is bounded by the chunks in flight. After the
 * first bad line nothing more is written (the session will be rolled back), but every line is
 * still checked so that the answer lists them all. Parsed records (a JSON array body, a CSV file)
 * go through `add`, parsed in this thread.
 */
export class RolloutLoader {
  private readonly queue: Pending[] = [];
  private readonly maxQueued: number;
  private readonly maxRows: number;
  private readonly maxErrors: number;
  private readonly writeRows: number;
  private readonly records: RolloutRecords;
  private chunker: NdjsonChunker | null = null;
  private start: BodyPosition | undefined;
  private pumping: Promise<void> = Promise.resolve();
  private pumpRunning = false;
  private wakeProducer: (() => void) | null = null;
  private failure: Error | null = null;
  private toWrite: EncodedRolloutBatch[] = [];
  private toWriteRows = 0;
  private writes = 0;
  private added = 0;
  private readonly summary: Omit<LoadSummary, 'inserted'> = {
    received: 0,
    errors: [],
    errorLines: 0,
    attemptMismatch: false,
    steps: new Set(),
    beyondMaxSteps: 0,
  };

  constructor(
    private readonly session: RolloutIngestSession,
    private readonly pool: RolloutParsePool,
    private readonly options: LoaderOptions,
  ) {
    this.maxRows = options.maxRows ?? Number.MAX_SAFE_INTEGER;
    this.maxErrors = options.maxErrors ?? ROLLOUT_WIRE_LIMITS.reportedLineErrors;
    this.writeRows = options.writeRows ?? 2048;
    this.maxQueued = 2 * Math.max(pool.size, 1) + 2;
    this.records = new RolloutRecords(this.recordsOptions());
  }

  /**
   * Take the first chunks of the body already parsed (during its upload), in order; addBytes then
   * goes on with the bytes from `ahead.rest` (none are expected when it is null).
   */
  async adopt(ahead: ParsedAhead): Promise<void> {
    if (this.chunker !== null) throw new Error('adopt parsed chunks before adding bytes');
    for (const result of ahead.results) await this.enqueue(result);
    this.start = ahead.rest ?? undefined;
  }

  /**
   * adopt, for chunks still being parsed as their body arrives: takes each as it is handed out, so
   * rows are written while the body uploads. Ends when the body ends or the prefetch stops.
   */
  async adoptLive(ahead: LiveParsedAhead): Promise<void> {
    if (this.chunker !== null) throw new Error('adopt parsed chunks before adding bytes');
    for await (const results of ahead.live()) {
      for (const result of results) await this.enqueue(result);
    }
    this.start = ahead.rest ?? undefined;
  }

  /** Bytes of an NDJSON body or file, in order. Waits while the chunks in flight are many. */
  async addBytes(bytes: Uint8Array): Promise<void> {
    this.throwIfFailed();
    this.chunker ??= new NdjsonChunker(
      {
        maxBytes: this.options.maxBytes ?? Number.MAX_SAFE_INTEGER,
        maxLineBytes: this.options.maxLineBytes ?? 16 * MiB,
        chunkBytes: this.options.chunkBytes ?? MiB,
      },
      this.start,
    );
    const chunk = this.chunker.push(bytes);
    if (this.chunker.records > this.maxRows) throw new TooManyRolloutsError(this.maxRows);
    if (chunk !== null) await this.enqueue(this.pool.parse({ ...chunk, options: this.recordsOptions() }));
  }

  /** A parsed record (a JSON array's element, a CSV row), parsed and scored in this thread. */
  async add(line: number, value: unknown): Promise<void> {
    this.countRecord();
    this.records.add(line, value);
    if (this.records.encodedRows >= this.writeRows) await this.enqueue(Promise.resolve(this.records.take()));
  }

  /** Positional records read by the caller (CSV): whether a record of `step` is kept. */
  keepStep(step: number): boolean {
    return this.records.keepStep(step);
  }

  /** A record the caller could not read at all (a malformed CSV row): counted as a bad line. */
  reject(line: number, field: string, message: string): void {
    this.countRecord();
    this.records.reject(line, field, message);
  }

  /** Parse and write what is left and wait for every write. Throws what a write threw. */
  async finish(): Promise<LoadSummary> {
    const last = this.chunker?.end() ?? null;
    if (last !== null) await this.enqueue(this.pool.parse({ ...last, options: this.recordsOptions() }));
    await this.enqueue(Promise.resolve(this.records.take()));
    while (this.failure === null && (this.pumpRunning || this.queue.length > 0)) {
      if (!this.pumpRunning) this.startPump();
      await this.pumping;
    }
    this.throwIfFailed();
    if (this.summary.errorLines === 0) await this.writePending();
    return {
      ...this.summary,
      inserted: this.summary.errorLines > 0 ? 0 : this.session.counts.inserted,
    };
  }

  private recordsOptions() {
    return {
      context: this.options.context,
      maxErrors: this.maxErrors,
      ...(this.options.positional === undefined ? {} : { positional: this.options.positional }),
    };
  }

  private countRecord(): void {
    this.added += 1;
    if (this.added > this.maxRows) throw new TooManyRolloutsError(this.maxRows);
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  /** Queue a chunk's result (in body order), waiting while the queue is full. */
  private async enqueue(result: Promise<RecordsResult>): Promise<void> {
    const pending: Pending = { done: false, settled: Promise.resolve() };
    pending.settled = result.then(
      (value) => {
        pending.result = value;
        pending.done = true;
      },
      (error: unknown) => {
        pending.error = error;
        pending.done = true;
      },
    );
    this.queue.push(pending);
    this.startPump();
    while (this.queue.length > this.maxQueued && this.failure === null) {
      await new Promise<void>((resolve) => (this.wakeProducer = resolve));
    }
    this.throwIfFailed();
  }

  private startPump(): void {
    if (this.pumpRunning) return;
    this.pumpRunning = true;
    this.pumping = this.pump();
  }

  /** Take results in order as they arrive; write once enough rows wait. Ends when the queue is empty. */
  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.failure === null) {
        await this.queue[0]!.settled;
        while (this.queue[0]?.done) this.account(this.queue.shift()!);
        this.wakeProducer?.();
        this.wakeProducer = null;
        const threshold = this.writeRows * 2 ** Math.floor(this.writes / WRITES_PER_DOUBLING);
        if (this.toWriteRows >= threshold) await this.writePending();
      }
    } catch (error) {
      this.failure = asError(error);
      this.wakeProducer?.();
    } finally {
      // Set in the same turn as the loop's last check: an enqueue after it starts a new pump.
      this.pumpRunning = false;
    }
  }

  private account(pending: Pending): void {
    if (pending.error !== undefined) throw asError(pending.error);
    const result = pending.result!;
    const summary = this.summary;
    summary.received += result.received;
    summary.errorLines += result.errorLines;
    summary.beyondMaxSteps += result.beyondMaxSteps;
    if (result.attemptMismatch) summary.attemptMismatch = true;
    for (const step of result.steps) summary.steps.add(step);
    for (const error of result.errors) {
      if (summary.errors.length >= this.maxErrors) break;
      summary.errors.push(error);
    }
    if (summary.errorLines > 0) {
      this.toWrite = [];
      this.toWriteRows = 0;
    } else if (result.batch !== null) {
      this.toWrite.push(result.batch);
      this.toWriteRows += result.batch.rows;
    }
  }

  private async writePending(): Promise<void> {
    if (this.toWrite.length === 0) return;
    const batches = this.toWrite;
    this.toWrite = [];
    this.toWriteRows = 0;
    this.writes += 1;
    await this.session.write(batches);
  }
}
