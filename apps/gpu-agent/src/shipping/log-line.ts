import { AGENT_LIMITS, utf8Bytes } from '@brier/contracts';

export interface CleanLogLine {
  line: string;
  /** The line was longer than AGENT_LIMITS.logLineMaxBytes and was cut. */
  truncated: boolean;
}

/**
 * A log line as the API stores it: NUL replaced with U+FFFD (Postgres text cannot hold one), cut
 * to at most `maxBytes` bytes of UTF-8 on a code point boundary.
 */
export function cleanLogLine(raw: string, maxBytes: number = AGENT_LIMITS.logLineMaxBytes): CleanLogLine {
  const line = raw.includes('\u0000') ? raw.replaceAll('\u0000', '\uFFFD') : raw;
  // Every UTF-16 unit is at most 3 bytes of UTF-8: short lines need no counting.
  if (line.length * 3 <= maxBytes || utf8Bytes(line) <= maxBytes) return { line, truncated: false };
  return { line: cutToUtf8Bytes(line, maxBytes), truncated: true };
}

/** The longest prefix of `text` of at most `maxBytes` bytes of UTF-8, never splitting a surrogate pair. */
export function cutToUtf8Bytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    let size = 3;
    let units = 1;
    if (code < 0x80) size = 1;
    else if (code < 0x800) size = 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        size = 4;
        units = 2;
      }
    }
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += units;
  }
  return text.slice(0, i);
}

/** What a line costs in a batch: its JSON-encoded size in UTF-8 (AGENT_LIMITS.logBatchMaxBytes counts that). */
export function jsonBytes(line: string): number {
  return utf8Bytes(JSON.stringify(line));
}
