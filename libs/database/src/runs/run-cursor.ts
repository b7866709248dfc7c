import { isUuid } from '../uuid.js';

/** Keyset position in the runs list (newest first): created_at to the microsecond, then id. */
export interface RunCursor {
  /** ISO 8601 UTC with microseconds, as Postgres printed it (a JS Date would lose the microseconds). */
  createdAt: string;
  id: string;
}

export class InvalidCursorError extends Error {
  constructor(cursor: string) {
    super(`invalid runs cursor ${JSON.stringify(cursor)}`);
    this.name = 'InvalidCursorError';
  }
}

const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeRunCursor(cursor: RunCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

export function decodeRunCursor(cursor: string): RunCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2) {
      const [createdAt, id] = value as unknown[];
      if (
        typeof createdAt === 'string' &&
        ISO_MICROS.test(createdAt) &&
        typeof id === 'string' &&
        isUuid(id)
      ) {
        return { createdAt, id };
      }
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidCursorError(cursor);
}
