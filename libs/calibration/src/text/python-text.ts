/**
 * Python `str` semantics that the seed's scoring depends on, for JavaScript strings.
 * Python counts code points where JavaScript counts UTF-16 units, and Python's `\s`,
 * `strip()` and `int()` accept Unicode whitespace and digits that JavaScript's do not.
 */

/** Characters for which Python's str.isspace() is true (and that `\s` matches in a str pattern). */
export const PYTHON_WHITESPACE_CLASS =
  '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const whitespaceUnit = new RegExp(`^[${PYTHON_WHITESPACE_CLASS}]$`);
/** The same class as a table of UTF-16 units (every member is a single unit, all below U+3001). */
const IS_WHITESPACE = new Uint8Array(0x3001).map((_, unit) =>
  whitespaceUnit.test(String.fromCharCode(unit)) ? 1 : 0,
);
const isWhitespace = (unit: number): boolean => unit < 0x3001 && IS_WHITESPACE[unit] === 1;

/**
 * Python's str.strip() with no arguments. Scans in from both ends: a regex anchored at the end
 * would try every position of a long completion.
 */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isWhitespace(text.charCodeAt(start))) start++;
  while (end > start && isWhitespace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

const anySurrogate = /[\uD800-\uDFFF]/;

/** Python's len(): code points, counting a lone surrogate as one. */
export function codePointLength(text: string): number {
  // Most text has no surrogate at all: a native search says so faster than a loop.
  const first = text.search(anySurrogate);
  if (first === -1) return text.length;
  let pairs = 0;
  for (let i = first; i < text.length - 1; i++) {
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
