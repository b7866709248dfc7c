import { driverErrorCode } from '@brier/database';

/** Socket errors of a server that is down, restarting or unreachable. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** SQLSTATEs of a Postgres that cannot serve now: shutting down, starting, out of connections. */
const UNAVAILABLE_SQLSTATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '53300']);

const UNAVAILABLE_MESSAGES = [
  /Driver not Connected/i, // TypeORM: the DataSource is not (yet) initialised
  /Connection terminated/i, // node-postgres: the server closed the connection
  /timeout exceeded when trying to connect/i, // node-postgres pool
  /Connection is not established/i,
];

/**
 * True when a failed database call means Postgres is unavailable (the request may succeed later:
 * 503) rather than that the request or the code is wrong (4xx/500).
 */
export function isPostgresUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = driverErrorCode(error);
  if (
    code !== undefined &&
    (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))
  ) {
    return true;
  }
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(error.message));
}
