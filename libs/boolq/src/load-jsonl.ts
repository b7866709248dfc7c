import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

import type { BoolQExample } from './example.js';
import { parseBoolQLine, type ParseOptions } from './parse-record.js';
import { BoolQRecordError } from './record-error.js';

/** A line that was skipped, and why. */
export interface MalformedLine {
  /** 1-based line number in the source. */
  line: number;
  problem: string;
}

export interface LoadOptions extends ParseOptions {
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
 * - Repeats of a content-hash id (no `idx`, same question and passage) are kept, because they
 *   are real rows of the source, and get `-2`, `-3`, ... appended so ids stay unique per file.
 */
export async function readBoolQJsonl(input: Readable, options: LoadOptions = {}): Promise<LoadResult> {
  const examples: BoolQExample[] = [];
  const malformed: MalformedLine[] = [];
  const idxLines = new Map<number, number>();
  const contentIdCounts = new Map<string, number>();
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const raw of lines) {
      lineNumber += 1;
      const text = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      try {
        const { example, idx } = parseBoolQLine(text, lineNumber, options);
        if (idx !== null) {
          const firstLine = idxLines.get(idx);
          if (firstLine !== undefined) {
            throw new BoolQRecordError(lineNumber, `duplicate "idx" ${idx} (first on line ${firstLine})`);
          }
          idxLines.set(idx, lineNumber);
        } else {
          const seen = (contentIdCounts.get(example.id) ?? 0) + 1;
          contentIdCounts.set(example.id, seen);
          if (seen > 1) example.id = `${example.id}-${seen}`;
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
