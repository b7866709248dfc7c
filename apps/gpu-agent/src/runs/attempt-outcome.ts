import type { FinishRunDto } from '@brier/contracts';

import type { AttemptResult } from './run-executor.js';

/** What to do after an attempt: the finish to send (null: send none) and how the BullMQ job ends. */
export interface AttemptOutcome {
  finish: Omit<FinishRunDto, 'leaseToken'> | null;
  /**
   * `complete`: return; `retry`: throw (BullMQ retries after its backoff, counting an attempt);
   * `fail`: UnrecoverableError; `hand-back`: back to the queue, delayed, no attempt counted.
   */
  job: 'complete' | 'retry' | 'fail' | 'hand-back';
  summary: string;
}

/**
 * docs/agent-api.md's table: the API records the attempt's outcome, BullMQ's attempts drive the
 * retries. A retryable failure with no BullMQ attempt left is final. A revoked run sends nothing:
 * another attempt owns the run.
 */
export function attemptOutcome(
  result: AttemptResult,
  stoppedFor: string | null,
  attemptsLeft: boolean,
): AttemptOutcome {
  const exitCode = result.exit?.exitCode ?? null;
  const signal = result.exit?.signal ?? null;
  const ended = { exitCode, signal };
  if (stoppedFor === 'revoked') {
    return { finish: null, job: 'complete', summary: 'the lease was revoked; the attempt was stopped' };
  }
  const { verdict } = result;
  if (stoppedFor === 'shutdown' && verdict.outcome === 'failed' && verdict.retryable) {
    // The host going away is not the run's fault: it must not spend the run's attempts, or a few
    // agent restarts (deploys, spot reclaims) would fail a healthy run for good.
    const error = { message: verdict.reason, stderrTail: result.stderrTail, retryable: true };
    return {
      finish: { outcome: 'failed', ...ended, error },
      job: 'hand-back',
      summary: `handed back (no attempt counted): ${verdict.reason}`,
    };
  }
  switch (verdict.outcome) {
    case 'succeeded':
      return { finish: { outcome: 'succeeded', ...ended }, job: 'complete', summary: 'succeeded' };
    case 'cancelled':
      return { finish: { outcome: 'cancelled', ...ended }, job: 'complete', summary: 'cancelled' };
    case 'failed': {
      const retryable = verdict.retryable && attemptsLeft;
      const error = { message: verdict.reason, stderrTail: result.stderrTail, retryable };
      return {
        finish: { outcome: 'failed', ...ended, error },
        job: retryable ? 'retry' : 'fail',
        summary: `failed (${retryable ? 'will be retried' : verdict.retryable ? 'no attempts left' : 'not retryable'}): ${verdict.reason}`,
      };
    }
  }
}
