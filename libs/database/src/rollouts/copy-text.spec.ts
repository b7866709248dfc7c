import { describe, expect, it } from 'vitest';

import { copyBoolean, copyByteaHex, copyNumber, copyText, COPY_NULL } from './copy-text.js';

describe('COPY text-format encoders', () => {
  it('escapes exactly backslash, newline, carriage return and tab', () => {
    expect(copyText('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyText('\\N')).toBe('\\\\N');
    expect(copyText('\\.')).toBe('\\\\.');
    expect(copyText('plain "quotes", commas; émoji 😀')).toBe('plain "quotes", commas; émoji 😀');
    expect(copyText('')).toBe('');
  });

  it('writes NULL as \\N, distinct from the text "\\N"', () => {
    expect(copyText(null)).toBe(COPY_NULL);
    expect(copyText(undefined)).toBe(COPY_NULL);
    expect(copyText('\\N')).not.toBe(COPY_NULL);
  });

  it('writes numbers in their shortest round-trip form', () => {
    expect(copyNumber(0.09999999999999998)).toBe('0.09999999999999998');
    expect(copyNumber(1e-7)).toBe('1e-7');
    expect(Number(copyNumber(0.1 + 0.2))).toBe(0.1 + 0.2);
    expect(copyNumber(null)).toBe(COPY_NULL);
  });

  it('writes booleans and bytea', () => {
    expect([copyBoolean(true), copyBoolean(false), copyBoolean(null)]).toEqual(['t', 'f', COPY_NULL]);
    expect(copyByteaHex('00ff')).toBe('\\\\x00ff');
  });
});
