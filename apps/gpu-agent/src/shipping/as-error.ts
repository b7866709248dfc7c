/** A thrown value as an Error (a callback may throw anything), so it can be rethrown as one. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
