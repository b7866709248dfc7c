import { describe, expect, it } from 'vitest';

import { attemptOutcome } from './attempt-outcome.js';
import type { AttemptResult } from './run-executor.js';

function result(verdict: AttemptResult['verdict'], exitCode: number | null = 0): AttemptResult {
  return { verdict, exit: { exitCode, signal: null, stoppedFor: null }, stderrTail: 'tail' };
}

describe('attemptOutcome (docs/agent-api.md, "finish")', () => {
  it('a success finishes succeeded and completes the job', () => {
    expect(attemptOutcome(result({ outcome: 'succeeded' }), null, true)).toMatchObject({
      finish: { outcome: 'succeeded', exitCode: 0, signal: null },
      job: 'complete',
    });
  });

  it('a cancel finishes cancelled and completes the job', () => {
    expect(attemptOutcome(result({ outcome: 'cancelled' }, 1), 'cancel', true)).toMatchObject({
      finish: { outcome: 'cancelled', exitCode: 1 },
      job: 'complete',
    });
  });

  it('a transient failure with BullMQ attempts left is retryable and throws for a retry', () => {
    const outcome = attemptOutcome(
      result({ outcome: 'failed', retryable: true, reason: 'NCCL' }, 1),
      null,
      true,
    );
    expect(outcome).toMatchObject({
      finish: { outcome: 'failed', error: { message: 'NCCL', retryable: true, stderrTail: 'tail' } },
      job: 'retry',
    });
  });

  it('a transient failure on the last attempt is final', () => {
    const outcome = attemptOutcome(
      result({ outcome: 'failed', retryable: true, reason: 'NCCL' }, 1),
      null,
      false,
    );
    expect(outcome).toMatchObject({ finish: { error: { retryable: false } }, job: 'fail' });
    expect(outcome.summary).toContain('no attempts left');
  });

  it('a config error is never retried', () => {
    const outcome = attemptOutcome(
      result({ outcome: 'failed', retryable: false, reason: 'bad key' }, 1),
      null,
      true,
    );
    expect(outcome).toMatchObject({ finish: { error: { retryable: false } }, job: 'fail' });
  });

  it('a revoked attempt reports nothing: another attempt owns the run', () => {
    const outcome = attemptOutcome(
      result({ outcome: 'failed', retryable: true, reason: 'revoked' }),
      'revoked',
      true,
    );
    expect(outcome).toMatchObject({ finish: null, job: 'complete' });
  });

  it("a stop for the agent's shutdown is handed back without spending an attempt, even the last", () => {
    for (const attemptsLeft of [true, false]) {
      const outcome = attemptOutcome(
        result({ outcome: 'failed', retryable: true, reason: 'the agent shut down' }, 1),
        'shutdown',
        attemptsLeft,
      );
      expect(outcome).toMatchObject({
        finish: { outcome: 'failed', error: { message: 'the agent shut down', retryable: true } },
        job: 'hand-back',
      });
    }
  });

  it('a run that ended on its own while the agent shut down keeps its own outcome', () => {
    const configError = result({ outcome: 'failed', retryable: false, reason: 'bad key' }, 1);
    expect(attemptOutcome(configError, 'shutdown', true)).toMatchObject({ job: 'fail' });
    expect(attemptOutcome(result({ outcome: 'succeeded' }), 'shutdown', true)).toMatchObject({
      finish: { outcome: 'succeeded' },
      job: 'complete',
    });
  });

  it('a stall timeout still spends an attempt', () => {
    const stalled = result({ outcome: 'failed', retryable: true, reason: 'wrote nothing' }, null);
    expect(attemptOutcome(stalled, 'timeout', true)).toMatchObject({ job: 'retry' });
  });
});
