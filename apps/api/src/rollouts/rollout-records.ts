import { ROLLOUT_IGNORED_KEYS, ROLLOUT_WIRE_KEYS } from '@brier/contracts/rollout-wire';
import type { EncodedRolloutBatch } from '@brier/database';
import { RolloutBatchEncoder, RolloutBatchError } from '@brier/database/rollout-batch';

import { parseRolloutLine, WIRE_FIELD_OF_ROW, type WireContext } from './rollout-wire.parser.js';

/** One problem with one line of a body or file. */
export interface LineError {
  /** 1-based line number (for a JSON array body: the element's 1-based position). */
  line: number;
  /** The wire field; '' for the line as a whole. */
  field: string;
  message: string;
}

/**
 * Records of a results file (POST /v1/imports): keys other than the wire's are dropped, attempt is
 * 0, sample_key is the record's position in the file and step the recorded one, or position //
 * batchSize; records of steps from maxSteps on are left out (counted).
 */
export interface PositionalRecords {
  batchSize: number;
  maxSteps?: number;
}

export interface RecordsOptions {
  context: WireContext;
  positional?: PositionalRecords;
  /** Line errors kept (all are counted). */
  maxErrors: number;
}

/** What a run of records came to: an encoded batch of the valid ones, and every problem. */
export interface RecordsResult {
  /** Null when no record was valid. */
  batch: EncodedRolloutBatch | null;
  /** Records seen (blank lines and records past maxSteps aside). */
  received: number;
  errors: LineError[];
  /** Records with errors, all of them (errors lists the first maxErrors problems). */
  errorLines: number;
  /** Some record names another attempt than the lease's. */
  attemptMismatch: boolean;
  /** Positional records: the steps kept, and the records past maxSteps. */
  steps: number[];
  beyondMaxSteps: number;
}

const WIRE_KEYS: ReadonlySet<string> = new Set<string>([...ROLLOUT_WIRE_KEYS, ...ROLLOUT_IGNORED_KEYS]);

/**
 * Validates, scores and encodes rollout records one at a time (parseRolloutLine, then the
 * database's encoder): what a parse worker does with a chunk of lines, and what the API's own
 * thread does with a JSON array body or a CSV file.
 */
export class RolloutRecords {
  private encoder: RolloutBatchEncoder | null = null;
  private rows = 0;
  private received = 0;
  private errorLines = 0;
  private attemptMismatch = false;
  private beyondMaxSteps = 0;
  private errors: LineError[] = [];
  private steps = new Set<number>();

  constructor(private readonly options: RecordsOptions) {}

  /** Rows encoded so far (since the last take). */
  get encodedRows(): number {
    return this.rows;
  }

  get encodedBytes(): number {
    return this.encoder?.byteLength ?? 0;
  }

  /** A line of text: parsed as JSON, then as a rollout. `position` counts records (positional only). */
  addText(line: number, text: string, position: number): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.reject(line, '', `is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
      return;
    }
    this.addValue(line, value, position);
  }

  /** A line's parsed JSON. `position` counts records (positional only). */
  addValue(line: number, value: unknown, position: number): void {
    const positional = this.options.positional;
    if (positional === undefined) return this.add(line, value);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.reject(line, '', 'is not a JSON object');
    }
    // Keys other than the wire's are dropped: copy the record only when it has some.
    let wire = value as Record<string, unknown>;
    for (const key in wire) {
      if (WIRE_KEYS.has(key)) continue;
      const known: Record<string, unknown> = {};
      for (const k in wire) if (WIRE_KEYS.has(k)) known[k] = wire[k];
      wire = known;
      break;
    }
    const recorded = wire['step'];
    const step = Number.isInteger(recorded)
      ? (recorded as number)
      : Math.floor(position / positional.batchSize);
    if (!this.keepStep(step)) return;
    wire['step'] = step;
    wire['attempt'] = 0;
    wire['sample_key'] = String(position);
    this.add(line, wire);
  }

  /** Whether a record of `step` is kept (positional records past maxSteps are counted and left out). */
  keepStep(step: number): boolean {
    const maxSteps = this.options.positional?.maxSteps;
    if (maxSteps !== undefined && step >= maxSteps) {
      this.beyondMaxSteps += 1;
      return false;
    }
    this.steps.add(step);
    return true;
  }

  /** A parsed record. */
  add(line: number, value: unknown): void {
    this.received += 1;
    const parsed = parseRolloutLine(value, this.options.context);
    if (!parsed.ok) {
      if (parsed.attemptMismatch) this.attemptMismatch = true;
      this.lineError(line, parsed.errors);
      return;
    }
    if (this.errorLines > 0) return; // nothing will be stored: only checking now
    this.encoder ??= new RolloutBatchEncoder(1 << 20);
    try {
      // Checks what parseRolloutLine leaves to it (prompt texts, once per distinct text), dedupes.
      this.encoder.add(parsed.row, line);
      this.rows += 1;
    } catch (error) {
      if (!(error instanceof RolloutBatchError)) throw error;
      this.lineError(line, [
        {
          field: WIRE_FIELD_OF_ROW[error.field] ?? error.field,
          message: error.message.replace(/^rollout rows\[\d+\]\.\S+ /, ''),
        },
      ]);
    }
  }

  /** A record that could not be read at all (a malformed CSV row): counted as a bad line. */
  reject(line: number, field: string, message: string): void {
    this.received += 1;
    this.lineError(line, [{ field, message }]);
  }

  /** What was added since the last take. */
  take(): RecordsResult {
    const result: RecordsResult = {
      batch: this.errorLines === 0 && this.encoder !== null ? this.encoder.finish() : null,
      received: this.received,
      errors: this.errors,
      errorLines: this.errorLines,
      attemptMismatch: this.attemptMismatch,
      steps: [...this.steps],
      beyondMaxSteps: this.beyondMaxSteps,
    };
    this.encoder = null;
    this.rows = 0;
    this.received = 0;
    this.errorLines = 0;
    this.attemptMismatch = false;
    this.beyondMaxSteps = 0;
    this.errors = [];
    this.steps = new Set();
    return result;
  }

  private lineError(line: number, problems: readonly { field: string; message: string }[]): void {
    this.errorLines += 1;
    this.encoder = null;
    for (const problem of problems) {
      if (this.errors.length >= this.options.maxErrors) break;
      this.errors.push({ line, ...problem });
    }
  }
}
