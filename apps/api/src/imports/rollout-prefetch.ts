import { SEED_LENGTH_PENALTY } from '@brier/calibration';

import { NdjsonChunker, type BodyPosition } from '../rollouts/ndjson-chunker.js';
import type { ParsedAhead } from '../rollouts/rollout-loader.js';
import type { RolloutParsePool } from '../rollouts/rollout-parse-pool.js';
import type { RecordsOptions, RecordsResult } from '../rollouts/rollout-records.js';
import type { ImportReadSpec } from './import-fields.js';

const MiB = 1024 * 1024;

/** The options an import reads generations.jsonl with (ImportService.loadRollouts uses the same). */
export function generationsRecordsOptions(spec: ImportReadSpec, maxErrors: number): RecordsOptions {
  return {
    context: { defaultAttempt: 0, penalty: SEED_LENGTH_PENALTY },
    positional: {
      batchSize: spec.batchSize,
      ...(spec.maxSteps === undefined ? {} : { maxSteps: spec.maxSteps }),
    },
    maxErrors,
  };
}

/**
 * A generations.jsonl parsed while it uploads: its bytes, as they arrive (beside being spooled),
 * are cut into chunks and handed to the parse workers, so that parsing and scoring overlap the
 * upload instead of following it. It assumes the request's fields seen before the file (batch
 * size, step cap): the import takes the results only when the request turns out to be read that
 * way, from this file; otherwise they are dropped and the file is read from its spool as usual.
 * No run exists yet: nothing here touches the database.
 */
export class RolloutPrefetch implements ParsedAhead {
  readonly results: Promise<RecordsResult>[] = [];
  private readonly chunker: NdjsonChunker;
  private readonly abort = new AbortController();
  private handedOut = 0;
  /** Past the budget, or the chunker refused a line: the import parses the rest itself. */
  private stopped = false;
  private ended = false;
  /** The live reader waiting for the next result (or the end). */
  private wake: (() => void) | null = null;

  constructor(
    private readonly pool: RolloutParsePool,
    /** Where the file is spooled (the import's rollout source must be this file). */
    readonly path: string,
    readonly spec: ImportReadSpec,
    private readonly options: RecordsOptions,
    /** Bytes parsed at most (IMPORT_PREFETCH_BYTES); the import parses the rest from the spool. */
    private readonly budgetBytes: number,
  ) {
    // No caps here: the upload's apply (the import reads a results file's lines whole, too).
    this.chunker = new NdjsonChunker({
      maxBytes: Number.MAX_SAFE_INTEGER,
      maxLineBytes: Number.MAX_SAFE_INTEGER,
      chunkBytes: MiB,
    });
  }

  /** Bytes of the file handed to the workers. */
  get parsedBytes(): number {
    return this.handedOut;
  }

  /**
   * The results as they are handed out, in file order, in groups (arrays, so that nothing awaits
   * them on the way), until the file ends or the prefetch stops: for an import that stores rows
   * while the file still uploads. One reader at a time.
   */
  async *live(): AsyncGenerator<Promise<RecordsResult>[]> {
    let next = 0;
    for (;;) {
      if (next < this.results.length) {
        const fresh = this.results.slice(next);
        next = this.results.length;
        yield fresh;
        continue;
      }
      if (this.stopped || this.ended) return;
      // Woken by the next chunk, the end of the file, or a cancel; the upload's own deadlines end it.
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Where the rest of the file begins: null once the whole file was handed to the workers. */
  get rest(): BodyPosition | null {
    return this.ended && !this.stopped ? null : this.chunker.position;
  }

  /**
   * The next bytes of the file. Never throws (it runs inside the upload's stream): should cutting
   * fail, the prefetch stops there, and the import reads the rest from the spool, where any real
   * problem shows again and is answered.
   */
  push(bytes: Uint8Array): void {
    if (this.stopped) return;
    try {
      const chunk = this.chunker.push(bytes);
      if (chunk !== null) this.parse(chunk);
    } catch {
      this.stopped = true;
    }
    this.notify();
  }

  /** The file is complete (never throws either). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.stopped) {
      this.notify();
      return;
    }
    try {
      const last = this.chunker.end();
      if (last !== null) this.parse(last);
    } catch {
      this.stopped = true;
    }
    this.notify();
  }

  /** Drop everything: chunks not yet started are not parsed. */
  cancel(): void {
    this.stopped = true;
    this.abort.abort(new Error('the prefetch was cancelled'));
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private parse(chunk: { bytes: Uint8Array; firstLine: number; firstRecord: number }): void {
    // Counted first: handing the chunk to a worker moves its bytes out of this thread.
    this.handedOut += chunk.bytes.byteLength;
    const result = this.pool.parse({ ...chunk, options: this.options }, this.abort.signal);
    // Handled by the import that adopts it, or by nobody: never an unhandled rejection.
    result.catch(() => undefined);
    this.results.push(result);
    if (this.handedOut >= this.budgetBytes) this.stopped = true;
  }
}
