import { invalidRequest } from '../http/api-error.js';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const IDEMPOTENCY_KEY_MAX_LENGTH = 200;

/** Visible ASCII, with spaces inside (Node trims them at the ends). */
const KEY = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * The Idempotency-Key header of a submit: absent, or 1–200 printable ASCII characters. The same
 * key always names the same run.
 */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (header.length <= IDEMPOTENCY_KEY_MAX_LENGTH && KEY.test(header)) return header;
  throw invalidRequest([
    {
      path: IDEMPOTENCY_KEY_HEADER,
      message: `${IDEMPOTENCY_KEY_HEADER} must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters (a UUID is a good key)`,
    },
  ]);
}
