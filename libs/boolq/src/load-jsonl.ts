import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

import type { BoolQExample } from './example.js';
import { parseBoolQLine } from './parse-record.js';
import { BoolQRecordError } from './record-error.js';

/** A line that was skipped, and why. */
export interface MalformedLine {
  /** 1-based line number in the source. */
  line: number;
  problem: string;
}

export interface LoadOptions {
  /** Throw a {@link BoolQRecordError} at the first malformed line instead of reporting it. Default false. */
  strict?: boolean;
}

export interface LoadResult {
  /** Examples in file order. */
  examples: BoolQExample[];
  /** Lines that could not be used, in file order; empty for a clean file. */
  malformed: MalformedLine[];
}

/** Read a BoolQ .jsonl file (either shape, mixed is fine) line by line. */
export async function loadBoolQJsonl(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  return readBoolQJsonl(createReadStream(path, { encoding: 'utf8' }), options);
}

/**
 * Read BoolQ JSONL from a text stream, which it consumes and closes. Streaming (node:readline)
 * holds one line at a time besides the examples, so the 9,427-row train file loads the same way.
 * - Blank lines are skipped silently (trailing newlines are common); they still count for numbering.
 * - A UTF-8 byte-order mark on the first line is ignored; CRLF endings are accepted.
 * - Two records with the same `idx` cannot both be right: the second is reported malformed.
 * - Rows repeating the same question and passage (no `idx`, or distinct ones) are all kept, in
 *   file order, and share one id: ids are content-addressed (see exampleId), so an identical
 *   question + passage is the same item. Ids are unique per file only if the items are.
 */
export async function readBoolQJsonl(input: Readable, options: LoadOptions = {}): Promise<LoadResult> {
  const examples: BoolQExample[] = [];
  const malformed: MalformedLine[] = [];
  const idxLines = new Map<number, number>();
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const raw of lines) {
      lineNumber += 1;
      const text = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      try {
        const { example, idx } = parseBoolQLine(text, lineNumber);
        if (idx !== null) {
          const firstLine = idxLines.get(idx);
          if (firstLine !== undefined) {
            throw new BoolQRecordError(lineNumber, `duplicate "idx" ${idx} (first on line ${firstLine})`);
          }
          idxLines.set(idx, lineNumber);
        }
        examples.push(example);
      } catch (error) {
        if (!(error instanceof BoolQRecordError) || options.strict) throw error;
        malformed.push({ line: error.line, problem: error.problem });
      }
    }
  } finally {
    // Closing readline does not release the file: destroy the source too (matters on a strict throw).
    lines.close();
    input.destroy();
  }
  return { examples, malformed };
}
