import { ROLLOUT_WIRE_LIMITS } from '@brier/contracts';
import {
  prepareRolloutBatch,
  RolloutBatchError,
  type RolloutIngestSession,
  type RolloutRow,
} from '@brier/database';

import { parseRolloutLine, WIRE_FIELD_OF_ROW, type WireContext } from './rollout-wire.parser.js';

/** One problem with one line of a body or file. */
export interface LineError {
  /** 1-based line number (for a JSON array body: the element's 1-based position). */
  line: number;
  /** The wire field; '' for the line as a whole. */
  field: string;
  message: string;
}

/** Too many rollouts in one request (the caller answers 413). */
export class TooManyRolloutsError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} rollouts in one request`);
    this.name = 'TooManyRolloutsError';
  }
}

export interface LoaderOptions {
  context: WireContext;
  /** Rows per chunk written to the database (default 2048). */
  chunkRows?: number;
  /** Text bytes per chunk (default 16 MiB): a chunk ends at whichever comes first. */
  chunkBytes?: number;
  /** Most rollouts accepted (TooManyRolloutsError past it). */
  maxRows?: number;
  /** Line errors kept for the answer (all are counted). */
  maxErrors?: number;
}

export interface LoadSummary {
  /** Records seen (blank lines aside). */
  received: number;
  /** Rows new to the database (0 when there were errors: nothing is stored then). */
  inserted: number;
  errors: LineError[];
  /** Lines with errors, all of them (errors lists the first maxErrors). */
  errorLines: number;
  /** Some line names another attempt than the lease's. */
  attemptMismatch: boolean;
}

/**
 * Validates rollouts one line at a time and writes them to an ingest session in chunks, one chunk
 * in flight while the next is parsed (memory: two chunks). After the first bad line nothing more
 * is written (the session will be rolled back), but every line is still checked so that the
 * answer lists them all.
 */
export class RolloutLoader {
  private chunk: RolloutRow[] = [];
  private chunkLines: number[] = [];
  private chunkBytes = 0;
  private inFlight: Promise<unknown> | null = null;
  private failure: Error | null = null;
  private received = 0;
  private errorLines = 0;
  private attemptMismatch = false;
  private readonly errors: LineError[] = [];
  private readonly chunkRows: number;
  private readonly maxChunkBytes: number;
  private readonly maxRows: number;
  private readonly maxErrors: number;

  constructor(
    private readonly session: RolloutIngestSession,
    private readonly options: LoaderOptions,
  ) {
    this.chunkRows = options.chunkRows ?? 2048;
    this.maxChunkBytes = options.chunkBytes ?? 16 * 1024 * 1024;
    this.maxRows = options.maxRows ?? Number.MAX_SAFE_INTEGER;
    this.maxErrors = options.maxErrors ?? ROLLOUT_WIRE_LIMITS.reportedLineErrors;
  }

  get hasErrors(): boolean {
    return this.errorLines > 0;
  }

  /** A line of text (NDJSON): parsed as JSON, then as a rollout. Blank lines are skipped. */
  async addText(line: number, text: string, bytes = text.length): Promise<void> {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.countRecord();
      this.lineError(line, [
        { field: '', message: `is not valid JSON: ${(error as Error).message.slice(0, 200)}` },
      ]);
      return;
    }
    await this.add(line, value, bytes);
  }

  /** A parsed record. `bytes` (its size as text) bounds the chunk's memory. */
  async add(line: number, value: unknown, bytes = 0): Promise<void> {
    this.countRecord();
    const parsed = parseRolloutLine(value, this.options.context);
    if (!parsed.ok) {
      if (parsed.attemptMismatch) this.attemptMismatch = true;
      this.lineError(line, parsed.errors);
      return;
    }
    if (this.hasErrors) return;
    this.chunk.push(parsed.row);
    this.chunkLines.push(line);
    this.chunkBytes += bytes;
    if (this.chunk.length >= this.chunkRows || this.chunkBytes >= this.maxChunkBytes) await this.flush();
  }

  /** A record the caller could not read at all (a malformed CSV row): counted as a bad line. */
  reject(line: number, field: string, message: string): void {
    this.countRecord();
    this.lineError(line, [{ field, message }]);
  }

  /** Write what is left and wait for every write. Throws what a write threw. */
  async finish(): Promise<LoadSummary> {
    if (!this.hasErrors) await this.flush();
    await this.settle();
    if (this.failure !== null) throw this.failure;
    return {
      received: this.received,
      inserted: this.hasErrors ? 0 : this.session.counts.inserted,
      errors: this.errors,
      errorLines: this.errorLines,
      attemptMismatch: this.attemptMismatch,
    };
  }

  private countRecord(): void {
    this.received += 1;
    if (this.received > this.maxRows) throw new TooManyRolloutsError(this.maxRows);
  }

  private lineError(line: number, problems: readonly { field: string; message: string }[]): void {
    this.errorLines += 1;
    this.chunk = [];
    this.chunkLines = [];
    for (const problem of problems) {
      if (this.errors.length >= this.maxErrors) break;
      this.errors.push({ line, ...problem });
    }
  }

  private async flush(): Promise<void> {
    if (this.chunk.length === 0) return;
    const rows = this.chunk;
    const lines = this.chunkLines;
    this.chunk = [];
    this.chunkLines = [];
    this.chunkBytes = 0;
    let batch;
    try {
      // Checks what parseRolloutLine leaves to it (prompt texts, once per distinct text), dedupes, hashes.
      batch = prepareRolloutBatch(rows);
    } catch (error) {
      if (!(error instanceof RolloutBatchError)) throw error;
      this.lineError(lines[error.rowIndex] ?? 0, [
        {
          field: WIRE_FIELD_OF_ROW[error.field] ?? error.field,
          message: error.message.replace(/^rollout rows\[\d+\]\.\S+ /, ''),
        },
      ]);
      return;
    }
    await this.settle();
    if (this.failure !== null) throw this.failure;
    this.inFlight = this.session.write(batch).catch((error: unknown) => {
      this.failure = error instanceof Error ? error : new Error(String(error));
    });
  }

  private async settle(): Promise<void> {
    const pending = this.inFlight;
    this.inFlight = null;
    if (pending) await pending;
  }
}
