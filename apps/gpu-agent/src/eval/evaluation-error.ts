/**
 * Why an evaluation stopped without a result. `code` lets the worker decide what the run
 * becomes (cancelled, retried, failed) without reading messages.
 */
export type EvaluationErrorCode =
  /** The abort signal fired. */
  | 'cancelled'
  /** The prompt template or the dataset could not be read. */
  | 'bad-input'
  /** The inference server exited before or while the questions were asked. */
  | 'server-exited'
  /** The server (or endpoint) did not answer healthy, listing the model, before the deadline. */
  | 'server-not-ready'
  /** More than the tolerated share of questions got no answer after retries. */
  | 'too-many-failures';

export class EvaluationError extends Error {
  constructor(
    readonly code: EvaluationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EvaluationError';
  }
}
