import { describe, expect, it } from 'vitest';
import { codePointLength, codePointPrefix, parseUnicodeDigits, pythonStrip } from './python-text.js';

describe('Python str semantics', () => {
  it('counts code points like len()', () => {
    expect(codePointLength('a😀b')).toBe(3);
    expect(codePointLength('\ud800x')).toBe(2); // a lone surrogate counts once
    expect(codePointPrefix('😀😀x', 2)).toBe('😀😀');
  });

  it('strips what str.strip() strips, and only that', () => {
    expect(pythonStrip('\x1c\x85\u3000 a b \t\u2029')).toBe('a b');
    expect(pythonStrip('\ufeffa\u200b')).toBe('\ufeffa\u200b');
  });

  it('reads Unicode decimal digits like int()', () => {
    expect(parseUnicodeDigits('\uff18\uff10')).toBe(80); // fullwidth
    expect(parseUnicodeDigits('\u0667\u0665')).toBe(75); // Arabic-Indic
    expect(parseUnicodeDigits('\ud835\udfd7')).toBe(9); // MATHEMATICAL BOLD DIGIT NINE, 5th run of 10
    expect(parseUnicodeDigits('007')).toBe(7);
  });
});
