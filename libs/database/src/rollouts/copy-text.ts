/**
 * Encoders for COPY … FROM STDIN in Postgres' text format: columns separated by tabs, rows by
 * newlines, NULL as \N, and backslash, newline, carriage return and tab escaped with a backslash.
 * Every backslash is escaped, so no data can form an escape sequence or the end-of-data marker.
 */

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export const COPY_NULL = '\\N';

export function copyText(value: string | null | undefined): string {
  if (value === null || value === undefined) return COPY_NULL;
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : value;
}

/** A JS number in its shortest round-trip form, which float8 and integer input parse exactly. */
export function copyNumber(value: number | null | undefined): string {
  return value === null || value === undefined ? COPY_NULL : String(value);
}

export function copyBoolean(value: boolean | null | undefined): string {
  return value === null || value === undefined ? COPY_NULL : value ? 't' : 'f';
}

/** bytea in hex input form (`\x…`), its backslash escaped for the text format. */
export function copyByteaHex(hex: string | null | undefined): string {
  return hex === null || hex === undefined ? COPY_NULL : `\\\\x${hex}`;
}
