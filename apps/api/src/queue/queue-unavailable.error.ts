/**
 * Redis did not take a queue operation (down, unreachable, or no answer within the deadline).
 * The API answers 503 with Retry-After; committed runs stay queued in Postgres and the
 * reconciler enqueues them once Redis answers again.
 */
export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError';

  constructor(operation: string, cause: unknown) {
    super(
      `job queue (Redis) unavailable: ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}
