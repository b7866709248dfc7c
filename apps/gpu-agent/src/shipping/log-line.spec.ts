import { utf8Bytes } from '@brier/contracts';
import { describe, expect, it } from 'vitest';

import { cleanLogLine, cutToUtf8Bytes, jsonBytes } from './log-line.js';

describe('cleanLogLine', () => {
  it('replaces NUL with U+FFFD', () => {
    expect(cleanLogLine('a\u0000b')).toEqual({ line: 'a\uFFFDb', truncated: false });
  });

  it('cuts a long line to 16 KiB of UTF-8 without splitting a character', () => {
    const euro = cleanLogLine('€'.repeat(6000)); // 18,000 bytes
    expect(euro.truncated).toBe(true);
    expect(euro.line).toBe('€'.repeat(5461)); // 16,383 bytes: one more would be 16,386
    const emoji = cleanLogLine('a' + '😀'.repeat(5000)); // the cut falls inside a pair
    expect(utf8Bytes(emoji.line)).toBeLessThanOrEqual(16 * 1024);
    expect(emoji.line.endsWith('😀')).toBe(true);
    expect(cleanLogLine('x'.repeat(16 * 1024))).toEqual({ line: 'x'.repeat(16 * 1024), truncated: false });
  });
});

describe('cutToUtf8Bytes', () => {
  it('keeps the longest prefix that fits', () => {
    expect(cutToUtf8Bytes('aé€😀', 1)).toBe('a');
    expect(cutToUtf8Bytes('aé€😀', 3)).toBe('aé');
    expect(cutToUtf8Bytes('aé€😀', 9)).toBe('aé€');
    expect(cutToUtf8Bytes('aé€😀', 10)).toBe('aé€😀');
  });
});

describe('jsonBytes', () => {
  it('counts the JSON-encoded string, quotes and escapes included', () => {
    expect(jsonBytes('a"b')).toBe(6);
    expect(jsonBytes('\u0001')).toBe(8);
  });
});
