import { isBlankLine } from './ndjson-chunker.js';
import { RolloutRecords, type RecordsOptions, type RecordsResult } from './rollout-records.js';

/** One chunk of NDJSON lines to parse (NdjsonChunker's), and how. */
export interface ChunkTask {
  bytes: Uint8Array;
  /** 1-based number of the chunk's first line. */
  firstLine: number;
  /** 0-based position of its first record among the body's records (positional records' key). */
  firstRecord: number;
  options: RecordsOptions;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/** Lines that open with their prompt: the seed's generations.jsonl (full_prompt), and agents' lines. */
const PROMPT_OPENINGS = ['full_prompt', 'prompt'].map((key) => ({ key, bytes: Buffer.from(`{"${key}":"`) }));

const isJsonSpace = (byte: number): boolean =>
  byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/** Where a JSON string whose contents start at `from` ends (its closing quote), or -1. */
function stringEnd(buffer: Buffer, from: number, stop: number): number {
  for (let quote = buffer.indexOf(QUOTE, from); quote !== -1 && quote < stop;) {
    let backslashes = 0;
    while (buffer[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = buffer.indexOf(QUOTE, quote + 1);
  }
  return -1;
}

/**
 * Lines parsed with JSON.parse, but a prompt repeated from the line before (every rollout of an
 * example carries the same ~2 KB passage prompt: two thirds of a seed line) is recognised by its
 * raw bytes and not decoded or parsed again. Only when the line opens with it — `{"full_prompt":"`
 * or `{"prompt":"`, so it is surely the record's own top-level key — followed by a comma; the
 * rest of the line is parsed as an object and given the previous line's string. Anything else
 * (another layout, the key repeated later in the line) is parsed whole, as before.
 */
export class LineParser {
  private promptKey: string | null = null;
  private promptText: string | null = null;
  private promptStart = 0;
  private promptEnd = 0;

  constructor(private readonly buffer: Buffer) {}

  /** The line's text decoded and parsed; throws JSON.parse's SyntaxError. */
  parse(start: number, stop: number): unknown {
    const opening = PROMPT_OPENINGS.find(({ bytes }) => this.opensWith(bytes, start, stop));
    if (opening === undefined) return JSON.parse(this.buffer.toString('utf8', start, stop));
    const from = start + opening.bytes.length;
    const end = stringEnd(this.buffer, from, stop);
    if (end !== -1 && this.buffer[end + 1] === COMMA && this.isPreviousPrompt(opening.key, from, end)) {
      const rest = this.parseRest(end + 2, stop);
      if (rest !== null && !Object.hasOwn(rest, opening.key)) {
        rest[opening.key] = this.promptText;
        return rest;
      }
    }
    const value = JSON.parse(this.buffer.toString('utf8', start, stop)) as unknown;
    if (end !== -1) this.remember(opening.key, from, end);
    return value;
  }

  /**
   * Remember the prompt string at [from, end) for the next line: decoded from those very bytes
   * (the line's value may hold another, when its key repeats later in the line).
   */
  private remember(key: string, from: number, end: number): void {
    this.promptKey = null;
    let text: unknown;
    try {
      text = JSON.parse(this.buffer.toString('utf8', from - 1, end + 1));
    } catch {
      return;
    }
    if (typeof text !== 'string') return;
    this.promptKey = key;
    this.promptText = text;
    this.promptStart = from;
    this.promptEnd = end;
  }

  /**
   * The members after the prompt, as an object: `{` + the rest of the line, when that rest starts
   * with a key (JSON allows nothing else after a comma). Null when it is not an object or does not
   * parse: the whole line is then parsed, so that a bad line gets JSON.parse's own message.
   */
  private parseRest(from: number, stop: number): Record<string, unknown> | null {
    let first = from;
    while (first < stop && isJsonSpace(this.buffer[first]!)) first++;
    if (this.buffer[first] !== QUOTE) return null;
    try {
      const rest = JSON.parse(`{${this.buffer.toString('utf8', from, stop)}`) as unknown;
      return typeof rest === 'object' && rest !== null && !Array.isArray(rest)
        ? (rest as Record<string, unknown>)
        : null;
    } catch {
      return null;
    }
  }

  private opensWith(bytes: Buffer, start: number, stop: number): boolean {
    return (
      stop - start > bytes.length &&
      this.buffer.compare(bytes, 0, bytes.length, start, start + bytes.length) === 0
    );
  }

  private isPreviousPrompt(key: string, from: number, end: number): boolean {
    return (
      key === this.promptKey &&
      end - from === this.promptEnd - this.promptStart &&
      this.buffer.compare(this.buffer, this.promptStart, this.promptEnd, from, end) === 0
    );
  }
}

/**
 * Parse, validate, score and encode a chunk of NDJSON lines: what a parse worker does. Lines are
 * decoded one at a time (each '\n' ends one; a trailing '\r' is dropped), blank ones skipped.
 */
export function parseRolloutChunk(task: ChunkTask): RecordsResult {
  const records = new RolloutRecords(task.options);
  const buffer = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  const lines = new LineParser(buffer);
  let line = task.firstLine;
  let position = task.firstRecord;
  for (let start = 0; start < buffer.length; line++) {
    let end = buffer.indexOf(NEWLINE, start);
    if (end === -1) end = buffer.length;
    const stop = end > start && buffer[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
    const from = start;
    start = end + 1;
    if (isBlankLine(buffer, from, stop)) continue;
    let value: unknown;
    try {
      value = lines.parse(from, stop);
    } catch (error) {
      records.reject(line, '', `is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
      position++;
      continue;
    }
    records.addValue(line, value, position++);
  }
  return records.take();
}
