/**
 * Python `str` semantics that the seed's scoring depends on, for JavaScript strings.
 * Python counts code points where JavaScript counts UTF-16 units, and Python's `\s`,
 * `strip()` and `int()` accept Unicode whitespace and digits that JavaScript's do not.
 */

/** Characters for which Python's str.isspace() is true (and that `\s` matches in a str pattern). */
export const PYTHON_WHITESPACE_CLASS =
  '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const leadingSpace = new RegExp(`^[${PYTHON_WHITESPACE_CLASS}]+`);
const trailingSpace = new RegExp(`[${PYTHON_WHITESPACE_CLASS}]+$`);

/** Python's str.strip() with no arguments. */
export function pythonStrip(text: string): string {
  return text.replace(leadingSpace, '').replace(trailingSpace, '');
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** Python's len(): code points, counting a lone surrogate as one. */
export function codePointLength(text: string): number {
  let pairs = 0;
  for (let i = 0; i < text.length - 1; i++) {
    if (isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1))) {
      pairs++;
      i++;
    }
  }
  return text.length - pairs;
}

/** Python's text[:count]: the first `count` code points. */
export function codePointPrefix(text: string, count: number): string {
  let units = 0;
  for (let points = 0; points < count && units < text.length; points++) {
    const paired = isHighSurrogate(text.charCodeAt(units)) && isLowSurrogate(text.charCodeAt(units + 1));
    units += paired ? 2 : 1;
  }
  return text.slice(0, units);
}

const decimalDigit = /^\p{Nd}$/u;

/**
 * Value of one Unicode decimal digit (category Nd), as Python's int() reads it.
 * Unicode allocates every Nd digit in a contiguous run of ten starting at zero,
 * so a digit's value is its distance from the start of its run, modulo ten.
 */
function digitValue(digit: string): number {
  let codePoint = digit.codePointAt(0)!;
  let offset = 0;
  while (decimalDigit.test(String.fromCodePoint(codePoint - 1))) {
    codePoint--;
    offset++;
  }
  return offset % 10;
}

/** Python's int() of a run of Unicode decimal digits. Values past 2^53 lose precision (callers clamp). */
export function parseUnicodeDigits(digits: string): number {
  let value = 0;
  for (const digit of digits) {
    value = value * 10 + (digit >= '0' && digit <= '9' ? digit.charCodeAt(0) - 48 : digitValue(digit));
  }
  return value;
}
